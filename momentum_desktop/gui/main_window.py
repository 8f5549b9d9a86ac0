"""The main window: the canvas in the middle, docks that edit the session around it."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QEvent, QMimeData, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressDialog,
    QWidget,
)

from ..core.contours import ContourField, contour_field
from ..core.data_export import trajectories_csv, trajectories_json
from ..core.files import check_output_path, write_atomically
from ..core.parameters import ParameterError
from ..core.optimizers import OPTIMIZERS
from ..core.presets import LESSONS, PRESETS, load_preset
from ..core.session import (
    DEFAULT_DOMAIN,
    RunConfig,
    Session,
    check_session,
    default_session,
    momentum_comparison,
    suggested_hyperparameters,
)
from ..core.simulation import Chunk
from ..core.session_file import (
    PNG_SESSION_KEY,
    load_session,
    save_session,
    session_to_toml,
)
from ..core.surfaces import Surface
from ..core.trajectory import Trajectory
from ..core.animation import AnimationSettings
from .analysis_docks import LossDock, ResultsDock, TheoryDock
from .animation import ANIMATION_FORMATS, AnimationJob
from .canvas import Canvas
from .compiling import ExpressionCompiler
from .docks import PlaybackDock, SurfaceDock
from .export import ExportError, ExportImageDialog, export_image
from .export_jobs import AnimationDialog, TrajectoryComputation
from .map_dock import RateMapDock
from .runs_dock import RunsDock
from .settings import AppSettings
from .worker import SimulationRunner

__all__ = ["MainWindow"]

log = logging.getLogger(__name__)

SLOW_VIEWS_SECONDS = 0.2
"""While playing, the loss plot and results table are redrawn at most this often."""

DEFAULT_EXPRESSION = "x^2 + 10*y^2 + 3*sin(2*x)"
"""What 'Custom expression' shows first: a valley with ripples, easy to edit."""


LESSON_MESSAGE_MS = 15_000
"""How long the status bar says what an opened preset shows."""

WINDOW_SIZE = (1440, 900)
"""The window's first size, where the screen has room for it."""

