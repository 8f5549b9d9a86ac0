"""The (learning rate, momentum rate) map dock: steps to the tolerance, per cell.

The map is computed by the core's :func:`compute_map` in a worker thread of its own;
the dock draws the partial results as they arrive. A marker shows the chosen run's
setting; dragging it, or clicking a cell, asks the window to apply that setting.

The owner must call :meth:`RateMapDock.shutdown` before it goes (the main window does
so from its ``closeEvent``): a QThread destroyed while it runs aborts the program.
"""

from __future__ import annotations

import html
import logging
import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QObject,
    QPointF,
    QRectF,
    Qt,
    QThread,
    Signal,
    Slot,
)
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ..core.optimizers import OPTIMIZERS, check_hyperparameters
from ..core.parameters import Parameter, ParameterError
from ..core.rate_map import (
    MOMENTUM_AXES,
    MapProgress,
    MapRequest,
    MapResult,
    compute_map,
    default_grid,
    predicted_rate_map,
)
from ..core.session import RunConfig, Session
from ..core.simulation import DEFAULT_TOLERANCE
from ..core.surfaces import Surface
from ..core.theory import LINEAR_OPTIMIZERS, theory_for
from .docks import scrolled
from .fields import NumberField

__all__ = [
    "LR_COUNT",
    "MAP_STEPS",
    "MOMENTUM_COUNT",
    "TOLERANCE",
    "MapWorker",
    "RateMapDock",
    "RateMapRunner",
]

log = logging.getLogger(__name__)

LR_COUNT = Parameter(
    "lr_count", "learning rates", 100, 2, 500, integer=True,
    description="How many learning rates the map has: its columns, log-spaced.",
)
MOMENTUM_COUNT = Parameter(
    "momentum_count", "momentum rates", 100, 2, 500, integer=True,
    description="How many momentum rates the map has: its rows, evenly spaced.",
)
MAP_STEPS = Parameter(
    "map_steps", "steps", 1000, 1, 1_000_000, integer=True,
    description="Most steps each cell's run takes before it counts as not reaching "
                "the tolerance.",
)
TOLERANCE = Parameter(
    "tolerance", "tolerance", DEFAULT_TOLERANCE, 0.0, 1e6, min_inclusive=False,
    description="A cell reaches the minimum at the first step where its loss is "
                "within this of the minimum's.",
)

FRAME_SECONDS = 1.0 / 30.0
"""Partial maps reach the GUI at most this often; the last one always does."""

CELL_STEPS_PER_CHUNK = 1_000_000
"""Cell-steps per chunk of the map, a few tens of milliseconds of numpy work, so that a
cancel is noticed quickly whatever the grid's size."""

STOPPED = -1
"""The generation that no map has: setting it stops whatever is computing."""

BACKGROUND = "#14161c"
COLORMAP = "viridis"
NOT_REACHED_COLOR = "#9aa0a6"
DIVERGED_COLOR = "#b8413b"
BEST_COLOR = "#ffffff"
SLOWEST = 8.0
"""Predicted rates within 1e-8 of 1 are coloured as 1 - 1e-8."""
MARKER_SIZE = 18
"""The run's marker, in pixels; a click this close to its centre is not a cell's."""

READOUT_HINT = "Point at a cell to read its settings and steps."


COLOR_MODES = {
    "steps": "Steps to the tolerance",
    "predicted": "Predicted rate (quadratic theory)",
}


class MapWorker(QObject):
    """Iterates :func:`compute_map` inside a QThread.

    The GUI thread talks to it through queued signals and one plain attribute, the
    wanted generation; a map whose generation is no longer wanted stops between
    chunks. ``busy`` says whether it is inside a map now.
    """

    progressed = Signal(int, object)
    computed = Signal(int, object)
    failed = Signal(int, str)

    def __init__(self) -> None:
        super().__init__()
        self.wanted_generation = STOPPED
        self.busy = False

    @Slot(int, object, int)
    def run(self, generation: int, request: MapRequest, chunk_steps: int) -> None:
        """Compute one map, emitting partial results at most once per frame."""
        if generation != self.wanted_generation:
            return

        self.busy = True
        try:
            result = self._compute(generation, request, chunk_steps)
        except Exception as error:  # a bug in a surface or an optimizer
            log.exception("rate map %d failed", generation)
            self.busy = False
            self.failed.emit(generation, f"{type(error).__name__}: {error}")
            return

        self.busy = False
        if result is not None:
            self.computed.emit(generation, result)

    def _compute(self, generation: int, request: MapRequest,
                 chunk_steps: int) -> MapResult | None:
        """The whole map, or None once its generation is no longer wanted."""
        maps = compute_map(request, chunk_steps)
        last_emit = -math.inf
        progress: MapProgress | None = None

        for progress in maps:
            if generation != self.wanted_generation:
                maps.close()
                return None
            due = time.monotonic() - last_emit >= FRAME_SECONDS
            if due or progress.result.complete:
                self.progressed.emit(generation, progress)
                last_emit = time.monotonic()

        return progress.result


