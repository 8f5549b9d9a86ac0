"""The contour canvas: panes over the same surface, view and colour scale.

Side by side, each run has a pane of its own and the views are linked; overlaid,
every run shares one pane and a legend names them.
"""

from __future__ import annotations

import html
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtWidgets import QGraphicsItem, QSizePolicy

from ..core.contours import ContourField
from ..core.simulation import RunState
from ..core.surfaces import Surface
from ..core.trajectory import Trajectory, decimate

__all__ = ["Canvas", "RunArtist", "SurfacePane", "anchor_legend"]

log = logging.getLogger(__name__)

MAX_DRAWN_POINTS = 4000
"""Most points of one trajectory drawn per frame; longer paths are thinned for drawing."""

MAX_DOTTED_POINTS = 400
"""Paths with more points than this are drawn as a line without a dot per step."""

COLORMAP = "viridis"
BACKGROUND = "#14161c"


@dataclass(frozen=True)
class RunLook:
    """How one run is named and drawn."""

    title: str
    color: str


class Readout(pg.LabelItem):
    """A label whose text never widens its column: long lines are cut at the edge.

    pyqtgraph's LabelItem makes its minimum width the width of its text, so a long
    readout or title in a narrow pane pushed the neighbouring panes off the canvas,
    or made panes of unequal widths.
    """

    def updateMin(self) -> None:  # noqa: N802 - pyqtgraph's name
        bounds = self.itemRect()
        self.setMinimumWidth(0)
        self.setMinimumHeight(bounds.height())
        self._sizeHint = {
            Qt.SizeHint.MinimumSize: (0, bounds.height()),
            Qt.SizeHint.PreferredSize: (0, bounds.height()),
            Qt.SizeHint.MaximumSize: (-1, -1),
            Qt.SizeHint.MinimumDescent: (0, 0),
        }
        self.updateGeometry()


class RunArtist:
    """The items that draw one run in a pane: its start, path, dots and current point."""

    def __init__(self, plot: pg.PlotItem, look: RunLook) -> None:
        self.look = look
        self.start = pg.ScatterPlotItem(symbol="o", size=12, brush=None)
        self.path = pg.PlotCurveItem(name=look.title)
        self.dots = pg.ScatterPlotItem(size=5, pen=None)
        self.current = pg.ScatterPlotItem(symbol="o", size=11, pen=pg.mkPen("w", width=1.5))
        self.set_look(look)
        for z, item in enumerate((self.start, self.path, self.dots, self.current)):
            item.setZValue(10 + z)
            plot.addItem(item)

        self.arrows = {
            "gradient": Arrow(plot, GRADIENT_COLOR),
            "velocity": Arrow(plot, VELOCITY_COLOR),
        }

    def show_arrows(self, trajectory: Trajectory, lr: float, length: float,
                    visible: bool) -> None:
        """Arrows at the current point: the step the gradient asks for (-lr g) and
        the step the velocity takes (-lr v).

        One scale holds for the whole run: the first gradient step is drawn
        ``length`` long, so a velocity that builds up grows and both shrink as the
        run settles. A single step is often too short to see; the arrows' directions
        and how their lengths change are the lesson. Arrows that would reach past
        ``MAX_ARROW_FACTOR`` times ``length`` are both shortened by the same factor.
        """
        if not visible or len(trajectory) == 0:
            for arrow in self.arrows.values():
                arrow.hide()
            return

        point = trajectory.positions[-1]
        vectors = {"gradient": -lr * trajectory.gradients[-1],
                   "velocity": -lr * trajectory.velocities[-1]}
        scale = _arrow_scale(vectors, lr * trajectory.gradients[0], length)
        for name, vector in vectors.items():
            self.arrows[name].show(point, vector * scale, MIN_ARROW_FACTOR * length)

    def set_look(self, look: RunLook) -> None:
        """Name and colour the run's items."""
        self.look = look
        self.start.setPen(pg.mkPen(look.color, width=2))
        self.path.setPen(pg.mkPen(look.color, width=2))
        self.path.opts["name"] = look.title
        self.dots.setBrush(pg.mkBrush(look.color))
        self.current.setBrush(pg.mkBrush(look.color))

    def set_start(self, start: tuple[float, float]) -> None:
        """Mark where the run begins."""
        self.start.setData([start[0]], [start[1]])

    def show(self, trajectory: Trajectory) -> None:
        """Draw the path so far and the current point."""
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

    def clear(self) -> None:
        """Remove the path, keeping the start mark."""
        self.path.setData([], [])
        self.dots.clear()
        self.current.clear()


