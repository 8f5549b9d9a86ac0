"""Saving what the window shows as a PNG or SVG picture, at a chosen size."""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QBuffer, QIODevice, QPoint, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter, QPen
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QWidget,
)

from ..core.files import check_output_path, write_atomically
from ..core.parameters import ParameterError

__all__ = [
    "ExportError",
    "ExportImageDialog",
    "export_image",
    "physical_size",
]

log = logging.getLogger(__name__)

FORMATS = {".png": "PNG", ".svg": "SVG"}
MAX_WIDTH = 7680
"""Widest picture offered: 8K."""

MAX_HEIGHT = 16384
"""Tallest picture written: a very narrow widget exported wide would need gigabytes."""


class ExportError(RuntimeError):
    """A picture could not be written; the message says why."""


def physical_size(widget: QWidget) -> QSize:
    """The widget's size in the screen's physical pixels."""
    ratio = widget.devicePixelRatioF()
    return QSize(round(widget.width() * ratio), round(widget.height() * ratio))


def export_image(widget: QWidget, path: str | os.PathLike, width: int | None = None,
                 metadata: Mapping[str, str] | None = None) -> QSize:
    """Render ``widget`` to ``path`` (.png or .svg), ``width`` pixels wide.

    The height follows the widget's aspect ratio; without ``width`` the picture has
    the widget's size in the screen's physical pixels. The picture is made in memory
    and written to a temporary file that is renamed into place, so a failed export
    leaves any earlier file at ``path`` as it was. A PNG carries ``metadata`` as text
    chunks (the window stores the session there). Returns the size written.

    Raises
    ------
    ExportError
        If the name, format or size is refused or the file cannot be written.
    """
    path = _checked_path(path)
    kind = FORMATS[path.suffix.lower()]
    size = _target_size(widget, width)

    if kind == "PNG":
        data = _png_bytes(widget, size, metadata or {})
    else:
        data = _svg_bytes(widget, size)
    try:
        write_atomically(path, data)
    except OSError as error:
        raise ExportError(f"cannot save {path}: {error.strerror or error}") from None

    log.info("exported %s picture %dx%d to %s", kind, size.width(), size.height(), path)
    return size


def _checked_path(raw: str | os.PathLike) -> Path:
    try:
        return check_output_path(raw, tuple(FORMATS))
    except ParameterError as error:
        raise ExportError(str(error)) from None


def _target_size(widget: QWidget, width: int | None) -> QSize:
    if width is None:
        size = physical_size(widget)
    elif not 16 <= width <= MAX_WIDTH:
        raise ExportError(f"width must be a whole number of pixels in [16, {MAX_WIDTH}]; "
                          f"got {width}")
    else:
        height = max(1, round(width * widget.height() / max(1, widget.width())))
        size = QSize(width, height)

    if not 1 <= size.height() <= MAX_HEIGHT:
        raise ExportError(
            f"the picture would be {size.width()} x {size.height()} pixels; its height "
            f"must be at most {MAX_HEIGHT}: choose a smaller width"
        )
    return size


def _render(widget: QWidget, painter: QPainter) -> None:
    """Draw the widget at its own size; the painter's device may scale it."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    if isinstance(widget, QGraphicsView):
        target = QRectF(0, 0, widget.width(), widget.height())
        widget.render(painter, target, widget.viewport().rect())
        return
    widget.render(painter, QPoint())


@contextmanager
def _lines_scaled(widget: QWidget, scale: float) -> Iterator[None]:
    """Widen every plotted line by ``scale`` while the widget is drawn.

    pyqtgraph draws lines with cosmetic pens, a width in device pixels that no
    scaling changes: in a picture twice the widget's size, text and markers doubled
    while the paths stayed hair-thin. Widening them for the picture keeps it the
    widget, only larger (or smaller).
    """
    views = [widget] if isinstance(widget, QGraphicsView) else []
    views += widget.findChildren(QGraphicsView)
    lines = [item for view in views for item in view.scene().items()
             if isinstance(item, (pg.PlotCurveItem, pg.InfiniteLine))]
    kept = [(item, QPen(item.opts["pen"] if isinstance(item, pg.PlotCurveItem)
                        else item.pen)) for item in lines]
    try:
        for item, pen in kept:
            wider = QPen(pen)
            wider.setWidthF(max(pen.widthF(), 1.0) * scale)
            item.setPen(wider)
        yield
    finally:
        for item, pen in kept:
            item.setPen(pen)


def _png_bytes(widget: QWidget, size: QSize, metadata: Mapping[str, str]) -> bytes:
    image = QImage(size, QImage.Format.Format_ARGB32)
    if image.isNull():
        raise ExportError(f"not enough memory for a {size.width()} x {size.height()} "
                          "picture; choose a smaller width")
    image.fill(Qt.GlobalColor.black)
    # Drawn at the widget's own size on an image of `size` pixels, as on a screen
    # of that many pixels per point: text, markers and lines all scale alike.
    scale = size.width() / max(1, widget.width())
    image.setDevicePixelRatio(scale)
    painter = QPainter(image)
    try:
        with _lines_scaled(widget, scale):
            _render(widget, painter)
    finally:
        painter.end()
    image.setDevicePixelRatio(1.0)

    for key, value in metadata.items():
        image.setText(key, value)
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise ExportError("encoding the PNG failed")
    return bytes(buffer.data())


def _svg_bytes(widget: QWidget, size: QSize) -> bytes:
    """The widget drawn at its own size in a viewBox of that size, shown at ``size``:
    every SVG viewer then scales text, markers and lines alike."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setSize(size)
    generator.setViewBox(QRect(0, 0, widget.width(), widget.height()))
    generator.setTitle("Momentum Desktop")
    # pyqtgraph's axes replay a QPicture recorded at the screen's resolution; at the
    # generator's default 72 dpi they came out at three quarters of their size.
    generator.setResolution(widget.logicalDpiX())

    painter = QPainter()
    if not painter.begin(generator):
        raise ExportError("the SVG drawing could not be started")
    try:
        _render(widget, painter)
    finally:
        painter.end()
    return scale_free_strokes(bytes(buffer.data()))


