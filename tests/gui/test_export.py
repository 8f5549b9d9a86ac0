"""Pictures written from the window: size, content, SVG validity, failures."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QMessageBox

from momentum_desktop.gui.export import ExportImageDialog, physical_size

from .test_window import widget_point


def image_array(path) -> np.ndarray:
    image = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB888)
    data = np.frombuffer(image.constBits(), dtype=np.uint8)
    return data.reshape(image.height(), image.bytesPerLine())[:, : 3 * image.width()] \
        .reshape(image.height(), image.width(), 3)


def test_canvas_png_has_the_requested_width_and_shows_the_contour(window, tmp_path):
    path = tmp_path / "canvas.png"
    assert window.export_image(window.canvas, str(path), 1600)

    image = QImage(str(path))
    expected_height = round(1600 * window.canvas.height() / window.canvas.width())
    assert (image.width(), image.height()) == (1600, expected_height)

    # The point under the valley's minimum, scaled to the picture, is viridis-dark;
    # a far corner of the surface is bright green: the contour was drawn.
    pixels = image_array(path)
    scale = 1600 / window.canvas.width()
    for (x, y), dark in [((0.3, 0.11), True), ((-4.6, 4.6), False)]:
        point = widget_point(window, 0, x, y)
        r, g, b = pixels[round(point.y() * scale), round(point.x() * scale)]
        assert (int(g) < 110) == dark, (x, y, r, g, b)
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 500


def test_a_wider_picture_is_the_same_picture_larger_lines_included(fast_window, qtbot,
                                                                   tmp_path):
    import dataclasses
    import math

    from momentum_desktop.core.presets import load_preset

    race = dataclasses.replace(load_preset("rosenbrock-race"), speed=math.inf)
    with qtbot.waitSignal(fast_window.playback_finished, timeout=30_000):
        fast_window.apply_session(race)
    canvas = fast_window.canvas

    def white_pixels(width: int) -> int:  # mostly the Nesterov run's path
        path = tmp_path / f"{width}.png"
        assert fast_window.export_image(canvas, str(path), width)
        return int((image_array(path).min(axis=2) > 235).sum())

    # Twice as wide, four times the area: a path's pixels grow fourfold only if
    # the line is twice as thick too (a line of fixed width gave 2.6 times).
    ratio = white_pixels(2 * canvas.width()) / white_pixels(canvas.width())
    assert 3.5 < ratio < 5.0
    assert canvas.artists[2].path.opts["pen"].widthF() == 2  # the window's own kept


def test_default_size_is_the_screens_physical_pixels(window, tmp_path):
    path = tmp_path / "window.png"
    assert window.export_image(window, str(path))
    size = physical_size(window)
    image = QImage(str(path))
    assert (image.width(), image.height()) == (size.width(), size.height())


def test_svg_is_valid_with_width_height_and_viewbox(window, tmp_path):
    path = tmp_path / "canvas.svg"
    assert window.export_image(window.canvas, str(path), 1000)

    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    assert root.get("width").startswith("1000") or root.get("width").endswith("mm")
    # Drawn at the canvas's own size, shown 1000 wide: viewers scale it all alike.
    view_box = [float(v) for v in root.get("viewBox").split()]
    canvas = window.canvas
    assert view_box == [0.0, 0.0, canvas.width(), canvas.height()]
    assert len(ET.tostring(root)) > 10_000


def test_unwritable_path_shows_an_error_and_changes_nothing(window, tmp_path, qtbot):
    session = window.session
    missing = tmp_path / "no" / "such" / "folder" / "shot.png"

    assert not window.export_image(window.canvas, str(missing), 800)

    boxes = [w for w in window.findChildren(QMessageBox) if w.isVisible()]
    assert len(boxes) == 1
    assert "does not exist" in boxes[0].text()
    assert not missing.exists() and window.session == session
    boxes[0].accept()

    assert not window.export_image(window.canvas, str(tmp_path), 800)  # a folder
    assert not window.export_image(window.canvas, str(tmp_path / "shot.jpg"), 800)
    texts = [w.text() for w in window.findChildren(QMessageBox) if w.isVisible()]
    assert any("it is a folder" in t for t in texts)
    assert any("must end in .png or .svg" in t for t in texts)


def test_export_dialog_writes_the_chosen_target_at_the_chosen_width(window, tmp_path, qtbot):
    dialog = window.open_export_dialog()
    assert isinstance(dialog, ExportImageDialog)
    assert dialog.chosen_width == physical_size(window.canvas).width()

    dialog.window_choice.setChecked(True)
    assert dialog.chosen_width == physical_size(window).width()
    dialog.width_box.setValue(640)
    dialog.path_edit.setText(str(tmp_path / "from-dialog.png"))
    dialog.accept()

    image = QImage(str(tmp_path / "from-dialog.png"))
    assert image.width() == 640
    assert image.height() == round(640 * window.height() / window.width())


def test_a_failed_write_keeps_the_earlier_file_and_leaves_no_part(window, tmp_path,
                                                                  monkeypatch):
    import os

    path = tmp_path / "keep.png"
    assert window.export_image(window.canvas, str(path), 400)
    before = path.read_bytes()

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    assert not window.export_image(window.canvas, str(path), 1200)

    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep.png"]
    texts = [w.text() for w in window.findChildren(QMessageBox) if w.isVisible()]
    assert any("No space left on device" in t for t in texts)


def test_names_no_file_system_takes_are_refused_before_writing(window, tmp_path):
    refused = {
        str(tmp_path / ("c" * 300 + ".png")): "longer than the 255 bytes",
        str(tmp_path / "nul\0evil.png"): "NUL character",
        str(tmp_path / "shot.png") + "/": "it names a folder",
        "": "choose a file name",
    }
    for path, reason in refused.items():
        assert not window.export_image(window.canvas, path, 400)
        texts = [w.text() for w in window.findChildren(QMessageBox) if w.isVisible()]
        assert any(reason in t for t in texts), (path, texts)
    assert list(tmp_path.iterdir()) == []


def test_the_dialog_stays_open_with_the_path_when_the_export_is_refused(window, tmp_path):
    dialog = window.open_export_dialog()
    dialog.path_edit.setText(str(tmp_path / "missing" / "x.png"))
    dialog.accept()

    assert dialog.isVisible()
    assert dialog.path == str(tmp_path / "missing" / "x.png")
    dialog.path_edit.setText(str(tmp_path / "x.svg"))
    dialog.accept()
    assert not dialog.isVisible() and (tmp_path / "x.svg").exists()


def test_svg_draws_the_same_in_any_renderer_and_stays_finite(fast_window, qtbot,
                                                             tmp_path):
    import re

    field = fast_window.runs_dock.fields[0]["lr"]
    with qtbot.waitSignal(fast_window.playback_finished, timeout=20_000):
        field.edit.setText("0.05")  # gradient descent diverges
        field.edit.editingFinished.emit()
    path = tmp_path / "diverged.svg"
    assert fast_window.export_image(fast_window, str(path), fast_window.width())
    text = path.read_text()

    # Renderers without vector-effect (librsvg, cairosvg, ImageMagick) drew Qt's
    # non-scaling strokes dozens of pixels wide; the axes came out at 3/4 size.
    assert "non-scaling-stroke" not in text
    for group in re.findall(r'<g [^>]*transform="matrix\(([^)]*)\)"[^>]*>\s*<text', text):
        a, b, c, d = (float(v) for v in group.split(",")[:4])
        assert abs(a * d - b * c) == pytest.approx(1.0)  # text at its own size
    for data in re.findall(r' (?:d|points)="([^"]*)"', text):
        assert not re.search(r"nan|inf", data, re.IGNORECASE)
    ET.fromstring(path.read_bytes())
