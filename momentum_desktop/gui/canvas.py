"""The contour canvas: one pane per run over the same surface, view and colour scale."""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal

from ..core.contours import ContourField
from ..core.surfaces import Surface
from ..core.trajectory import Trajectory, decimate

__all__ = ["Canvas", "RunPane"]

log = logging.getLogger(__name__)

MAX_DRAWN_POINTS = 4000
"""Most points of one trajectory drawn per frame; longer paths are thinned for drawing."""

MAX_DOTTED_POINTS = 400
"""Paths with more points than this are drawn as a line without a dot per step."""

COLORMAP = "viridis"
BACKGROUND = "#14161c"


class RunPane:
    """One plot of the canvas: contour image, isolines, minima, start and a run."""

    def __init__(self, layout: pg.GraphicsLayout, column: int) -> None:
        self.plot: pg.PlotItem = layout.addPlot(row=0, col=column)
        self.readout = pg.LabelItem(justify="left", size="9pt")
        layout.addItem(self.readout, row=1, col=column)

        self.plot.setAspectLocked(True)
        self.plot.setMenuEnabled(True)
        self.plot.hideButtons()
        self.plot.showGrid(x=False, y=False)
        self.plot.setLabel("bottom", "x")
        self.plot.setLabel("left", "y")

        self.image = pg.ImageItem(axisOrder="row-major")
        self.isolines = pg.PlotCurveItem(
            connect="finite", pen=pg.mkPen(255, 255, 255, 70, width=1)
        )
        self.minima = pg.ScatterPlotItem(
            symbol="star", size=18, pen=pg.mkPen("k", width=1), brush=pg.mkBrush("w")
        )
        self.start = pg.ScatterPlotItem(
            symbol="o", size=12, pen=pg.mkPen("w", width=2), brush=None
        )
        self.path = pg.PlotCurveItem()
        self.dots = pg.ScatterPlotItem(size=5, pen=None)
        self.current = pg.ScatterPlotItem(symbol="o", size=11, pen=pg.mkPen("w", width=1.5))

        for item in (self.image, self.isolines, self.minima, self.start,
                     self.path, self.dots, self.current):
            self.plot.addItem(item)
        self.image.setZValue(-10)
        self.isolines.setZValue(-5)
        self.minima.setZValue(20)

    def set_run(self, title: str, color: str) -> None:
        """Name the pane and colour its trajectory."""
        self.plot.setTitle(html.escape(title), color=color, size="11pt")
        self.path.setPen(pg.mkPen(color, width=2))
        self.dots.setBrush(pg.mkBrush(color))
        self.current.setBrush(pg.mkBrush(color))

    def set_field(self, field: ContourField, lookup: np.ndarray,
                  levels: tuple[float, float], isolines: np.ndarray) -> None:
        """Show the surface: shading on the shared colour scale, and isolines."""
        x, y = field.x, field.y
        dx, dy = x[1] - x[0], y[1] - y[0]
        self.image.setImage(field.shade, lut=lookup, levels=levels, autoLevels=False)
        self.image.setRect(QRectF(x[0] - dx / 2, y[0] - dy / 2,
                                  dx * len(x), dy * len(y)))
        self.isolines.setData(isolines[:, 0], isolines[:, 1])

    def set_minima(self, surface: Surface) -> None:
        """Mark every known minimum."""
        self.minima.setData([m.x for m in surface.minima], [m.y for m in surface.minima])

    def set_start(self, start: tuple[float, float]) -> None:
        """Mark where the run begins."""
        self.start.setData([start[0]], [start[1]])

    def show(self, trajectory: Trajectory) -> None:
        """Draw the path so far, the current point and the readout."""
        if len(trajectory) == 0:
            self.clear()
            return

        drawn = decimate(trajectory.positions, MAX_DRAWN_POINTS)
        self.path.setData(drawn[:, 0], drawn[:, 1])
        if len(drawn) <= MAX_DOTTED_POINTS:
            self.dots.setData(drawn[:, 0], drawn[:, 1])
        else:
            self.dots.clear()

        x, y = trajectory.positions[-1]
        self.current.setData([x], [y])
        self.readout.setText(_readout_text(trajectory))

    def clear(self) -> None:
        """Remove the trajectory, keeping the surface."""
        self.path.setData([], [])
        self.dots.clear()
        self.current.clear()
        self.readout.setText("")


