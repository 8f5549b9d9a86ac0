"""Saving what the window shows as a PNG or SVG picture, at a chosen size."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from PySide6.QtCore import QPoint, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter
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

__all__ = ["ExportError", "ExportImageDialog", "export_image", "physical_size"]

log = logging.getLogger(__name__)

FORMATS = {".png": "PNG", ".svg": "SVG"}
MAX_WIDTH = 7680
"""Widest picture offered: 8K."""


class ExportError(RuntimeError):
    """A picture could not be written; the message says why."""


def physical_size(widget: QWidget) -> QSize:
    """The widget's size in the screen's physical pixels."""
    ratio = widget.devicePixelRatioF()
    return QSize(round(widget.width() * ratio), round(widget.height() * ratio))


def export_image(widget: QWidget, path: str | os.PathLike, width: int | None = None) -> QSize:
    """Render ``widget`` to ``path`` (.png or .svg), ``width`` pixels wide.

    The height follows the widget's aspect ratio; without ``width`` the picture has
    the screen's physical pixels. Returns the size written.

    Raises
    ------
    ExportError
        If the format is not PNG or SVG, the size is out of range or the file cannot
        be written. Nothing is left behind at ``path`` then.
    """
    path = Path(path)
    if path.is_dir():
        raise ExportError(f"cannot save {path}: it is a folder")
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ExportError(
            f"cannot save {path.name!r}: the name must end in .png or .svg"
        )

    size = _target_size(widget, width)
    _check_writable(path)
    if kind == "PNG":
        _write_png(widget, path, size)
    else:
        _write_svg(widget, path, size)

    log.info("exported %s picture %dx%d to %s", kind, size.width(), size.height(), path)
    return size


def _target_size(widget: QWidget, width: int | None) -> QSize:
    if width is None:
        return physical_size(widget)
    if not 16 <= width <= MAX_WIDTH:
        raise ExportError(f"width must be a whole number of pixels in [16, {MAX_WIDTH}]; "
                          f"got {width}")
    height = max(1, round(width * widget.height() / max(1, widget.width())))
    return QSize(width, height)


def _check_writable(path: Path) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError(f"cannot save {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise ExportError(f"cannot save {path}: permission denied")


def _render(widget: QWidget, painter: QPainter, size: QSize) -> None:
    """Draw the widget filling ``size``; a graphics view redraws its scene at that size."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    if isinstance(widget, QGraphicsView):
        target = QRectF(0, 0, size.width(), size.height())
        widget.render(painter, target, widget.viewport().rect())
        return

    painter.scale(size.width() / max(1, widget.width()),
                  size.height() / max(1, widget.height()))
    widget.render(painter, QPoint())


def _write_png(widget: QWidget, path: Path, size: QSize) -> None:
    image = QImage(size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.black)
    painter = QPainter(image)
    try:
        _render(widget, painter, size)
    finally:
        painter.end()

    if not image.save(str(path), "PNG"):
        raise ExportError(f"cannot save {path}: writing the PNG failed")


def _write_svg(widget: QWidget, path: Path, size: QSize) -> None:
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(size)
    generator.setViewBox(QRect(0, 0, size.width(), size.height()))
    generator.setTitle("Momentum Desktop")

    painter = QPainter()
    if not painter.begin(generator):
        raise ExportError(f"cannot save {path}: the SVG file could not be opened")
    try:
        _render(widget, painter, size)
    finally:
        painter.end()


class ExportImageDialog(QDialog):
    """Asks what to export (canvas or window), how wide, and where."""

    def __init__(self, canvas: QWidget, window: QWidget, folder: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export image")
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
