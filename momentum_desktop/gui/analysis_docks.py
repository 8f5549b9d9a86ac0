"""Docks that show why: loss curves, a results table, and the quadratic's theory."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QKeySequence, QPen, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..core.parameters import Parameter
from ..core.session import Session
from ..core.surfaces import Surface
from ..core.theory import measured_rate, nearest_minimum, predicted_rate, theory_for
from ..core.trajectory import Trajectory, decimated_indices
from .canvas import MAX_DRAWN_POINTS, anchor_legend
from .docks import scrolled
from .fields import NumberField

__all__ = ["LossDock", "ResultsDock", "TheoryDock", "run_metrics"]

METRICS = {
    "loss": "loss above the minimum",
    "distance": "distance to the nearest minimum",
    "gradient": "gradient norm",
}
TOLERANCE = Parameter("tolerance", "tolerance", 1e-8, 0.0, min_inclusive=False,
                      description="A run has reached the minimum once its loss is "
                                  "within this of the minimum's value.")
FLOOR = 1e-300
"""Values at or below zero are drawn at this floor on the log scales."""
PLOT_BACKGROUND = "#14161c"
EMPTY_RANGE = (-8.0, 2.0)
"""The loss plot's vertical range (log10) before the runs have taken a step."""


class SolidGridAxis(pg.AxisItem):
    """An axis that draws its grid lines opaque, under the curves.

    Qt's raster engine draws translucent lines about 30 times slower than opaque
    ones, and pyqtgraph draws its grid as translucent lines, often several on the
    same spot (a decade is a tick of every level on a log axis): that made each
    repaint of the loss plot take about 50 ms, a stall in the animation each time
    the plot refreshed. Here each spot is drawn once, in the colour the stacked
    translucent lines give on the plot's background, which looks the same; the
    grid sits under the curves instead of tinting them (see `under_the_curves`).
    """

    def drawPicture(self, p, axisSpec, tickSpecs, textSpecs) -> None:  # noqa: N802, N803
        lines: dict[tuple, tuple[QPen, float]] = {}
        for pen, start, end in tickSpecs:
            key = (start.x(), start.y(), end.x(), end.y())
            alpha = pen.color().alphaF()
            if key in lines:
                first, clear = lines[key]
                lines[key] = (first, clear * (1 - alpha))
            else:
                lines[key] = (pen, 1 - alpha)

        solid = [(_over_background(pen, 1 - clear), pg.Point(x0, y0), pg.Point(x1, y1))
                 for (x0, y0, x1, y1), (pen, clear) in lines.items()]
        super().drawPicture(p, axisSpec, solid, textSpecs)


def under_the_curves(plot: pg.PlotWidget) -> None:
    """Put ``plot``'s axes, and so their grid, under its curves."""
    for side in ("left", "bottom"):
        plot.getAxis(side).setZValue(-1)  # pyqtgraph puts axes at 0.5, curves at 0


def _over_background(pen: QPen, alpha: float) -> QPen:
    """``pen`` made opaque: its colour at ``alpha`` over the plot's background."""
    color, background = pen.color(), QColor(PLOT_BACKGROUND)
    blended = QColor.fromRgbF(
        alpha * color.redF() + (1 - alpha) * background.redF(),
        alpha * color.greenF() + (1 - alpha) * background.greenF(),
        alpha * color.blueF() + (1 - alpha) * background.blueF(),
    )
    solid = QPen(pen)
    solid.setColor(blended)
    return solid


def run_metrics(trajectory: Trajectory, surface: Surface, metric: str,
                steps: np.ndarray | None = None) -> np.ndarray:
    """One value per recorded step (or per one of ``steps``): the loss gap, the
    distance or the gradient norm."""
    pick = slice(None) if steps is None else steps
    if metric == "gradient":
        return np.linalg.norm(trajectory.gradients[pick], axis=1)
    if not surface.minima:
        return trajectory.losses[pick].copy()
    if metric == "distance":
        points = np.array([[m.x, m.y] for m in surface.minima])
        gaps = trajectory.positions[pick][:, None, :] - points[None, :, :]
        return np.linalg.norm(gaps, axis=2).min(axis=1)
    return trajectory.losses[pick] - min(m.value for m in surface.minima)