class MainWindow(QMainWindow):
    """Shows a session's runs side by side and replays them whenever it changes.

    The session is the single source of truth: every edit builds a new, validated
    session; a refused edit leaves the current one in force.
    """

    playback_finished = Signal()
    animation_exported = Signal(str)
    data_exported = Signal(str)
    expression_applied = Signal()
    """A typed expression was compiled and applied, or refused with a message."""

    def __init__(self, session: Session | None = None,
                 settings: AppSettings | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Momentum Desktop")
        self.setAcceptDrops(True)
        self._fit_to_screen()

        self.settings = settings
        self.session_path: str | None = None
        self.session = check_session(session or default_session())
        self.trajectories: list[Trajectory] = []
        self.playing = False
        self.finished = False
        self.export_folder = str(Path.cwd())
        self._field: ContourField | None = None
        self._field_key: tuple | None = None
        self._dialogs: list[QWidget] = []
        self._jobs: list[AnimationJob] = []
        self._computations: list[TrajectoryComputation] = []

        self.canvas = Canvas()
        self.setCentralWidget(self.canvas)
        # Errors come and go on the left of the status bar; how the runs ended stays
        # on the right, so one never hides the other.
        self.summary = QLabel()
        self.statusBar().addPermanentWidget(self.summary)
        self.surface_dock = SurfaceDock()
        self.runs_dock = RunsDock(self._apply_run_change)
        self.playback_dock = PlaybackDock()
        self.loss_dock = LossDock()
        self.results_dock = ResultsDock()
        self.theory_dock = TheoryDock()
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.surface_dock)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.playback_dock)
        # The theory under the runs rather than in a tab behind them: a second group
        # of tabbed docks made Qt (6.10 and 6.11) leave a stale copy of its tab bar
        # drawn where the group first stood.
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.runs_dock)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.theory_dock)
        self.splitDockWidget(self.runs_dock, self.theory_dock, Qt.Orientation.Vertical)
        self.map_dock = RateMapDock(self)
        # Bottom: the loss plot (results in a tab behind it) beside the rate map,
        # so the curves and the map show together.
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.loss_dock)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.map_dock)
        self.splitDockWidget(self.loss_dock, self.map_dock, Qt.Orientation.Horizontal)
        self.tabifyDockWidget(self.loss_dock, self.results_dock)
        self.loss_dock.raise_()
        height = self.height()
        self.resizeDocks([self.loss_dock], [int(0.36 * height)], Qt.Orientation.Vertical)
        self.resizeDocks([self.surface_dock, self.playback_dock], [300, 215],
                         Qt.Orientation.Vertical)
        self.resizeDocks([self.runs_dock, self.theory_dock], [300, 215],
                         Qt.Orientation.Vertical)
        self.resizeDocks([self.surface_dock, self.runs_dock], [290, 330],
                         Qt.Orientation.Horizontal)
        self.shown_step: int | None = None
        self._plots_shown = 0.0
        self._redraw = QTimer(self)
        self._redraw.setSingleShot(True)
        self._redraw.setInterval(0)
        self._redraw.timeout.connect(self._refresh_views)
        self._surface = self.session.make_surface()
        self.arrows_action = QAction("Gradient and velocity &arrows", self)
        self.arrows_action.setCheckable(True)
        self.arrows_action.setChecked(True)
        self.arrows_action.toggled.connect(lambda _: self._refresh_views())

        self.runner = SimulationRunner(self)
        self.compiler = ExpressionCompiler(self)
        self.runner.batch_ready.connect(self._on_batch)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(self._on_failed)

        self._connect_docks()
        self._build_menus()
        self._default_layout = self.saveState()
        self.apply_session(self.session, play=False)

    # ----- session -------------------------------------------------------------

    def apply_session(self, session: Session, play: bool = True) -> None:
        """Show ``session`` everywhere and replay it from the start."""
        self.session = session
        surface = self._surface = session.make_surface()

        self.canvas.set_runs(self._titles(), self._colors(), session.layout)
        key = (session.surface, tuple(sorted(surface.params.items())),
               session.expression, session.domain)
        if key != self._field_key:
            self._field = contour_field(surface)
            self._field_key = key
            self.canvas.set_surface(surface, self._field)

        self.canvas.set_starts([spec.start for spec in session.run_specs()])
        if session.view is not None:
            # Shown once; after that the view is whatever the user pans it to.
            self.canvas.set_view(session.view)
            self.session = session = replace(session, view=None)
        self.surface_dock.show_session(session)
        self.runs_dock.show_session(session)
        self.playback_dock.show_session(session)
        self.theory_dock.show_runs(session, surface, [])
        self.map_dock.show_session(session)
        self.restart(play)

    def edit_session(self, **changes: object) -> str | None:
        """Apply a change to the session and replay.

        Returns None when applied, else the reason it was refused (also shown in the
        status bar); the session in force is then unchanged.
        """
        return self._try(lambda: self.session.edited(**changes))

    def _try(self, make: Callable[[], Session]) -> str | None:
        try:
            session = make()
        except ParameterError as error:
            self.statusBar().showMessage(str(error), 8000)
            log.info("edit refused: %s", error)
            return str(error)

        self.apply_session(session, play=True)
        return None

    # ----- playback ------------------------------------------------------------

    def restart(self, play: bool = True, speed: float | None = None) -> None:
        """Throw away the trajectories and stream the session again from step 0,
        at the session's speed unless ``speed`` is given (a screenshot plays at
        full speed)."""
        self.trajectories = [Trajectory() for _ in self.session.runs]
        self.shown_step = None
        self.summary.clear()
        self.canvas.clear_trajectories()
        self.loss_dock.show_runs(self.session, self._surface, self.trajectories, 0)
        self.loss_dock.frame_steps(self.session.steps)
        self.finished = False

        self.runner.start(self.session.make_surface(), self.session.run_specs(),
                          self.session.steps, speed or self.session.speed,
                          paused=not play)
        self._set_playing(play)

    def toggle_play(self) -> None:
        """Pause, resume, or replay a finished animation."""
        if self.finished and (self.shown_step is None or self.shown_step >= self.computed):
            self.restart(play=True)
        elif self.finished:
            self.show_step(self.computed)
        else:
            self.shown_step = None
            self.runner.set_paused(self.playing)
            self._set_playing(not self.playing)

    @property
    def computed(self) -> int:
        """The last step any run has reached so far."""
        return max((len(t) for t in self.trajectories), default=1) - 1

    def show_step(self, step: int) -> None:
        """Hold the animation and show every run as it was at ``step``."""
        if self.playing:
            self.runner.set_paused(True)
            self._set_playing(False)
        self.shown_step = min(max(step, 0), self.computed)
        self._refresh_views()

    def _set_playing(self, playing: bool) -> None:
        self.playing = playing
        self.playback_dock.show_playing(playing, self.finished)
        if any(len(t) for t in self.trajectories):
            self._refresh_views()

    def _on_batch(self, chunk: Chunk) -> None:
        for run, trajectory in enumerate(self.trajectories):
            trajectory.append_chunk(chunk, run)
        # Batches that queued up while the GUI was busy are drawn once, together.
        if not self._redraw.isActive():
            self._redraw.start()

    def _refresh_views(self) -> None:
        """Draw the runs as they stand at the step shown: canvas, loss plot, timeline.

        While a run streams, the loss plot and the results table (which go over
        whole trajectories) are redrawn a few times a second, the panes every frame.
        """
        self._redraw.stop()
        step = self.computed if self.shown_step is None else self.shown_step
        shown = [t.head(step + 1) for t in self.trajectories] \
            if self.shown_step is not None else self.trajectories
        rates = [float(r.hyperparameters.get("lr", 0.0)) for r in self.session.runs] \
            if self.arrows_action.isChecked() else None
        self.canvas.show_trajectories(shown, self.playing, rates)
        self.playback_dock.show_timeline(step, self.computed)

        now = time.monotonic()
        if not self.playing or now - self._plots_shown > SLOW_VIEWS_SECONDS:
            self.loss_dock.show_runs(self.session, self._surface, self.trajectories, step)
            self.results_dock.show_runs(self.session, self._surface, shown)
            self._plots_shown = now
        self.runner.frame_drawn()

    def _on_finished(self) -> None:
        self.finished = True
        self._set_playing(False)
        self.results_dock.show_runs(self.session, self._surface, self.trajectories)
        self.theory_dock.show_runs(self.session, self._surface, self.trajectories)
        self.loss_dock.place_legend()  # its curves were drawn in full just now
        self.summary.setText(_summary(self.trajectories))
        self.playback_finished.emit()

    def apply_map_settings(self, index: int, lr: float, momentum: float) -> str | None:
        """Give run ``index`` a learning rate and momentum rate picked on the map."""
        run = self.session.runs[index]
        settings = dict(run.hyperparameters, lr=lr)
        if run.optimizer == "adam":
            betas = run.hyperparameters.get("betas", (0.9, 0.999))
            settings["betas"] = (momentum, betas[1])
        else:
            settings["momentum"] = momentum
        return self._try(lambda: self.session.with_run(index, hyperparameters=settings))

    def apply_optimal(self, index: int) -> str | None:
        """Give run ``index`` the theory's best learning rate (and momentum rate)."""
        theory = self.theory_dock.theory
        run = self.session.runs[index]
        if theory is None or run.optimizer not in ("gd", "momentum", "nesterov"):
            return "the theory gives no optimal values for this run"
        if run.optimizer == "gd":
            best = {"lr": theory.gd_best_lr}
        else:
            best = {"lr": theory.momentum_best_lr,
                    "momentum": theory.momentum_best_momentum}
        settings = dict(run.hyperparameters, **best)
        return self._try(lambda: self.session.with_run(index, hyperparameters=settings))

    def _on_failed(self, message: str) -> None:
        self._set_playing(False)
        self.show_error("The simulation stopped", message)

    # ----- session files -------------------------------------------------------

    def current_session(self) -> Session:
        """The session with the view the panes show now, as it would be saved."""
        return replace(self.session, view=self.canvas.view_range())

    def open_session_file(self, path: str) -> bool:
        """Open a session file; on a refusal show why and keep the current session."""
        try:
            session = load_session(path)
        except ParameterError as error:
            log.error("could not open %s: %s", path, error)
            self.show_error("Could not open the session", str(error))
            return False

        self.session_path = str(Path(path).resolve())
        self._remember_recent(self.session_path)
        self.apply_session(session, play=False)
        self.statusBar().showMessage(f"Opened {path}", 8000)
        return True

    def open_preset(self, name: str) -> None:
        """Open one of the shipped lessons; it has no file of its own to save to."""
        self.session_path = None
        self.apply_session(load_preset(name), play=True)
        self.statusBar().showMessage(LESSONS[name], LESSON_MESSAGE_MS)

    def save_session_file(self, path: str | None = None) -> bool:
        """Save to ``path`` (or the session's own file); on failure show why."""
        path = path or self.session_path
        if path is None:
            return self.save_session_as()
        if Path(path).suffix.lower() != ".toml":
            path = f"{path}.toml"
        try:
            path = str(check_output_path(path, (".toml",)))  # ~, NUL, folders
            save_session(path, self.current_session())
        except ParameterError as error:
            self.show_error("Could not save the session", str(error))
            return False
        except OSError as error:
            log.error("could not save %s: %s", path, error)
            self.show_error("Could not save the session",
                            f"cannot save {path}: {error.strerror or error}")
            return False

        self.session_path = str(Path(path).resolve())
        self._remember_recent(self.session_path)
        self.statusBar().showMessage(f"Saved {path}", 8000)
        return True

    def save_session_as(self) -> bool:
        """Ask where to save the session."""
        path, _ = QFileDialog.getSaveFileName(
            self, "Save session", self.session_path or str(Path(self.export_folder)
                                                           / "session.toml"),
            "Momentum Desktop session (*.toml)")
        return self.save_session_file(path) if path else False

    def ask_open_session(self) -> None:
        """Ask which session file to open."""
        path, _ = QFileDialog.getOpenFileName(
            self, "Open session", self.export_folder,
            "Sessions (*.toml *.png);;All files (*)")
        if path:
            self.open_session_file(path)

    def reset_to_defaults(self) -> None:
        """The default scenario and dock layout, and nothing remembered of the last."""
        if self.settings is not None:
            self.settings.reset()
        self.session_path = None
        self.restoreState(self._default_layout)
        self.apply_session(default_session(), play=False)
        self.canvas.frame_domain()

    def _remember_recent(self, path: str) -> None:
        if self.settings is not None:
            self.settings.add_recent(path)
        self._fill_recent_menu()

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.settings.recent_files() if self.settings is not None else []
        for path in files:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _=False, p=path: self.open_session_file(p))
        self.recent_menu.setEnabled(bool(files))

    # ----- export --------------------------------------------------------------

    def open_export_dialog(self) -> ExportImageDialog:
        """Ask what to export and where; the export runs when the dialog is accepted."""
        dialog = ExportImageDialog(self.canvas, self, self.export_folder,
                                   self.export_image, self)
        dialog.open()
        return dialog

    def export_image(self, widget: QWidget, path: str, width: int | None = None) -> bool:
        """Save ``widget`` as a picture; on failure show why and keep everything."""
        metadata = {PNG_SESSION_KEY: session_to_toml(self.current_session())}
        try:
            size = export_image(widget, path, width, metadata)
        except ExportError as error:
            log.error("export failed: %s", error)
            self.show_error("Export failed", str(error))
            return False

        self.export_folder = str(Path(path).expanduser().resolve().parent)
        self.statusBar().showMessage(
            f"Saved {path} ({size.width()} x {size.height()} px)", 8000
        )
        return True

    def open_animation_dialog(self) -> AnimationDialog:
        """Ask for the animation's file and settings; the export starts on Save."""
        dialog = AnimationDialog(self.export_folder, self.session.steps,
                                 self.export_animation, self)
        dialog.open()
        return dialog

    def export_animation(self, path: str, settings: AnimationSettings) -> bool:
        """Compute the runs afresh, then draw and encode them with a progress bar.

        Returns False (after saying why) if the path or settings are refused; the
        export itself goes on in the background and reports when done.
        """
        try:
            checked = check_output_path(path, ANIMATION_FORMATS)
            settings.checked()
        except ParameterError as error:
            self.show_error("Export failed", str(error))
            return False

        progress = QProgressDialog("Computing the runs...", "Cancel", 0, 0, self)
        progress.setWindowTitle("Export animation")
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(0)
        computation = self._computation()
        session = self.current_session()

        def draw(trajectories: list[Trajectory]) -> None:
            try:
                job = AnimationJob(session, trajectories, str(checked), settings, self)
            except (ParameterError, OSError) as error:
                progress.close()
                self.show_error("Export failed", str(error))
                return
            self._jobs.append(job)
            progress.setLabelText(f"Writing {checked.name}...")
            progress.setMaximum(job.renderer.frame_count)
            progress.canceled.disconnect()
            progress.canceled.connect(job.cancel)
            job.progress.connect(lambda done, total: progress.setValue(done))
            job.finished.connect(lambda p: self._animation_done(progress, job, p))
            job.failed.connect(lambda m: self._animation_failed(progress, job, m))
            job.cancelled.connect(lambda: self._animation_failed(progress, job, None))
            job.start()

        computation.done.connect(draw)
        computation.failed.connect(lambda m: (progress.close(),
                                              self.show_error("Export failed", m)))
        progress.canceled.connect(computation.stop)
        self.animation_progress = progress
        computation.start()
        return True

    def export_data(self, path: str) -> bool:
        """Write every run's whole trajectory as CSV or JSON (by the name's ending)."""
        try:
            checked = check_output_path(path, (".csv", ".json"))
        except ParameterError as error:
            self.show_error("Export failed", str(error))
            return False

        computation = self._computation()
        session = self.session

        def write(trajectories: list[Trajectory]) -> None:
            render = trajectories_csv if checked.suffix.lower() == ".csv" \
                else trajectories_json
            try:
                write_atomically(checked, render(session, trajectories))
            except OSError as error:
                self.show_error("Export failed",
                                f"cannot save {checked}: {error.strerror or error}")
                return
            log.info("exported trajectories to %s", checked)
            self.statusBar().showMessage(f"Saved {checked}", 8000)
            self.data_exported.emit(str(checked))

        computation.done.connect(write)
        computation.failed.connect(lambda m: self.show_error("Export failed", m))
        computation.start()
        return True

    def ask_export_data(self) -> None:
        """Ask where to write the trajectories."""
        path, _ = QFileDialog.getSaveFileName(
            self, "Export data", str(Path(self.export_folder) / "trajectories.csv"),
            "CSV (*.csv);;JSON (*.json)")
        if path:
            self.export_data(path)

    def _computation(self) -> TrajectoryComputation:
        computation = TrajectoryComputation(self.session, self)
        self._computations.append(computation)
        computation.done.connect(lambda _: self._computations.remove(computation))
        return computation

    def _animation_done(self, progress: QProgressDialog, job: AnimationJob,
                        path: str) -> None:
        progress.close()
        self._jobs.remove(job)
        self.statusBar().showMessage(f"Saved {path}", 8000)
        self.animation_exported.emit(path)

    def _animation_failed(self, progress: QProgressDialog, job: AnimationJob,
                          message: str | None) -> None:
        progress.close()
        self._jobs.remove(job)
        if message is not None:
            self.show_error("Export failed", message)
        else:
            self.statusBar().showMessage("Animation export cancelled", 8000)

    def copy_image(self) -> None:
        """Put a picture of the canvas on the clipboard."""
        QApplication.clipboard().setImage(self.canvas.grab().toImage())
        self.statusBar().showMessage("Copied the canvas to the clipboard", 5000)

    def show_error(self, title: str, message: str) -> QMessageBox:
        """Show an error without blocking the event loop."""
        box = QMessageBox(QMessageBox.Icon.Critical, title, message,
                          QMessageBox.StandardButton.Ok, self)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.finished.connect(lambda *_: self._dialogs.remove(box))
        self._dialogs.append(box)
        box.open()
        return box

    # ----- window --------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        """Stop the workers and remember the session and layout before the window goes."""
        self.runner.shutdown()
        self.map_dock.shutdown()
        for job in list(self._jobs):
            job.cancel()
        for computation in self._computations:
            computation.stop()
        if self.settings is not None:
            self.settings.remember_session(self.current_session(), self.session_path)
            self.settings.remember_window(self.saveGeometry(), self.saveState())
        super().closeEvent(event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        """Accept a dragged session file (.toml, or a PNG this app exported)."""
        if _dropped_file(event.mimeData()) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        """Open the dropped session file."""
        path = _dropped_file(event.mimeData())
        if path is not None:
            event.acceptProposedAction()
            self.open_session_file(path)

    def event(self, event: QEvent) -> bool:
        """Also stop the worker when the window is deleted without being closed."""
        if event.type() == QEvent.Type.DeferredDelete:
            self.runner.shutdown()
            self.map_dock.shutdown()
        return super().event(event)

    def _connect_docks(self) -> None:
        surface, runs, playback = self.surface_dock, self.runs_dock, self.playback_dock

        surface.surface_chosen.connect(self._choose_surface)
        surface.parameter_committed.connect(self._edit_surface_parameter)
        surface.expression_committed.connect(self._edit_expression)
        self.compiler.compiled.connect(self._expression_compiled)
        surface.domain_committed.connect(self._edit_domain)
        surface.start_committed.connect(lambda x, y: self.edit_session(start=(x, y)))
        surface.start_reset.connect(lambda: self.edit_session(start=None))
        self.canvas.start_clicked.connect(self._start_clicked)

        runs.run_added.connect(self.add_run)
        runs.run_removed.connect(self.remove_run)
        runs.layout_chosen.connect(lambda layout: self.edit_session(layout=layout))
        runs.comparison_requested.connect(self.show_momentum_comparison)

        playback.play_clicked.connect(self.toggle_play)
        playback.step_chosen.connect(self.show_step)
        self.theory_dock.apply_optimal.connect(self.apply_optimal)
        self.map_dock.settings_chosen.connect(self.apply_map_settings)
        playback.restart_clicked.connect(lambda: self.restart(play=True))
        playback.steps_committed.connect(lambda steps: self.edit_session(steps=steps))
        playback.speed_chosen.connect(lambda speed: self.edit_session(speed=speed))

    # ----- runs ----------------------------------------------------------------

    def add_run(self) -> str | None:
        """Add a momentum run with settings that suit the surface."""
        surface = self.session.make_surface()
        run = RunConfig("momentum", suggested_hyperparameters(surface, "momentum"))
        return self.edit_session(runs=self.session.runs + (run,))

    def remove_run(self, index: int) -> str | None:
        """Remove run ``index``; the last run stays."""
        runs = self.session.runs[:index] + self.session.runs[index + 1:]
        return self.edit_session(runs=runs)

    def show_momentum_comparison(self) -> None:
        """Momentum rates 0, 0.5, 0.9 and 0.99 side by side on the valley."""
        self.apply_session(momentum_comparison(), play=True)

    def _apply_run_change(self, index: int, changes: dict) -> str | None:
        """Apply one editor's change to run ``index``; the reason if refused."""
        run = self.session.runs[index]
        if "optimizer" in changes:
            return self._try(lambda: self.session.with_run(
                index, optimizer=changes["optimizer"],
                hyperparameters=self._carried_over(run, changes["optimizer"])))
        if "hyperparameters" in changes:
            merged = dict(run.hyperparameters, **changes["hyperparameters"])
            return self._try(lambda: self.session.with_run(index, hyperparameters=merged))
        if "own_start" in changes:
            start = self.session.start_point() if changes["own_start"] else None
            return self._try(lambda: self.session.with_run(index, start=start))
        return self._try(lambda: self.session.with_run(index, **changes))

    def _carried_over(self, run: RunConfig, optimizer: str) -> dict[str, object]:
        """Settings for a run switching optimizer: the surface's suggestion, plus the
        momentum rate where both optimizers have one."""
        settings = suggested_hyperparameters(self.session.make_surface(), optimizer)
        names = {p.name for p in OPTIMIZERS[optimizer].hyperparameters}
        if "momentum" in names and run.hyperparameters.get("momentum"):
            settings["momentum"] = run.hyperparameters["momentum"]
        return settings

    # ----- surface -------------------------------------------------------------

    def _choose_surface(self, key: str) -> None:
        """Switch surface, with the learning rates and steps that suit it."""
        expression = self.session.expression or DEFAULT_EXPRESSION
        candidate = replace(self.session, surface=key, surface_params={}, start=None,
                            expression=expression)
        try:
            surface = candidate.make_surface()
        except ParameterError as error:
            self.statusBar().showMessage(str(error), 8000)
            return

        self.edit_session(surface=key, surface_params={}, start=None,
                          runs=self._suited_runs(surface), expression=expression,
                          steps=surface.default_steps)

    def _suited_runs(self, surface: Surface) -> tuple[RunConfig, ...]:
        """The runs, starting together, with learning rates that suit ``surface``."""
        return tuple(
            replace(run, start=None, hyperparameters=dict(
                run.hyperparameters, **suggested_hyperparameters(surface, run.optimizer)))
            for run in self.session.runs
        )

    def _edit_surface_parameter(self, name: str, value: float) -> None:
        params = dict(self.session.make_surface().params, **{name: value})
        self.edit_session(surface_params=params)

    def _edit_expression(self, text: str) -> None:
        """Compile the typed expression in the background, then apply it."""
        self.statusBar().showMessage("Working out the expression's gradient...")
        self.compiler.compile(text, self.session.domain or DEFAULT_DOMAIN)

    def _expression_compiled(self, text: str, error: str) -> None:
        self.statusBar().clearMessage()
        if not error:
            error = self._edit_custom_surface(expression=text)
        if error:
            self.surface_dock.expression.show_error(error)
        self.expression_applied.emit()

    def _edit_domain(self, domain: tuple[float, float, float, float]) -> None:
        error = self._edit_custom_surface(domain=domain)
        if error is not None:
            self.surface_dock.refuse_domain(error)

    def _edit_custom_surface(self, **changes: object) -> str | None:
        """A new expression or domain, with a start and learning rates that suit it."""
        def make() -> Session:
            candidate = self.session.edited(start=None, **changes)
            return candidate.edited(runs=self._suited_runs(candidate.make_surface()))
        return self._try(make)

    def _start_clicked(self, x: float, y: float, run: int) -> None:
        """A click sets the shared start, or the clicked run's own start if it has one."""
        point = (round(x, 4), round(y, 4))
        if run >= 0 and self.session.runs[run].start is not None:
            self._try(lambda: self.session.with_run(run, start=point))
        else:
            self.edit_session(start=point)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self._action(file_menu, "&Open session...", self.ask_open_session,
                     QKeySequence.StandardKey.Open)
        self.recent_menu = file_menu.addMenu("Open &recent")
        self._fill_recent_menu()
        self._action(file_menu, "&Save session", lambda: self.save_session_file(),
                     QKeySequence.StandardKey.Save)
        self._action(file_menu, "Save session &as...", self.save_session_as,
                     QKeySequence("Ctrl+Shift+S"))
        file_menu.addSeparator()
        self._action(file_menu, "&Export image...", self.open_export_dialog,
                     QKeySequence("Ctrl+E"))
        self._action(file_menu, "Export &animation...", self.open_animation_dialog,
                     QKeySequence("Ctrl+Shift+E"))
        self._action(file_menu, "Export &data...", self.ask_export_data)
        self._action(file_menu, "&Copy image", self.copy_image,
                     QKeySequence("Ctrl+Shift+C"))
        file_menu.addSeparator()
        self._action(file_menu, "Reset to &defaults", self.reset_to_defaults)
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        play_menu = self.menuBar().addMenu("&Playback")
        play = QAction("&Play / pause", self)
        play.setShortcut(QKeySequence(Qt.Key.Key_Space))
        play.triggered.connect(self.toggle_play)
        restart = QAction("&Restart", self)
        restart.setShortcut(QKeySequence(Qt.Key.Key_R))
        restart.triggered.connect(lambda: self.restart(play=True))
        frame = QAction("&Frame the surface", self)
        frame.setShortcut(QKeySequence(Qt.Key.Key_F))
        frame.triggered.connect(self.canvas.frame_domain)
        back = QAction("Step &back", self)
        back.setShortcut(QKeySequence(Qt.Key.Key_Left))
        back.triggered.connect(lambda: self.show_step(
            (self.computed if self.shown_step is None else self.shown_step) - 1))
        forward = QAction("Step &forward", self)
        forward.setShortcut(QKeySequence(Qt.Key.Key_Right))
        forward.triggered.connect(lambda: self.show_step(
            (self.computed if self.shown_step is None else self.shown_step) + 1))
        for action in (play, restart, back, forward, frame):
            play_menu.addAction(action)

        presets = self.menuBar().addMenu("P&resets")
        presets.setToolTipsVisible(True)
        for name, title in PRESETS.items():
            action = self._action(presets, title,
                                  lambda _=False, n=name: self.open_preset(n))
            action.setToolTip(LESSONS[name])
            action.setStatusTip(LESSONS[name])

        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(self.arrows_action)
        view_menu.addSeparator()
        for dock in (self.surface_dock, self.runs_dock, self.playback_dock,
                     self.loss_dock, self.results_dock, self.theory_dock, self.map_dock):
            view_menu.addAction(dock.toggleViewAction())

    def _action(self, menu: object, text: str, slot: Callable,
                shortcut: object = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(lambda _=False: slot())
        menu.addAction(action)
        return action

    def _fit_to_screen(self) -> None:
        """1440 x 900, or nine tenths of a smaller screen.

        The offscreen platform's pretend screen is 800 x 800; pictures made there
        keep the full size.
        """
        screen = self.screen().availableGeometry() if self.screen() else None
        width, height = WINDOW_SIZE
        offscreen = QGuiApplication.platformName() == "offscreen"
        if screen is not None and screen.width() > 0 and not offscreen:
            width = min(width, int(screen.width() * 0.9))
            height = min(height, int(screen.height() * 0.9))
        self.resize(width, height)

    def _titles(self) -> list[str]:
        return [run.title() for run in self.session.runs]

    def _colors(self) -> list[str]:
        return [self.session.color_of(i) for i in range(len(self.session.runs))]


def _summary(trajectories: list[Trajectory]) -> str:
    """How the runs ended, in a few words: ``2 finished after 60 steps, 1 diverged``."""
    counts: dict[str, int] = {}
    for trajectory in trajectories:
        words = trajectory.status.describe()
        if trajectory.status.state.value in ("converged", "diverged"):
            words = trajectory.status.state.value
        counts[words] = counts.get(words, 0) + 1
    return "Runs: " + ", ".join(f"{n} {words}" for words, n in counts.items())


def _dropped_file(data: QMimeData) -> str | None:
    """The one local .toml or .png file being dragged, if that is what it is."""
    urls = data.urls() if data.hasUrls() else []
    if len(urls) != 1 or not urls[0].isLocalFile():
        return None
    path = urls[0].toLocalFile()
    return path if Path(path).suffix.lower() in (".toml", ".png") else None