GRADIENT_COLOR = "#00e5ff"
VELOCITY_COLOR = "#ffd60a"
ARROW_LEGEND = (f'<span style="color:{GRADIENT_COLOR}">&#8594; &minus;lr &middot; gradient'
                f'</span> &nbsp; <span style="color:{VELOCITY_COLOR}">&#8594; &minus;lr '
                "&middot; velocity</span>")


MAX_ARROW_FACTOR = 2.5
"""Longest arrow, in units of the first gradient step's drawn length."""

MIN_ARROW_FACTOR = 0.005
"""Arrows shorter than this (same units) are hidden: the run has settled."""


def _arrow_scale(vectors: dict[str, np.ndarray], first_step: np.ndarray,
                 length: float) -> float:
    """Plot units per unit of step, for a run's arrows; see RunArtist.show_arrows."""
    sizes = [float(np.hypot(*v)) for v in vectors.values() if np.all(np.isfinite(v))]
    longest = max(sizes, default=0.0)
    first = float(np.hypot(*first_step)) if np.all(np.isfinite(first_step)) else 0.0
    reference = first if first > 0 else longest  # a start at a stationary point
    if reference == 0:
        return 0.0

    scale = length / reference
    if longest * scale > MAX_ARROW_FACTOR * length:
        scale = MAX_ARROW_FACTOR * length / longest
    return scale


class Arrow:
    """A line from a point with a head at its tip; hidden when the vector is unknown."""

    def __init__(self, plot: pg.PlotItem, color: str) -> None:
        self.shaft = pg.PlotCurveItem(pen=pg.mkPen(color, width=2.5))
        self.head = pg.ArrowItem(headLen=12, tipAngle=35, tailLen=0, pen=None,
                                 brush=pg.mkBrush(color))
        for item in (self.shaft, self.head):
            item.setZValue(30)
            plot.addItem(item)
        self.hide()

    def show(self, origin: np.ndarray, vector: np.ndarray, shortest: float = 0.0) -> None:
        """Draw ``vector`` from ``origin``; nothing if it is unknown or shorter than
        ``shortest`` (or zero)."""
        length = float(np.hypot(*vector)) if np.all(np.isfinite(vector)) else 0.0
        if length == 0.0 or length < shortest:
            self.hide()
            return
        tip = origin + vector
        self.shaft.setData([origin[0], tip[0]], [origin[1], tip[1]])
        angle = math.degrees(math.atan2(vector[1], vector[0]))
        self.head.setStyle(angle=180 - angle)
        self.head.setPos(tip[0], tip[1])
        self.shaft.show()
        self.head.show()

    def hide(self) -> None:
        """Draw nothing."""
        self.shaft.hide()
        self.head.hide()