class RateMapRunner(QObject):
    """The GUI thread's handle on the map worker: start, cancel, shut down.

    Every start gets a new generation number; results of older generations are
    dropped here, so the dock only ever sees the map it asked for last. The thread
    starts with the first map.
    """

    progressed = Signal(object)
    computed = Signal(object)
    failed = Signal(str)
    _start_requested = Signal(int, object, int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.generation = 0

        self._thread = QThread()
        self._thread.setObjectName("rate map")
        self._worker = MapWorker()
        self._worker.moveToThread(self._thread)

        self._start_requested.connect(self._worker.run)
        self._worker.progressed.connect(self._on_progress)
        self._worker.computed.connect(self._on_computed)
        self._worker.failed.connect(self._on_failed)

    @property
    def running(self) -> bool:
        """Whether the worker thread is alive."""
        return self._thread.isRunning()

    @property
    def busy(self) -> bool:
        """Whether the worker is inside a map (a cancelled one stops within a chunk)."""
        return self._worker.busy

    def start(self, request: MapRequest) -> int:
        """Cancel whatever computes and compute ``request``; returns its generation."""
        self.generation += 1
        self._worker.wanted_generation = self.generation
        if not self._thread.isRunning():
            self._thread.start()

        self._start_requested.emit(self.generation, request, chunk_steps_for(request))
        return self.generation

    def cancel(self) -> None:
        """Stop the current map; nothing more of it arrives."""
        self.generation += 1
        self._worker.wanted_generation = STOPPED

    def shutdown(self, timeout_ms: int = 2000) -> bool:
        """Cancel, end the thread and wait for it; True if it ended in time."""
        self.cancel()
        if not self._thread.isRunning():
            return True

        self._thread.quit()
        ended = self._thread.wait(timeout_ms)
        if not ended:
            log.error("rate map thread did not stop within %d ms", timeout_ms)
        return ended

    @Slot(int, object)
    def _on_progress(self, generation: int, progress: MapProgress) -> None:
        if generation == self.generation:
            self.progressed.emit(progress)

    @Slot(int, object)
    def _on_computed(self, generation: int, result: MapResult) -> None:
        if generation == self.generation:
            self.computed.emit(result)

    @Slot(int, str)
    def _on_failed(self, generation: int, message: str) -> None:
        if generation == self.generation:
            self.failed.emit(message)


def chunk_steps_for(request: MapRequest) -> int:
    """Steps per chunk: about ``CELL_STEPS_PER_CHUNK`` cell-steps, at least one."""
    rows, columns = request.shape
    return max(1, min(request.steps, CELL_STEPS_PER_CHUNK // (rows * columns)))


class LogAxis(pg.AxisItem):
    """An axis whose values are base-10 logarithms, labelled with the numbers.

    Ticks fall on 1, 2 and 5 times the powers of ten; pyqtgraph drops the labels
    that would overlap.
    """

    def tickValues(self, minVal: float, maxVal: float,  # noqa: N802, N803
                   size: float) -> list[tuple[float, list[float]]]:
        """Decades first, then 2 and 5 times them, inside the range shown."""
        decades = range(math.floor(minVal), math.ceil(maxVal) + 1)
        major = [float(d) for d in decades if minVal <= d <= maxVal]
        minor = [d + math.log10(f) for d in decades for f in (2, 5)
                 if minVal <= d + math.log10(f) <= maxVal]
        return [(1.0, major), (math.log10(2), minor)]

    def tickStrings(self, values: list[float], scale: float,  # noqa: N802
                    spacing: float) -> list[str]:
        """The numbers themselves: 0.001, 0.002, 0.005, 0.01, ..."""
        return [f"{10.0 ** v:.3g}" for v in values]


class RateMapDock(QDockWidget):
    """The (learning rate, momentum rate) map of one run's optimizer.

    Each cell is a run from the chosen run's start, on the session's surface, with
    the cell's learning rate and momentum rate and the run's other settings. Its
    colour is the number of steps it took to reach the tolerance, or the rate the
    quadratic theory predicts. Nothing is computed until :meth:`compute`.

    The owner calls :meth:`show_session` after every change of the session and
    :meth:`shutdown` before it goes; it connects :attr:`settings_chosen` to its own
    editing of the run.
    """

    settings_chosen = Signal(int, float, float)
    """Run index, learning rate, momentum rate: a cell was clicked or the marker
    dropped. For Adam the momentum rate is beta1."""

    computed = Signal(object)
    """A map was computed to the end: its MapResult."""

    failed = Signal(str)
    """A map failed (a bug in a surface or an optimizer): the message."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Rate map", parent)
        self.setObjectName("rate_map_dock")

        self.result: MapResult | None = None
        self._session: Session | None = None
        self._surface: Surface | None = None
        self._surface_key: tuple | None = None
        self._request: MapRequest | None = None
        self._request_key: tuple | None = None
        self._request_error = ""
        self._computing_request: MapRequest | None = None
        self._computing_key: tuple | None = None
        self._shown_request: MapRequest | None = None
        self._shown_key: tuple | None = None
        self._rates: np.ndarray | None = None
        self._drawn_axes: tuple[np.ndarray, np.ndarray] | None = None
        self._optimum: tuple[float, float] | None = None
        self._note = ""

        self.runner = RateMapRunner(self)
        self.runner.progressed.connect(self._on_progress)
        self.runner.computed.connect(self._on_computed)
        self.runner.failed.connect(self._on_failed)

        self._colormap = pg.colormap.get(COLORMAP)
        self._lookup = self._colormap.getLookupTable(nPts=256, alpha=True)
        self._build()
        self._refresh()

        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # ----- public --------------------------------------------------------------

    @property
    def is_computing(self) -> bool:
        """Whether a map was asked for and has neither ended nor been cancelled."""
        return self._computing_request is not None

    @property
    def message(self) -> str:
        """What the dock tells the user now (no run to map, stale map, errors)."""
        return self.message_label.text()

    @property
    def chosen_run(self) -> int | None:
        """The session index of the run the map is for, or None if no run fits."""
        data = self.run_choice.currentData()
        return None if data is None else int(data)

    def show_session(self, session: Session) -> None:
        """Show the session's runs and the chosen run's setting; computes nothing.

        A map already shown stays, marked as stale if it was computed for another
        surface, start, optimizer, other settings or grid.
        """
        self._session = session
        self._note = ""
        self._update_surface(session)
        self._fill_run_choice(session)
        self._refresh()

    def compute(self) -> None:
        """Start computing the map in the background, cancelling any map computing."""
        if not self._commit_fields() or self._request is None:
            self._show_message()
            return

        request = self._request
        self.runner.start(request)
        log.info("rate map requested for run %d (generation %d)", self.chosen_run,
                 self.runner.generation)

        self._computing_request, self._computing_key = request, self._request_key
        self._shown_request, self._shown_key = None, None
        self.result = None
        self._note = ""
        self.progress_bar.setValue(0)
        self._set_color_mode("steps")
        self._refresh()

    def cancel(self) -> None:
        """Stop the map computing; it stops after the chunk in hand."""
        if self._computing_request is None:
            return

        self.runner.cancel()
        self._computing_request = None
        steps = self.result.steps_done if self.result is not None else 0
        self._note = f"Cancelled after {steps:,} steps; the map shows the cells that " \
                     f"stopped by then."
        log.info("rate map cancelled after %d steps", steps)
        self._refresh()

    def shutdown(self, timeout_ms: int = 2000) -> bool:
        """Cancel, end the worker thread and wait for it; True if it ended in time.

        The owner must call this before the dock goes (a running QThread that is
        destroyed aborts the program); the dock calls it itself when it is deleted
        with ``deleteLater`` or closed while it is a window of its own.
        """
        self._computing_request = None
        return self.runner.shutdown(timeout_ms)

    def choose_point(self, x: float, y: float) -> None:
        """Apply the cell at plot point ``(x, y)``: x is log10(lr), y the momentum rate.

        Emits :attr:`settings_chosen` with the cell's own learning rate and momentum
        rate; a point outside the map is ignored.
        """
        cell = self._cell_at(x, y)
        run = self.chosen_run
        if cell is None or run is None:
            return

        lrs, momenta = self._axes()
        lr, momentum = float(lrs[cell[1]]), float(momenta[cell[0]])
        self.marker.setPos(math.log10(lr), momentum)
        log.debug("cell chosen for run %d: lr %g, momentum %g", run, lr, momentum)
        self.settings_chosen.emit(run, lr, momentum)

    # ----- Qt events -----------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        """Also end the worker thread when the dock is deleted without being closed."""
        if event.type() == QEvent.Type.DeferredDelete:
            self.shutdown()
        return super().event(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        """A dock that is a window of its own ends its thread when closed.

        Inside a main window, closing the dock only hides it; the window's own
        ``closeEvent`` calls :meth:`shutdown`.
        """
        if self.parent() is None:
            self.shutdown()
        super().closeEvent(event)

    # ----- building ------------------------------------------------------------

    def _build(self) -> None:
        """Settings in a column on the left (scrolling if the dock is short), the
        map on the right with its legend under it, so the map keeps the height."""
        settings = QWidget()
        column = QVBoxLayout(settings)
        column.setContentsMargins(0, 0, 4, 0)
        column.addLayout(self._build_choices())
        column.addLayout(self._build_fields())
        column.addLayout(self._build_buttons())
        self.message_label = _small_label()
        self.message_label.setStyleSheet("color: #ffb74d;")
        column.addWidget(self.message_label)
        column.addStretch(1)
        side = scrolled(settings)
        side.setFixedWidth(settings.sizeHint().width()
                           + side.verticalScrollBar().sizeHint().width())

        self.legend = _small_label()
        self.readout = _small_label()
        self.readout.setText(READOUT_HINT)
        self.readout.setStyleSheet("font-size: 9pt; color: #9aa0a6;")
        map_column = QVBoxLayout()
        map_column.addWidget(self._build_plot(), stretch=1)
        map_column.addWidget(self.legend)
        map_column.addWidget(self.readout)

        body = QWidget()
        layout = QHBoxLayout(body)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(side)
        layout.addLayout(map_column, stretch=1)
        self.setWidget(body)

    def _build_choices(self) -> QFormLayout:
        self.run_choice = QComboBox()
        self.run_choice.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.run_choice.setMinimumContentsLength(16)
        self.run_choice.setToolTip("The run whose optimizer, settings and start the "
                                   "map is for.")
        self.run_choice.currentIndexChanged.connect(lambda _: self._refresh())

        self.color_choice = QComboBox()
        for key, words in COLOR_MODES.items():
            self.color_choice.addItem(words, key)
        self.color_choice.setToolTip("Colour the cells by the steps each run took, or "
                                     "by the rate per step the quadratic theory "
                                     "predicts (instant, no Compute needed).")
        self.color_choice.currentIndexChanged.connect(lambda _: self._refresh())

        form = QFormLayout()
        form.addRow("Run", self.run_choice)
        form.addRow("Colour", self.color_choice)
        return form

    def _build_fields(self) -> QFormLayout:
        self.lr_count = NumberField(LR_COUNT, LR_COUNT.default)
        self.momentum_count = NumberField(MOMENTUM_COUNT, MOMENTUM_COUNT.default)
        self.steps = NumberField(MAP_STEPS, MAP_STEPS.default)
        self.tolerance = NumberField(TOLERANCE, TOLERANCE.default)

        form = QFormLayout()
        for field in self._fields:
            field.value_committed.connect(lambda _: self._refresh())
            field.edit.editingFinished.connect(self._show_message)
            form.addRow(field.parameter.label.capitalize(), field)
        return form

    def _build_buttons(self) -> QVBoxLayout:
        self.compute_button = QPushButton("Compute")
        self.compute_button.setToolTip("Compute the map in the background.")
        self.compute_button.clicked.connect(self.compute)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setValue(0)

        row = QHBoxLayout()
        row.addWidget(self.compute_button)
        row.addWidget(self.cancel_button)
        buttons = QVBoxLayout()
        buttons.addLayout(row)
        buttons.addWidget(self.progress_bar)
        return buttons

    def _build_plot(self) -> pg.PlotWidget:
        self.plot = pg.PlotWidget(background=BACKGROUND,
                                  axisItems={"bottom": LogAxis(orientation="bottom")})
        self.plot.setMinimumSize(240, 160)
        item = self.plot.getPlotItem()
        item.setLabel("bottom", "learning rate (log scale)")
        item.setLabel("left", "momentum rate")
        item.getAxis("left").setWidth(44)
        item.getAxis("left").enableAutoSIPrefix(False)
        item.hideButtons()
        item.setMenuEnabled(False)
        item.setMouseEnabled(x=False, y=False)
        item.vb.disableAutoRange()

        self.image = pg.ImageItem(axisOrder="row-major")
        self.best_marker = pg.ScatterPlotItem(symbol="star", size=20,
                                              pen=pg.mkPen("k", width=1.5),
                                              brush=pg.mkBrush(BEST_COLOR))
        self.marker = pg.TargetItem(size=MARKER_SIZE, symbol="crosshair",
                                     movable=True)
        self.marker.sigPositionChangeFinished.connect(self._on_marker_dropped)
        self.theory_marker = pg.ScatterPlotItem(symbol="d", size=14,
                                                pen=pg.mkPen(BEST_COLOR, width=2),
                                                brush=pg.mkBrush(0, 0, 0, 0))
        layers = ((self.image, -10), (self.theory_marker, 15), (self.best_marker, 20),
                  (self.marker, 30))
        for graphic, z in layers:
            graphic.setZValue(z)
            item.addItem(graphic)

        self.color_bar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=self._colormap,
                                         width=14, interactive=False,
                                         colorMapMenu=False)
        self.color_bar.axis.setWidth(66)  # "0.9995" and the label beside it
        item.layout.addItem(self.color_bar, 2, 5)
        item.layout.setColumnFixedWidth(4, 6)
        item.layout.setContentsMargins(2, 10, 2, 2)  # room for the bar's top label

        self.plot.scene().sigMouseClicked.connect(self._on_click)
        self.plot.scene().sigMouseMoved.connect(self._on_hover)
        return self.plot

    @property
    def _fields(self) -> tuple[NumberField, ...]:
        return self.lr_count, self.momentum_count, self.steps, self.tolerance

    # ----- the session ---------------------------------------------------------

    def _update_surface(self, session: Session) -> None:
        """Build the session's surface, only when it changed (expressions are slow)."""
        key = _surface_key(session)
        if key != self._surface_key:
            self._surface, self._surface_key = session.make_surface(), key

    def _fill_run_choice(self, session: Session) -> None:
        """List the runs with a momentum axis, keeping the one chosen if it still is."""
        previous = self.chosen_run
        self.run_choice.blockSignals(True)
        self.run_choice.clear()
        for index, run in enumerate(session.runs):
            if run.optimizer in MOMENTUM_AXES:
                self.run_choice.addItem(f"Run {index + 1}: {run.title()}", index)

        kept = self.run_choice.findData(previous) if previous is not None else -1
        self.run_choice.setCurrentIndex(max(kept, 0) if self.run_choice.count() else -1)
        self.run_choice.setEnabled(self.run_choice.count() > 0)
        self.run_choice.blockSignals(False)

    def _build_request(self) -> None:
        """The map that Compute would compute now, or the reason there is none."""
        self._request, self._request_key, self._request_error = None, None, ""
        run = self.chosen_run
        if self._session is None or run is None:
            return

        spec = self._session.run_specs()[run]
        try:
            lrs, momenta = default_grid(self._surface, spec.optimizer,
                                        int(self.lr_count.value),
                                        int(self.momentum_count.value),
                                        spec.hyperparameters)
            self._request = MapRequest(
                self._surface, spec.optimizer, spec.hyperparameters, spec.start,
                tuple(lrs), tuple(momenta), int(self.steps.value),
                float(self.tolerance.value),
            )
            self._request_key = _map_key(self._request, self._surface_key)
        except ParameterError as error:
            self._request_error = _sentence(str(error))

    def _commit_fields(self) -> bool:
        """Check every grid field's typed text; False if any is refused."""
        for field in self._fields:
            field.commit()
        return not any(field.error_text for field in self._fields)

    # ----- showing -------------------------------------------------------------

    def _refresh(self) -> None:
        """Bring everything in line with the session, the fields and the colour mode."""
        self._build_request()
        self._show_marker()
        self._show_theory_optimum()
        if self._color_mode() == "predicted":
            self._draw_predicted()
        elif self.chosen_run is not None and self._shown_request is not None \
                and self.result is not None:
            self._draw_steps(self.result, self._shown_request)
        else:
            self._clear_map()

        self._frame()
        self._show_controls()
        self._show_message()

    def _show_marker(self) -> None:
        """Put the marker on the chosen run's learning rate and momentum rate."""
        run = self.chosen_run
        self.marker.setVisible(run is not None)
        if run is None:
            return

        lr, momentum = _run_setting(self._session, run)
        color = self._session.color_of(run)
        self.marker.setPen(pg.mkPen(color, width=2.5))
        self.marker.setHoverPen(pg.mkPen("w", width=2.5))
        self.marker.setBrush(pg.mkBrush(0, 0, 0, 90))
        self.marker.setPos(math.log10(lr) if lr > 0 else -12.0, momentum)

    def _show_theory_optimum(self) -> None:
        """Mark heavy ball's optimal settings by the quadratic theory, where it holds."""
        self._optimum = None
        run = self.chosen_run
        if run is not None and _plain_heavy_ball(self._session.runs[run]):
            start = self._session.run_specs()[run].start
            theory = theory_for(self._surface, start)
            if theory is not None:
                self._optimum = (theory.momentum_best_lr, theory.momentum_best_momentum)

        if self._optimum is None:
            self.theory_marker.clear()
        else:
            lr, momentum = self._optimum
            self.theory_marker.setData([math.log10(lr)], [momentum])

    def _draw_steps(self, result: MapResult, request: MapRequest) -> None:
        """Colour cells by log10(steps); not reached and diverged ones set apart."""
        reached = result.reached
        steps = np.maximum(result.steps_to_tolerance, 1).astype(float)
        low, high = _log_range(steps[reached])

        rgba = _paint(np.log10(steps), low, high, self._lookup)
        rgba[result.not_reached] = pg.mkColor(NOT_REACHED_COLOR).getRgb()
        rgba[result.diverged] = pg.mkColor(DIVERGED_COLOR).getRgb()
        self._show_image(rgba, result.lrs, result.momenta)

        self.color_bar.setLevels((low, high))
        self.color_bar.axis.setTicks([_ticks(low, high, _STEP_TICKS)])
        self.color_bar.axis.setLabel("steps to the tolerance")
        self._show_best_cell(result if result.complete else None)
        self._show_steps_legend(result, request)

    def _draw_predicted(self) -> None:
        """Colour the cells by the predicted rate per step; 1 and above as diverged.

        The colour goes with -log10(1 - rate), which grows like the log of the steps
        a run needs, so that both colourings read alike: slow is yellow.
        """
        request = self._request
        self._rates = predicted_rate_map(request) if request is not None else None
        if self._rates is None:
            self._clear_map()
            return

        converging = self._rates < 1.0
        slowness = _slowness(self._rates)
        low, high = _slowness_range(slowness[converging])
        rgba = _paint(slowness, low, high, self._lookup)
        rgba[~converging] = pg.mkColor(DIVERGED_COLOR).getRgb()
        self._show_image(rgba, np.array(request.lrs), np.array(request.momenta))

        self.color_bar.setLevels((low, high))
        self.color_bar.axis.setTicks([_ticks(low, high, _RATE_TICKS)])
        self.color_bar.axis.setLabel("predicted rate per step")
        self._show_lowest_rate(request, converging)

    def _show_image(self, rgba: np.ndarray, lrs: np.ndarray,
                    momenta: np.ndarray) -> None:
        self.image.setImage(rgba, autoLevels=False)
        self.image.setRect(_cell_rect(lrs, momenta))
        self._drawn_axes = (np.asarray(lrs), np.asarray(momenta))

    def _clear_map(self) -> None:
        self.image.clear()
        self.best_marker.clear()
        self._drawn_axes = None
        words = self._marker_words()
        if self._request is not None and not self.is_computing:
            cells = len(self._request.lrs) * len(self._request.momenta)
            words = (f"Press Compute to run all {cells:,} cells, up to "
                     f"{self._request.steps:,} steps each, or colour by the predicted "
                     f"rate to see the theory at once.<br>" + words)
        self.legend.setText(words)

    def _show_best_cell(self, result: MapResult | None) -> None:
        best = result.best if result is not None else None
        if best is None:
            self.best_marker.clear()
            return
        self.best_marker.setData([math.log10(best.lr)], [best.momentum])

    def _show_steps_legend(self, result: MapResult, request: MapRequest) -> None:
        parts = [
            _swatch(NOT_REACHED_COLOR, f"not reached in {request.steps:,} steps"
                    if result.complete else "not reached yet"),
            _swatch(DIVERGED_COLOR, "diverged"),
        ]
        best = result.best if result.complete else None
        if best is not None:
            parts.append(f"★ best: lr {best.lr:.4g}, momentum {best.momentum:.3g}, "
                         f"{best.steps:,} steps")
        elif result.complete:
            parts.append("no cell reached the tolerance")
        self.legend.setText(" &nbsp; ".join(parts) + "<br>" + self._marker_words())

    def _show_lowest_rate(self, request: MapRequest, converging: np.ndarray) -> None:
        rates = np.where(converging, self._rates, np.inf)
        row, column = np.unravel_index(int(np.argmin(rates)), rates.shape)
        parts = [_swatch(DIVERGED_COLOR, "rate ≥ 1: does not converge")]
        if converging.any():
            lr, momentum = request.lrs[column], request.momenta[row]
            self.best_marker.setData([math.log10(lr)], [momentum])
            parts.append(f"★ lowest rate {rates[row, column]:.4g}: lr {lr:.4g}, "
                         f"momentum {momentum:.3g}")
        else:
            self.best_marker.clear()
        self.legend.setText(" &nbsp; ".join(parts) + "<br>" + self._marker_words())

    def _marker_words(self) -> str:
        run = self.chosen_run
        if run is None:
            return ""
        color = self._session.color_of(run)
        words = (f"<span style='color:{color}'>⊕</span> run {run + 1}'s setting: drag "
                 f"it, or click a cell, to apply it")
        if self._optimum is not None:
            lr, momentum = self._optimum
            words += (f" &nbsp; ◇ the theory's optimum: lr {lr:.4g}, momentum "
                      f"{momentum:.3g}")
        return words

    def _frame(self) -> None:
        """Show the drawn map, else the grid Compute would compute."""
        axes = self._axes()
        if axes is not None:
            self.plot.getPlotItem().setRange(_cell_rect(*axes), padding=0)

    def _axes(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The drawn map's learning rates and momentum rates, else the grid's."""
        if self._drawn_axes is not None:
            return self._drawn_axes
        if self._request is not None:
            return np.array(self._request.lrs), np.array(self._request.momenta)
        return None

    def _show_controls(self) -> None:
        self.compute_button.setEnabled(self._request is not None)
        self.cancel_button.setEnabled(self.is_computing)

    def _show_message(self) -> None:
        self.message_label.setText(self._message_text())
        self.message_label.setVisible(bool(self.message_label.text()))

    def _message_text(self) -> str:
        if self._session is None:
            return "No session yet."
        if self.chosen_run is None:
            return ("No run has a momentum rate: the map needs a run with momentum, "
                    "Nesterov, RMSProp or Adam.")
        if self._request_error:
            return self._request_error
        if any(field.error_text for field in self._fields):
            return "Fix the grid settings marked in red, then press Compute."
        if self._color_mode() == "predicted" and self._rates is None:
            return _no_theory_words(self._request)
        if self._note:
            return self._note
        if self._is_stale():
            return ("The map was computed for another surface, start, optimizer or "
                    "grid; press Compute to update it.")
        return ""

    def _is_stale(self) -> bool:
        if self._shown_key is None or self._request_key is None:
            return False
        return self._shown_key != self._request_key

    def _color_mode(self) -> str:
        return str(self.color_choice.currentData())

    def _set_color_mode(self, mode: str) -> None:
        self.color_choice.blockSignals(True)
        self.color_choice.setCurrentIndex(self.color_choice.findData(mode))
        self.color_choice.blockSignals(False)

    # ----- the worker's results ------------------------------------------------

    @Slot(object)
    def _on_progress(self, progress: MapProgress) -> None:
        if self._computing_request is None:
            return

        self.result = progress.result
        self._shown_request, self._shown_key = (self._computing_request,
                                                self._computing_key)
        self.progress_bar.setValue(round(100 * progress.fraction))
        if self._color_mode() == "steps":
            self._draw_steps(progress.result, self._shown_request)
            self._frame()
        self._show_message()

    @Slot(object)
    def _on_computed(self, result: MapResult) -> None:
        if self._computing_request is None:
            return

        self.result = result
        self._shown_request, self._shown_key = (self._computing_request,
                                                self._computing_key)
        self._computing_request = None
        self.progress_bar.setValue(100)
        self._refresh()
        self.computed.emit(result)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._computing_request = None
        self._note = f"The map failed: {message}"
        self._refresh()
        self.failed.emit(message)

    # ----- the mouse -----------------------------------------------------------

    def _on_click(self, event: object) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.double():
            return

        box = self.plot.getPlotItem().vb
        scene_pos = event.scenePos()
        inside = box.sceneBoundingRect().contains(scene_pos)
        if not inside or self._on_marker(scene_pos):
            return
        point: QPointF = box.mapSceneToView(scene_pos)
        self.choose_point(point.x(), point.y())

    def _on_marker(self, scene_pos: QPointF) -> bool:
        """Whether a click landed on the marker, which is dragged, not clicked."""
        if not self.marker.isVisible():
            return False
        centre = self.plot.getPlotItem().vb.mapViewToScene(self.marker.pos())
        return math.hypot(centre.x() - scene_pos.x(),
                          centre.y() - scene_pos.y()) <= MARKER_SIZE / 2 + 2

    def _on_marker_dropped(self, _marker: object) -> None:
        """Apply the marker's position, rounded and kept inside the map."""
        run = self.chosen_run
        axes = self._axes()
        if run is None or axes is None:
            return

        lrs, momenta = axes
        position = self.marker.pos()
        lr = _clamp(_round(10.0 ** position.x()), min(lrs), max(lrs))
        momentum = _clamp(_round(position.y()), min(momenta), max(momenta))
        self.marker.setPos(math.log10(lr), momentum)
        log.debug("marker dropped for run %d: lr %g, momentum %g", run, lr, momentum)
        self.settings_chosen.emit(run, lr, momentum)

    def _on_hover(self, scene_pos: QPointF) -> None:
        box = self.plot.getPlotItem().vb
        cell = None
        if box.sceneBoundingRect().contains(scene_pos):
            point = box.mapSceneToView(scene_pos)
            cell = self._cell_at(point.x(), point.y())
        self.readout.setText(READOUT_HINT if cell is None else self._cell_words(*cell))

    def _cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        """The (row, column) of the drawn map, else of the grid, at a plot point."""
        axes = self._axes()
        if axes is None:
            return None

        rect = _cell_rect(*axes)
        if not rect.contains(QPointF(x, y)):
            return None
        columns, rows = len(axes[0]), len(axes[1])
        column = min(int((x - rect.left()) / rect.width() * columns), columns - 1)
        row = min(int((y - rect.top()) / rect.height() * rows), rows - 1)
        return row, column

    def _cell_words(self, row: int, column: int) -> str:
        lrs, momenta = self._axes()
        where = f"lr {lrs[column]:.4g}, momentum {momenta[row]:.3g}"
        if self._drawn_axes is None:
            return where
        if self._color_mode() == "predicted":
            return f"{where}: predicted rate {self._rates[row, column]:.4g}"
        return f"{where}: {_steps_words(self.result, row, column)}"


# ----- small pieces ------------------------------------------------------------------


def _surface_key(session: Session) -> tuple:
    """What decides a session's surface."""
    return (session.surface, tuple(sorted(session.surface_params.items())),
            session.expression, session.domain)


def _map_key(request: MapRequest, surface_key: tuple) -> tuple:
    """Everything a map depends on except the run's own lr and momentum rate."""
    settings = dict(check_hyperparameters(request.optimizer, request.hyperparameters))
    settings.pop("lr")
    name, index = MOMENTUM_AXES[request.optimizer]
    value = settings.pop(name)
    if isinstance(value, tuple):
        settings[name] = value[:index] + value[index + 1:]

    return (surface_key, request.start, request.optimizer,
            tuple(sorted(settings.items())), request.lrs, request.momenta,
            request.steps, request.tolerance)


def _plain_heavy_ball(run: RunConfig) -> bool:
    """Whether the run is heavy ball as the theory's optimum assumes it."""
    if run.optimizer != "momentum":
        return False
    settings = check_hyperparameters(run.optimizer, run.hyperparameters)
    return not settings.get("nesterov") and not settings.get("moving_average") \
        and settings.get("dampening", 0.0) == 0.0


def _run_setting(session: Session, run: int) -> tuple[float, float]:
    """The run's learning rate and the value on its optimizer's momentum axis."""
    config = session.runs[run]
    settings = check_hyperparameters(config.optimizer, config.hyperparameters)
    name, index = MOMENTUM_AXES[config.optimizer]
    value = settings[name]
    momentum = value[index] if isinstance(value, tuple) else value
    return float(settings["lr"]), float(momentum)


def _paint(values: np.ndarray, low: float, high: float,
           lookup: np.ndarray) -> np.ndarray:
    """RGBA cells: ``values`` from ``low`` to ``high`` through the lookup table."""
    span = high - low if high > low else 1.0
    scaled = np.clip((np.nan_to_num(values, nan=low) - low) / span, 0.0, 1.0)
    indices = np.rint(scaled * (len(lookup) - 1)).astype(int)
    return lookup[indices].astype(np.uint8)


def _log_range(steps: np.ndarray) -> tuple[float, float]:
    """log10 of the fewest and most steps, at least a factor of two apart."""
    if steps.size == 0:
        return 0.0, 1.0
    low, high = math.log10(steps.min()), math.log10(steps.max())
    return low, max(high, low + math.log10(2))


def _slowness(rates: np.ndarray) -> np.ndarray:
    """-log10(1 - rate) for rates below 1, at most ``SLOWEST``; NaN elsewhere."""
    with np.errstate(divide="ignore", invalid="ignore"):
        slowness = -np.log10(1.0 - rates)
    return np.where(rates < 1.0, np.minimum(slowness, SLOWEST), np.nan)


def _slowness_range(slowness: np.ndarray) -> tuple[float, float]:
    if slowness.size == 0:
        return 0.0, 1.0
    low, high = float(slowness.min()), float(slowness.max())
    return low, max(high, low + 0.1)


def _ticks(low: float, high: float,
           candidates: list[tuple[float, str]]) -> list[tuple[float, str]]:
    """The candidate ticks inside ``[low, high]``, or the two ends if fewer than two."""
    ticks = [(v, text) for v, text in candidates if low - 1e-9 <= v <= high + 1e-9]
    if len(ticks) < 2:
        ticks = [(low, ""), (high, "")]
    return ticks


_STEP_TICKS = [(math.log10(f * 10**d), f"{f * 10**d:,}")
               for d in range(8) for f in (1, 2, 5)]
"""Colour-bar ticks for log10(steps): 1, 2, 5, 10, 20, 50, ..."""

_RATE_TICKS = [(d - math.log10(f), f"{1 - f * 10.0**-d:.{d + 1}f}".rstrip("0"))
               for d in range(1, 9) for f in (5, 2, 1)]
"""Colour-bar ticks for -log10(1 - rate): rates 0.5, 0.8, 0.9, 0.95, 0.98, 0.99, ..."""


def _cell_rect(lrs: np.ndarray, momenta: np.ndarray) -> QRectF:
    """The map's rectangle in plot units, each cell centred on its grid point."""
    x = np.log10(np.asarray(lrs, dtype=float))
    y = np.asarray(momenta, dtype=float)
    dx = (x[-1] - x[0]) / (len(x) - 1) if len(x) > 1 else 0.1
    dy = (y[-1] - y[0]) / (len(y) - 1) if len(y) > 1 else 0.01
    return QRectF(x[0] - dx / 2, y[0] - dy / 2, dx * len(x), dy * len(y))


def _steps_words(result: MapResult | None, row: int, column: int) -> str:
    if result is None:
        return "not computed"
    if result.diverged[row, column]:
        return "diverged"
    steps = int(result.steps_to_tolerance[row, column])
    if steps >= 0:
        return f"{steps:,} steps"
    return "not reached" if result.complete else "still stepping"


def _no_theory_words(request: MapRequest | None) -> str:
    if request is None:
        return "No predicted rate: there is no map to predict."
    title = OPTIMIZERS[request.optimizer].title
    if request.optimizer not in LINEAR_OPTIMIZERS:
        return (f"No predicted rate for {title}: the quadratic theory covers only "
                f"optimizers that are linear on a quadratic (gradient descent, "
                f"momentum, Nesterov).")
    return (f"No predicted rate on {request.surface.title}: at the minimum nearest "
            f"the start the surface is not smooth, or not curved upwards, so the "
            f"quadratic theory does not hold.")


def _swatch(color: str, words: str) -> str:
    return f"<span style='color:{color}'>■</span> {html.escape(words)}"


def _small_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    label.setStyleSheet("font-size: 9pt;")
    return label


def _round(value: float) -> float:
    """Three significant digits, the precision a drag can mean."""
    return float(f"{value:.3g}")


def _clamp(value: float, low: float, high: float) -> float:
    return float(min(max(value, low), high))


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