class Canvas(pg.GraphicsLayoutWidget):
    """Side-by-side panes with linked views; a click on a pane asks for a new start."""

    start_clicked = Signal(float, float)

    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        self.setBackground(BACKGROUND)
        self.ci.setSpacing(8)
        self.ci.setContentsMargins(6, 6, 6, 6)
        self.panes: list[RunPane] = []
        self.colormap = pg.colormap.get(COLORMAP)
        # The top of viridis is a bright yellow that drowns the isolines and the
        # orange run; stopping short of it keeps every trajectory readable.
        self._lookup = self.colormap.getLookupTable(start=0.0, stop=0.82, nPts=256)

        self._field: ContourField | None = None
        self._surface: Surface | None = None
        self._start: tuple[float, float] | None = None
        self.scene().sigMouseClicked.connect(self._on_click)

    def set_runs(self, titles: Sequence[str], colors: Sequence[str]) -> None:
        """One pane per run, in order, rebuilt only when the count changes."""
        if len(titles) != len(self.panes):
            self._rebuild(len(titles))

        for pane, title, color in zip(self.panes, titles, colors):
            pane.set_run(title, color)

    def set_surface(self, surface: Surface, field: ContourField) -> None:
        """Show a new surface in every pane and frame its domain."""
        self._surface, self._field = surface, field
        for pane in self.panes:
            self._draw_surface(pane)
        self.frame_domain()

    def set_start(self, start: tuple[float, float]) -> None:
        """Mark the shared start in every pane."""
        self._start = start
        for pane in self.panes:
            pane.set_start(start)

    def frame_domain(self) -> None:
        """Zoom every pane to the surface's domain."""
        if self._field is None or not self.panes:
            return
        d = self._field.domain
        self.panes[0].plot.setRange(xRange=(d.x_min, d.x_max), yRange=(d.y_min, d.y_max),
                                    padding=0)

    def show_trajectories(self, trajectories: Sequence[Trajectory]) -> None:
        """Redraw every pane's path from its trajectory."""
        for pane, trajectory in zip(self.panes, trajectories):
            pane.show(trajectory)

    def clear_trajectories(self) -> None:
        """Remove all paths, as before a restart."""
        for pane in self.panes:
            pane.clear()

    def _rebuild(self, count: int) -> None:
        self.ci.clear()
        self.panes = [RunPane(self.ci, column) for column in range(count)]

        for pane in self.panes[1:]:
            pane.plot.setXLink(self.panes[0].plot)
            pane.plot.setYLink(self.panes[0].plot)
        for pane in self.panes:
            if self._field is not None:
                self._draw_surface(pane)
            if self._start is not None:
                pane.set_start(self._start)
        self.frame_domain()

    def _draw_surface(self, pane: RunPane) -> None:
        field = self._field
        pane.set_field(field, self._lookup, field.shade_range(), field.joined_isolines())
        pane.set_minima(self._surface)

    def _on_click(self, event: object) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.double():
            return

        for pane in self.panes:
            box = pane.plot.vb
            if box.sceneBoundingRect().contains(event.scenePos()):
                point: QPointF = box.mapSceneToView(event.scenePos())
                log.debug("start picked at (%g, %g)", point.x(), point.y())
                self.start_clicked.emit(point.x(), point.y())
                event.accept()
                return


def _readout_text(trajectory: Trajectory) -> str:
    step = len(trajectory) - 1
    x, y = trajectory.positions[-1]
    loss = trajectory.losses[-1]
    return (
        f"step {step} &nbsp; x = {x:.4g} &nbsp; y = {y:.4g} &nbsp; "
        f"loss = {loss:.4g} &nbsp; <b>{trajectory.status.describe()}</b>"
    )
