"""Paints every item type the canvas uses, so a binding upgrade that crashes is caught.

PySide6 6.12.0 with pyqtgraph 0.14.0 aborted with "Fatal Python error: none_dealloc"
inside paint calls: a crash here stops the whole test run, which is the point.
"""

from PySide6.QtGui import QImage

from momentum_desktop.gui.export import export_image

from .conftest import play_to_end


def test_every_item_type_paints_into_an_image(fast_window, qtbot, tmp_path):
    play_to_end(qtbot, fast_window)
    pane = fast_window.canvas.panes[0]
    kinds = {type(item).__name__ for item in pane.plot.items}
    assert {"ImageItem", "PlotCurveItem", "ScatterPlotItem"} <= kinds

    images = [fast_window.grab().toImage(), fast_window.canvas.grab().toImage()]
    for name, widget in [("canvas.png", fast_window.canvas), ("window.svg", fast_window),
                         ("window.png", fast_window)]:
        export_image(widget, tmp_path / name, 900)
        if name.endswith(".png"):
            images.append(QImage(str(tmp_path / name)))

    for image in images:
        colours = {image.pixel(x, y) for x in range(0, image.width(), 7)
                   for y in range(0, image.height(), 7)}
        assert len(colours) > 50