class LossDock(QDockWidget):
    """Loss (or distance, or gradient norm) against step for every run, log scale."""

    def __init__(self) -> None:
        super().__init__("Loss")
        self.setObjectName("loss_dock")
        self.metric_choice = QComboBox()
        for key, words in METRICS.items():
            self.metric_choice.addItem(words, key)
        self.metric_choice.currentIndexChanged.connect(lambda _: self._redraw())

        self.plot = pg.PlotWidget(background=PLOT_BACKGROUND, axisItems={
            side: SolidGridAxis(side) for side in ("left", "bottom")})
        under_the_curves(self.plot)
        self.plot.setLogMode(y=True)
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setLabel("bottom", "step")
        # Bottom left, where falling curves seldom are; an opaque box, so that a
        # curve passes under the legend, never through its words.
        self.plot.addLegend(offset=(10, -10), labelTextSize="8pt",
                            brush=pg.mkBrush(20, 22, 28, 230),
                            pen=pg.mkPen(255, 255, 255, 40))
        self.marker = pg.InfiniteLine(angle=90, pen=pg.mkPen("#cccccc", width=1))
        self.plot.addItem(self.marker)
        self.curves: list[pg.PlotDataItem] = []
        self._titles: list[str] = []
        self._fit_when_drawn = False

        top = QHBoxLayout()
        top.addWidget(QLabel("show"))
        top.addWidget(self.metric_choice, 1)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.plot)
        self.setWidget(body)
        self._state: tuple | None = None

    def show_runs(self, session: Session, surface: Surface,
                  trajectories: Sequence[Trajectory], step: int) -> None:
        """Draw every run's curve and mark ``step``."""
        self._state = (session, surface, trajectories, step)
        self._redraw()

    def _redraw(self) -> None:
        if self._state is None:
            return
        session, surface, trajectories, step = self._state
        metric = self.metric_choice.currentData()
        linear = metric != "gradient" and not surface.minima
        self.plot.setLogMode(y=not linear)
        self.plot.setLabel("left", "loss" if linear else METRICS[metric])

        titles = [run.title() for run in session.runs]
        if titles != self._titles:  # new runs, or new settings in a run's name
            for curve in self.curves:
                self.plot.removeItem(curve)
            self.curves = [self.plot.plot(name=title) for title in titles]
            self._titles = titles
        if self._fit_when_drawn and any(len(t) > 1 for t in trajectories):
            self.plot.getPlotItem().vb.enableAutoRange(axis=pg.ViewBox.YAxis)
            self._fit_when_drawn = False
        for index, (curve, trajectory) in enumerate(zip(self.curves, trajectories)):
            curve.setPen(pg.mkPen(session.color_of(index), width=2))
            if len(trajectory) == 0:
                curve.setData([], [])
                continue
            # Only the points drawn: a million-step run is thinned to 4,000, and
            # working out all of them five times a second stalled the animation.
            steps = decimated_indices(len(trajectory), MAX_DRAWN_POINTS)
            values = run_metrics(trajectory, surface, metric, steps)
            if not linear:
                values = np.maximum(values, FLOOR)
            curve.setData(steps, values)  # step k is point k
        self.marker.setValue(step)

    def place_legend(self) -> None:
        """Move the legend to the corner of the plot where the fewest curve points
        lie under it (falling curves leave different corners free)."""
        item = self.plot.getPlotItem()
        legend, view = item.legend, item.vb
        view.updateAutoRange()  # pyqtgraph fits new data only when it next paints
        box = legend.sceneBoundingRect()
        area = view.sceneBoundingRect()
        if box.isEmpty() or area.isEmpty():
            return

        points = [view.mapViewToScene(pg.Point(x, y)) for curve in self.curves
                  for x, y in _sample(curve)]
        margin = 10

        def covered(anchor: tuple[int, int]) -> int:
            left = area.left() + margin if anchor[0] == 0 \
                else area.right() - margin - box.width()
            top = area.top() + margin if anchor[1] == 0 \
                else area.bottom() - margin - box.height()
            spot = QRectF(left, top, box.width(), box.height())
            return sum(spot.contains(point) for point in points)

        corners = ((0, 1), (1, 0), (0, 0), (1, 1))  # bottom left first, as at start
        anchor_legend(legend, min(corners, key=covered), margin)

    def frame_steps(self, steps: int) -> None:
        """Span the steps to come, so the curves grow into a fixed frame. Until the
        runs have taken a step the vertical range is a few decades; then it follows
        the curves until the user zooms (one point alone made a sliver of a range)."""
        view = self.plot.getPlotItem().vb
        view.disableAutoRange()
        self.plot.setXRange(0, steps, padding=0.02)
        self.plot.setYRange(*EMPTY_RANGE, padding=0)
        self._fit_when_drawn = True