class SurfacePane:
    """One plot: the surface's shading, isolines and minima, and the runs drawn on it."""

    def __init__(self, layout: pg.GraphicsLayout, row: int, column: int,
                 looks: Sequence[RunLook], legend: bool) -> None:
        self.title = Readout(justify="center", size="11pt")
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        layout.addItem(self.title, row=row, col=column)
        self.plot: pg.PlotItem = layout.addPlot(row=row + 1, col=column)
        self.readout = Readout(justify="left", size="9pt")
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        layout.addItem(self.readout, row=row + 2, col=column)

        self.plot.setAspectLocked(True)
        self.plot.hideButtons()
        self.plot.setLabel("bottom", "x")
        self.plot.setLabel("left", "y")
        self.plot.getAxis("left").setWidth(48)  # tick labels must not resize the pane
        self.plot.vb.disableAutoRange()

        self.image = pg.ImageItem(axisOrder="row-major")
        self.isolines = pg.PlotCurveItem(connect="finite",
                                         pen=pg.mkPen(255, 255, 255, 70, width=1))
        self.minima = pg.ScatterPlotItem(symbol="star", size=18, pen=pg.mkPen("k", width=1),
                                         brush=pg.mkBrush("w"))
        for item, z in ((self.image, -10), (self.isolines, -5), (self.minima, 20)):
            item.setZValue(z)
            self.plot.addItem(item)
        # The surface never changes while runs stream: keep it as a pixmap instead
        # of redrawing the image and thousands of isoline points at every frame.
        for item in (self.image, self.isolines):
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

        self.legend = None
        if legend:
            self.legend = self.plot.addLegend(offset=(8, 8), labelTextSize="9pt",
                                              brush=pg.mkBrush(20, 22, 28, 200))
        self.artists = [RunArtist(self.plot, look) for look in looks]
        self.show_looks(looks)

        grid = layout.layout
        grid.setRowStretchFactor(row, 0)
        grid.setRowStretchFactor(row + 1, 1)
        grid.setRowStretchFactor(row + 2, 0)

    def show_looks(self, looks: Sequence[RunLook]) -> None:
        """Title a single run's pane, or list every run in the legend."""
        if self.legend is not None:
            self.legend.clear()
            for artist in self.artists:
                self.legend.addItem(artist.path, artist.look.title)
            return
        if len(looks) == 1:
            self.title.setText(html.escape(looks[0].title), color=looks[0].color)

    def set_field(self, field: ContourField, lookup: np.ndarray) -> None:
        """Show the surface: shading on the shared colour scale, and isolines.

        Each grid point is the centre of its image cell, so the image's rectangle
        reaches half a cell beyond the first and last grid lines.
        """
        x, y = field.x, field.y
        dx, dy = x[1] - x[0], y[1] - y[0]
        self.image.setImage(field.shade, lut=lookup, levels=field.shade_range(),
                            autoLevels=False)
        self.image.setRect(QRectF(x[0] - dx / 2, y[0] - dy / 2, dx * len(x), dy * len(y)))
        lines = field.joined_isolines()
        self.isolines.setData(lines[:, 0], lines[:, 1])

    def set_minima(self, surface: Surface) -> None:
        """Mark every known minimum."""
        self.minima.setData([m.x for m in surface.minima], [m.y for m in surface.minima])


