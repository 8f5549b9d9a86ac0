"""Exports without a window, for ``momentum-desktop export``: the same canvas, drawn
offscreen, and the same writers as the window's File menu."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

from PySide6.QtCore import QSize

from ..core.data_export import trajectories_csv, trajectories_json
from ..core.files import write_atomically
from ..core.session import Session
from ..core.session_file import PNG_SESSION_KEY, session_to_toml
from ..core.trajectory import record
from ..core.animation import AnimationSettings
from .animation import offscreen_canvas, write_animation
from .export import export_image
from .garbage import collect_garbage_on_gui_thread

__all__ = ["canvas_size", "export_session"]

log = logging.getLogger(__name__)

CANVAS_WIDTHS = (960, 1400)
"""The offscreen canvas is laid out this wide at the least and at the most, then
scaled to the chosen width: a narrow picture keeps readable text, a wide one is
the same picture larger."""

CANVAS_ASPECT = 0.6
"""The offscreen canvas's height over its width."""


def export_session(session: Session, outputs: Mapping[str, Path], width: int,
                   animation: AnimationSettings) -> list[Path]:
    """Compute the session's runs to their end and write every requested file.

    ``outputs`` maps a kind (png, svg, gif, mp4, csv, json) to a path. Pictures
    show the runs' end; PNGs carry the session. Returns the files written.
    """
    from PySide6.QtWidgets import QApplication

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication.instance() or QApplication(["momentum-desktop"])
    collect_garbage_on_gui_thread()
    trajectories = record(session.make_surface(), session.run_specs(), session.steps)
    written = []

    if "png" in outputs or "svg" in outputs:
        canvas = offscreen_canvas(session, canvas_size(width))
        canvas.show_trajectories(trajectories, playing=False)
        app.processEvents()
        metadata = {PNG_SESSION_KEY: session_to_toml(session)}
        for kind in ("png", "svg"):
            if kind in outputs:
                export_image(canvas, outputs[kind], width, metadata)
                written.append(outputs[kind])
        canvas.close()

    for kind in ("gif", "mp4"):
        if kind in outputs:
            write_animation(session, trajectories, outputs[kind], animation)
            written.append(outputs[kind])

    for kind, render in (("csv", trajectories_csv), ("json", trajectories_json)):
        if kind in outputs:
            write_atomically(outputs[kind], render(session, trajectories))
            written.append(outputs[kind])

    log.info("exported %s", ", ".join(str(p) for p in written))
    return written


def canvas_size(width: int) -> QSize:
    """The size the offscreen canvas is laid out at, for a picture ``width`` wide."""
    low, high = CANVAS_WIDTHS
    laid_out = min(max(width, low), high)
    return QSize(laid_out, round(laid_out * CANVAS_ASPECT))