def _sample(curve: pg.PlotDataItem, count: int = 200) -> list[tuple[float, float]]:
    """About ``count`` of a curve's points, in the plot's coordinates (log10 of the
    value on a log axis, as pyqtgraph holds them)."""
    x, y = curve.getData()
    if x is None or len(x) == 0:
        return []
    every = max(1, len(x) // count)
    keep = np.isfinite(y[::every])
    return list(zip(x[::every][keep].tolist(), y[::every][keep].tolist()))


class ResultsDock(QDockWidget):
    """Per run: status, steps to reach the tolerance, final loss, distance to minimum."""

    COLUMNS = ("run", "status", "steps to tolerance", "final loss",
               "distance to minimum")

    def __init__(self) -> None:
        super().__init__("Results")
        self.setObjectName("results_dock")
        self.tolerance = NumberField(TOLERANCE, TOLERANCE.default)
        self.tolerance.value_committed.connect(lambda _: self._refill())
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.setSortingEnabled(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        copy = QPushButton("Copy table")
        copy.setToolTip("Copy the whole table as tab-separated text (Ctrl+C copies "
                        "the selected cells).")
        copy.clicked.connect(self.copy_all)
        QShortcut(QKeySequence.StandardKey.Copy, self.table, self.copy_selection)

        form = QFormLayout()
        form.addRow("tolerance", self.tolerance)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(form)
        layout.addWidget(self.table)
        layout.addWidget(copy, alignment=Qt.AlignmentFlag.AlignLeft)
        self.setWidget(body)
        self._state: tuple | None = None

    def show_runs(self, session: Session, surface: Surface,
                  trajectories: Sequence[Trajectory]) -> None:
        """Fill the table from the runs as they stand."""
        self._state = (session, surface, trajectories)
        self._refill()

    def rows(self) -> list[list[object]]:
        """The table's values, run by run, as shown (before sorting)."""
        if self._state is None:
            return []
        session, surface, trajectories = self._state
        tolerance = self.tolerance.value
        rows = []
        for run, trajectory, spec in zip(session.runs, trajectories, session.run_specs()):
            if len(trajectory) == 0:
                continue
            minimum = nearest_minimum(surface, spec.start)
            reached = None
            distance = math.nan
            if minimum is not None:
                hits = np.flatnonzero(trajectory.losses - minimum.value <= tolerance)
                reached = int(hits[0]) if hits.size else None
                distance = float(np.hypot(*(trajectory.positions[-1]
                                            - (minimum.x, minimum.y))))
            rows.append([run.title(), trajectory.status.describe(), reached,
                         float(trajectory.losses[-1]), distance])
        return rows

    def copy_all(self) -> str:
        """Put the whole table on the clipboard as tab-separated text."""
        lines = ["\t".join(self.COLUMNS)]
        for row in range(self.table.rowCount()):
            lines.append("\t".join(self.table.item(row, c).text()
                                   for c in range(self.table.columnCount())))
        text = "\n".join(lines)
        QGuiApplication.clipboard().setText(text)
        return text

    def copy_selection(self) -> None:
        """Put the selected cells on the clipboard, rows by lines, tabs between."""
        cells = sorted((i.row(), i.column(), i.text()) for i in self.table.selectedItems())
        lines: dict[int, list[str]] = {}
        for row, _, text in cells:
            lines.setdefault(row, []).append(text)
        QGuiApplication.clipboard().setText("\n".join("\t".join(v) for v in lines.values()))

    def _refill(self) -> None:
        rows = self.rows()
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(rows))
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                self.table.setItem(r, c, _item(value))
        self.table.setSortingEnabled(True)
        self.table.resizeColumnsToContents()


class TheoryDock(QDockWidget):
    """The quadratic's theory at the valley (or, locally, at the nearest minimum)."""

    apply_optimal = Signal(int)

    def __init__(self) -> None:
        super().__init__("Theory")
        self.setObjectName("theory_dock")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.runs = QGridLayout()
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.summary)
        layout.addLayout(self.runs)
        layout.addStretch(1)
        self.setWidget(scrolled(body))
        self.theory = None
        self.buttons: list[QPushButton] = []
        self.rate_labels: list[QLabel] = []

    def show_runs(self, session: Session, surface: Surface,
                  trajectories: Sequence[Trajectory]) -> None:
        """Show the theory's numbers, and each run's predicted and measured rates."""
        self.theory = theory_for(surface, session.start_point())
        self.summary.setText(_theory_text(self.theory))
        self._rebuild(session, trajectories)

    def _rebuild(self, session: Session, trajectories: Sequence[Trajectory]) -> None:
        while self.runs.count():
            widget = self.runs.takeAt(0).widget()
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        self.buttons, self.rate_labels = [], []
        if self.theory is None:
            return

        minimum = self.theory.point
        value = None
        for index, (run, trajectory) in enumerate(zip(session.runs, trajectories)):
            predicted = predicted_rate(self.theory.eigenvalues, run.optimizer,
                                       run.hyperparameters)
            if value is None:
                value = _minimum_value(session, minimum)
            measured = measured_rate(trajectory.losses, value) if len(trajectory) > 5 \
                else None
            name = QLabel(f'<span style="color:{session.color_of(index)}">'
                          f"{html.escape(run.title())}</span>")
            rates = QLabel(f"rate predicted {_number(predicted)}, "
                           f"measured {_number(measured)}")
            for label in (name, rates):  # a narrow dock wraps them, never clips
                label.setWordWrap(True)
            button = QPushButton("Apply optimal")
            button.setEnabled(run.optimizer in ("gd", "momentum", "nesterov"))
            button.setToolTip("Set this run's learning rate (and momentum rate) to the "
                              "theory's best values.")
            button.clicked.connect(lambda _=False, i=index: self.apply_optimal.emit(i))
            self.runs.addWidget(name, 2 * index, 0, 1, 2)
            self.runs.addWidget(rates, 2 * index + 1, 0)
            self.runs.addWidget(button, 2 * index + 1, 1)
            self.buttons.append(button)
            self.rate_labels.append(rates)