class Canvas(pg.GraphicsLayoutWidget):
    """The panes, laid out side by side or overlaid; a click on a pane asks for a start."""

    start_clicked = Signal(float, float, int)
    """x, y, and the run whose pane was clicked (-1 in the overlaid pane)."""

    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        self.setBackground(BACKGROUND)
        self.ci.setSpacing(8)
        self.ci.setContentsMargins(6, 6, 6, 6)
        self.colormap = pg.colormap.get(COLORMAP)
        # The top of viridis is a bright yellow that drowns the isolines and the
        # orange run; stopping short of it keeps every trajectory readable.
        self._lookup = self.colormap.getLookupTable(start=0.0, stop=0.82, nPts=256)

        self.panes: list[SurfacePane] = []
        self.artists: list[RunArtist] = []
        self.layout_name = ""
        self._looks: list[RunLook] = []
        self._field: ContourField | None = None
        self._surface: Surface | None = None
        self._starts: list[tuple[float, float]] = []
        self.scene().sigMouseClicked.connect(self._on_click)

    def set_runs(self, titles: Sequence[str], colors: Sequence[str],
                 layout: str = "side_by_side") -> None:
        """Lay out one pane per run, or one pane for all; rebuilt only when it changes."""
        looks = [RunLook(t, c) for t, c in zip(titles, colors)]
        if looks == self._looks and layout == self.layout_name:
            return
        same_shape = len(looks) == len(self._looks) and layout == self.layout_name
        self._looks, self.layout_name = looks, layout
        if same_shape:
            self._restyle()
        else:
            self._rebuild()

    def set_surface(self, surface: Surface, field: ContourField) -> None:
        """Show a new surface in every pane and frame its domain."""
        self._surface, self._field = surface, field
        for pane in self.panes:
            pane.set_field(field, self._lookup)
            pane.set_minima(surface)
            _limit_zoom(pane.plot.vb, field.domain)
        self.frame_domain()

    def set_starts(self, starts: Sequence[tuple[float, float]]) -> None:
        """Mark each run's start; an overlaid pane's legend moves out of their way."""
        self._starts = list(starts)
        for artist, start in zip(self.artists, starts):
            artist.set_start(start)
        self._place_legend()

    def _place_legend(self) -> None:
        """Put the legend in the corner farthest from the starts and the minima,
        where the paths are least likely to run under it."""
        legend = self.panes[0].legend if self.panes else None
        if legend is None or self._field is None:
            return

        d = self._field.domain
        marks = [*self._starts, *((m.x, m.y) for m in self._surface.minima)]
        if not marks:
            return
        scale = np.array([d.x_max - d.x_min, d.y_max - d.y_min])
        points = np.array(marks) / scale

        def room(corner: tuple[float, float]) -> float:
            return float(np.linalg.norm(points - np.array(corner) / scale, axis=1).min())

        corners = {(0, 0): (d.x_min, d.y_max), (1, 0): (d.x_max, d.y_max),
                   (0, 1): (d.x_min, d.y_min), (1, 1): (d.x_max, d.y_min)}
        anchor_legend(legend, max(corners, key=lambda a: room(corners[a])), 8)

    def frame_domain(self) -> None:
        """Zoom every pane to the surface's domain; nothing ever zooms by itself."""
        if self._field is None:
            return
        d = self._field.domain
        for pane in self.panes:
            pane.plot.vb.disableAutoRange()
            pane.plot.setRange(xRange=(d.x_min, d.x_max), yRange=(d.y_min, d.y_max),
                               padding=0)

    def view_range(self) -> tuple[float, float, float, float] | None:
        """The part of the plane the first pane shows: x min, x max, y min, y max."""
        if not self.panes:
            return None
        (x_min, x_max), (y_min, y_max) = self.panes[0].plot.vb.viewRange()
        return (x_min, x_max, y_min, y_max)

    def set_view(self, view: tuple[float, float, float, float]) -> None:
        """Show that part of the plane in every pane.

        A view that misses the surface's domain, or is far larger or smaller than
        it (a file edited by hand, a stray zoom), frames the domain instead.
        """
        x_min, x_max, y_min, y_max = view
        if self._field is not None and not _view_fits(view, self._field.domain):
            log.info("saved view %s does not fit the surface; framing its domain", view)
            self.frame_domain()
            return
        for pane in self.panes:
            pane.plot.setRange(xRange=(x_min, x_max), yRange=(y_min, y_max), padding=0)

    def show_trajectories(self, trajectories: Sequence[Trajectory],
                          playing: bool = True,
                          learning_rates: Sequence[float] | None = None) -> None:
        """Redraw every run's path and the readouts; arrows if learning rates given."""
        length = 0.12 * self._field.domain.span if self._field is not None else 1.0
        for index, (artist, trajectory) in enumerate(zip(self.artists, trajectories)):
            artist.show(trajectory)
            lr = learning_rates[index] if learning_rates is not None else 0.0
            artist.show_arrows(trajectory, lr, length, learning_rates is not None)

        legend = ARROW_LEGEND if learning_rates is not None else ""
        if self.layout_name == "overlay" and self.panes:
            lines = [_readout(t, look, playing, named=True)
                     for t, look in zip(trajectories, self._looks) if len(t)]
            self.panes[0].readout.setText("<br>".join(lines + [legend] if legend
                                                      else lines))
            return
        for pane, trajectory, look in zip(self.panes, trajectories, self._looks):
            text = _readout(trajectory, look, playing) if len(trajectory) else ""
            pane.readout.setText(f"{text}<br>{legend}" if legend and text else text)

    def clear_trajectories(self) -> None:
        """Remove all paths, as before a restart."""
        for artist in self.artists:
            artist.clear()
        for pane in self.panes:
            pane.readout.setText("")

    def _rebuild(self) -> None:
        self.ci.clear()
        looks = self._looks
        if self.layout_name == "overlay":
            self.panes = [SurfacePane(self.ci, 0, 0, looks, legend=True)]
        else:
            columns = _columns(len(looks))
            self.panes = [
                SurfacePane(self.ci, 3 * (i // columns), i % columns, [look], legend=False)
                for i, look in enumerate(looks)
            ]
            # Equal columns whatever the titles' lengths: panes of different widths
            # would show different ranges of the same, aspect-locked surface.
            for column in range(columns):
                self.ci.layout.setColumnStretchFactor(column, 1)
                self.ci.layout.setColumnPreferredWidth(column, 1)
                self.ci.layout.setColumnMinimumWidth(column, 1)

        # Clearing the layout lets it shrink to its preferred size; fill the view again.
        self.ci.setGeometry(self.range)

        self.artists = [artist for pane in self.panes for artist in pane.artists]
        for pane in self.panes:
            pane.plot.vb.sigRangeChangedManually.connect(
                lambda *_, source=pane: self._follow(source)
            )
        if self._field is not None:
            self.set_surface(self._surface, self._field)
        self.set_starts(self._starts)

    def _restyle(self) -> None:
        """New titles and colours on the panes and artists already there."""
        for artist, look in zip(self.artists, self._looks):
            artist.set_look(look)
        for pane in self.panes:
            pane.show_looks([artist.look for artist in pane.artists])

    def _follow(self, source: SurfacePane) -> None:
        """Give every pane the view the user just panned or zoomed one pane to.

        pyqtgraph's own view linking is not used: with locked aspect ratios, panes
        of slightly different widths pass range changes back and forth, and the
        views zoom out a little more with each pass.
        """
        x_range, y_range = source.plot.vb.viewRange()
        for pane in self.panes:
            if pane is not source:
                pane.plot.setRange(xRange=x_range, yRange=y_range, padding=0)

    def _on_click(self, event: object) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.double():
            return

        for index, pane in enumerate(self.panes):
            box = pane.plot.vb
            if box.sceneBoundingRect().contains(event.scenePos()):
                point: QPointF = box.mapSceneToView(event.scenePos())
                log.debug("start picked at (%g, %g)", point.x(), point.y())
                run = index if self.layout_name != "overlay" else -1
                self.start_clicked.emit(point.x(), point.y(), run)
                event.accept()
                return


def anchor_legend(legend: pg.LegendItem, corner: tuple[int, int],
                  margin: float) -> None:
    """Put ``legend`` in a corner of its plot, ``margin`` pixels in from the edges.

    ``corner`` is (0 left or 1 right, 0 top or 1 bottom).
    """
    offset = (margin if corner[0] == 0 else -margin,
              margin if corner[1] == 0 else -margin)
    legend.anchor(itemPos=corner, parentPos=corner, offset=offset)


VIEW_ZOOM_LIMITS = (1e-4, 20.0)
"""A view's spans may be from this small a part of the domain's to this many times it."""


def _limit_zoom(view: pg.ViewBox, domain: object) -> None:
    """Let the wheel zoom and the mouse pan only within VIEW_ZOOM_LIMITS of the
    domain: far beyond them the surface is a dot (or one cell), and at about 1e250
    times pyqtgraph's ranges overflow."""
    low, high = VIEW_ZOOM_LIMITS
    x_span, y_span = domain.x_max - domain.x_min, domain.y_max - domain.y_min
    margin = high / 2  # panning stops where the widest view would lose the domain
    view.setLimits(minXRange=low * x_span, maxXRange=high * x_span,
                   minYRange=low * y_span, maxYRange=high * y_span,
                   xMin=domain.x_min - margin * x_span,
                   xMax=domain.x_max + margin * x_span,
                   yMin=domain.y_min - margin * y_span,
                   yMax=domain.y_max + margin * y_span)


def _view_fits(view: tuple[float, float, float, float], domain: object) -> bool:
    """Whether ``view`` overlaps ``domain`` and its spans are within VIEW_ZOOM_LIMITS."""
    x_min, x_max, y_min, y_max = view
    overlaps = x_min < domain.x_max and x_max > domain.x_min \
        and y_min < domain.y_max and y_max > domain.y_min
    spans = ((x_max - x_min) / (domain.x_max - domain.x_min),
             (y_max - y_min) / (domain.y_max - domain.y_min))
    low, high = VIEW_ZOOM_LIMITS
    return overlaps and all(low <= s <= high for s in spans)


def _columns(count: int) -> int:
    """Panes per row: up to three in one row, then two rows."""
    return count if count <= 3 else math.ceil(count / 2)


def _readout(trajectory: Trajectory, look: RunLook, playing: bool,
             named: bool = False) -> str:
    step = len(trajectory) - 1
    x, y = trajectory.positions[-1]
    loss = trajectory.losses[-1]
    status = trajectory.status
    if status.state is RunState.RUNNING:
        words = "running" if playing else ("ready: press Play" if step == 0 else "paused")
    else:
        words = status.describe()

    if named:  # one line per run under the overlaid pane
        name = f'<span style="color:{look.color}">{html.escape(look.title)}</span>'
        return (f"{name} &nbsp; step {step} &nbsp; x = {x:.4g} &nbsp; y = {y:.4g} &nbsp; "
                f"loss = {loss:.4g} &nbsp; <b>{words}</b>")
    return (f"step {step} &nbsp; x = {x:.4g} &nbsp; y = {y:.4g}<br>"
            f"loss = {loss:.4g} &nbsp; <b>{words}</b>")