def scale_free_strokes(svg: bytes) -> bytes:
    """Rewrite Qt's non-scaling strokes so every SVG renderer draws them alike.

    Qt draws a plot's lines inside groups scaled from data units to pixels, and
    keeps their widths in pixels with ``vector-effect="non-scaling-stroke"``.
    librsvg, cairosvg and ImageMagick ignore that property and scale the width with
    the group: a 2-pixel line became a band dozens of pixels wide. Each such stroke
    gets its width divided by its groups' scale instead, which every renderer reads
    the same way.
    """
    import re
    import xml.etree.ElementTree as ET

    namespace = "http://www.w3.org/2000/svg"
    ET.register_namespace("", namespace)
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    root = ET.fromstring(svg)
    parents = {child: parent for parent in root.iter() for child in parent}

    def scale_of(element: ET.Element) -> float:
        match = re.match(r"matrix\(([^)]*)\)", element.get("transform", ""))
        if not match:
            return 1.0
        a, b, c, d = (float(v) for v in re.split(r"[ ,]+", match.group(1).strip())[:4])
        return math.sqrt(abs(a * d - b * c)) or 1.0

    for element in root.iter():
        if element.get("vector-effect") != "non-scaling-stroke":
            continue
        width, scale, node = None, 1.0, element
        while node is not None:
            scale *= scale_of(node)
            if width is None and node.get("stroke-width") is not None:
                width = float(node.get("stroke-width"))
            node = parents.get(node)
        del element.attrib["vector-effect"]
        element.set("stroke-width", f"{(width if width is not None else 1.0) / scale:.6g}")
    return ET.tostring(root, xml_declaration=True, encoding="utf-8")


class ExportImageDialog(QDialog):
    """Asks what to export (canvas or window), how wide, and where."""

    def __init__(self, canvas: QWidget, window: QWidget, folder: str,
                 export: Callable[[QWidget, str, int], bool],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export image")
        self._export = export
        self._targets = {"canvas": canvas, "window": window}

        self.canvas_choice = QRadioButton("Canvas (the panes)")
        self.window_choice = QRadioButton("Whole window")
        self.canvas_choice.setChecked(True)
        choices = QButtonGroup(self)
        choices.addButton(self.canvas_choice)
        choices.addButton(self.window_choice)
        choices.buttonToggled.connect(lambda *_: self._update_size())

        self.width_box = QSpinBox()
        self.width_box.setRange(16, MAX_WIDTH)
        self.width_box.setSuffix(" px")
        self.width_box.valueChanged.connect(self._show_height)
        self.height_label = QLabel()
        self.path_edit = QLineEdit(str(Path(folder) / "momentum.png"))
        browse = QPushButton("Browse...")
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit)
        path_row.addWidget(browse)
        hint = QLabel("PNG or SVG, by the file name's ending.")
        hint.setStyleSheet("color: #9aa0a6;")

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        form = QFormLayout(self)
        form.addRow("Export", self.canvas_choice)
        form.addRow("", self.window_choice)
        form.addRow("Width", self.width_box)
        form.addRow("Height", self.height_label)
        form.addRow("File", path_row)
        form.addRow("", hint)
        form.addRow(buttons)
        self._update_size()

    def accept(self) -> None:
        """Export; the dialog stays open (path kept) if the export was refused."""
        if self._export(self.target, self.path, self.chosen_width):
            super().accept()

    @property
    def target(self) -> QWidget:
        """The widget chosen for export."""
        return self._targets["canvas" if self.canvas_choice.isChecked() else "window"]

    @property
    def path(self) -> str:
        """The file name typed or chosen."""
        return self.path_edit.text().strip()

    @property
    def chosen_width(self) -> int:
        """The picture's width in pixels."""
        return self.width_box.value()

    def _update_size(self) -> None:
        self.width_box.setValue(min(MAX_WIDTH, physical_size(self.target).width()))
        self._show_height()

    def _show_height(self) -> None:
        target = self.target
        height = round(self.width_box.value() * target.height() / max(1, target.width()))
        self.height_label.setText(f"{height} px (keeps the aspect ratio)")

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export image", self.path, "PNG image (*.png);;SVG drawing (*.svg)"
        )
        if path:
            self.path_edit.setText(path)