def _theory_text(theory: object) -> str:
    if theory is None:
        return ("No quadratic theory here: the surface lists no minimum, or its "
                "Hessian there is not positive definite.")
    low, high = theory.eigenvalues
    where = (f"<i>Local theory: the Hessian at the minimum ({theory.point[0]:.4g}, "
             f"{theory.point[1]:.4g}); it holds near there.</i><br>" if theory.local
             else "")
    return (
        f"{where}eigenvalues {low:.4g} and {high:.4g}, condition number "
        f"&kappa; = {theory.condition_number:.4g}<br>"
        f"<b>Gradient descent</b>: best lr 2/(&lambda;min+&lambda;max) = "
        f"{theory.gd_best_lr:.4g}, rate (&kappa;&minus;1)/(&kappa;+1) = "
        f"{theory.gd_best_rate:.4g}<br>"
        f"<b>Momentum</b>: best lr (2/(&radic;&lambda;min+&radic;&lambda;max))&sup2; = "
        f"{theory.momentum_best_lr:.4g}, best momentum rate "
        f"((&radic;&kappa;&minus;1)/(&radic;&kappa;+1))&sup2; = "
        f"{theory.momentum_best_momentum:.4g}, rate (&radic;&kappa;&minus;1)/"
        f"(&radic;&kappa;+1) = {theory.momentum_best_rate:.4g}. At these settings "
        "each direction has a double root, so the distance falls as k&middot;rate<sup>k"
        "</sup>, not rate<sup>k</sup>: to reach a tolerance in few steps a slightly "
        "larger momentum rate often does better (the map shows where).<br>"
        "Rates are per step, of the distance to the minimum; where the roots are "
        "complex their modulus is &radic;momentum."
    )


def _minimum_value(session: Session, point: tuple[float, float]) -> float:
    surface = session.make_surface()
    return float(surface.value(np.array(point[0]), np.array(point[1])))


def _number(value: float | None) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.4g}"


def _item(value: object) -> QTableWidgetItem:
    item = QTableWidgetItem()
    if value is None:
        item.setText("not reached")
    elif isinstance(value, (int, float)):
        item.setData(Qt.ItemDataRole.DisplayRole, value if not isinstance(value, float)
                     or math.isfinite(value) else "n/a")
    else:
        item.setText(str(value))
    return item
