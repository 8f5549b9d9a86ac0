"""Render the app's SVG icon into the format an executable needs (.ico or .icns).

Run by momentum_desktop.spec in a subprocess on Windows and macOS only (Linux ELF
executables carry no icon; there the window icon comes from icon.svg at run time).
PyInstaller can only convert PNG icons, and only with Pillow installed; Qt's own
image plugins (qico, qicns, shipped in PySide6-Essentials) write both formats, so
the build needs nothing beyond the app's own dependencies.

    python render_icon.py SRC.svg OUT.ico|OUT.icns
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

# The largest size each format's Qt writer accepts (ICO: 256; ICNS: 1024).
SIZES = {".ico": 256, ".icns": 1024}


def render(source: str, target: str) -> None:
    size = SIZES[os.path.splitext(target)[1].lower()]
    renderer = QSvgRenderer(source)
    if not renderer.isValid():
        raise SystemExit(f"render_icon: cannot read {source!r} as SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    if not image.save(target):
        raise SystemExit(f"render_icon: Qt could not write {target!r}")


if __name__ == "__main__":
    if len(sys.argv) != 3 or os.path.splitext(sys.argv[2])[1].lower() not in SIZES:
        raise SystemExit(__doc__.rsplit("\n\n", 1)[1].strip())
    app = QGuiApplication(sys.argv[:1])
    render(sys.argv[1], sys.argv[2])
