"""Docks that edit the session: the surface, the runs' hyperparameters, the playback."""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from ..core.optimizers import OPTIMIZERS, check_hyperparameters
from ..core.parameters import Parameter
from ..core.session import STEPS, Session
from ..core.surfaces import SURFACES
from .fields import NumberField

__all__ = ["PlaybackDock", "RunsDock", "SurfaceDock", "SPEEDS"]

SPEEDS = (1, 2, 3, 5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 1000, 2000,
          5000, math.inf)
"""Positions of the speed slider, in steps per second; the last is 'max'."""


def _clear(layout: QFormLayout | QVBoxLayout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        if item.widget() is not None:
            item.widget().deleteLater()


class SurfaceDock(QDockWidget):
    """Choose the surface, set its parameters and the start point."""

    surface_chosen = Signal(str)
    parameter_committed = Signal(str, float)
    start_committed = Signal(float, float)
    start_reset = Signal()

    def __init__(self) -> None:
        super().__init__("Surface")
        self.setObjectName("surface_dock")
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(8, 8, 8, 8)

        self.choice = QComboBox()
        for key, cls in SURFACES.items():
            self.choice.addItem(cls.title, key)
        self.choice.currentIndexChanged.connect(
            lambda _: self.surface_chosen.emit(self.choice.currentData())
        )
        self.formula = QLabel()
        self.formula.setWordWrap(True)
        self.formula.setStyleSheet("color: #9aa0a6;")
        self.parameter_form = QFormLayout()

        self.start_x = NumberField(_coordinate("x"), 0.0, check=self._check_x)
        self.start_y = NumberField(_coordinate("y"), 0.0, check=self._check_y)
        self.start_x.value_committed.connect(self._commit_start)
        self.start_y.value_committed.connect(self._commit_start)
        reset = QPushButton("Default start")
        reset.setToolTip("Go back to the surface's suggested start point.")
        reset.clicked.connect(self.start_reset)
        start_form = QFormLayout()
        start_form.addRow("start x", self.start_x)
        start_form.addRow("start y", self.start_y)
        hint = QLabel("Or click a pane to start there.")
        hint.setStyleSheet("color: #9aa0a6;")

        layout.addWidget(self.choice)
        layout.addWidget(self.formula)
        layout.addLayout(self.parameter_form)
        layout.addLayout(start_form)
        layout.addWidget(hint)
        layout.addWidget(reset)
        layout.addStretch(1)
        self.setWidget(body)

        self.fields: dict[str, NumberField] = {}
        self._session: Session | None = None

    def show_session(self, session: Session) -> None:
        """Show the session's surface, parameters and start without emitting."""
        surface = session.make_surface()
        rebuild = self._session is None or self._session.surface != session.surface
        self._session = session

        self.choice.blockSignals(True)
        self.choice.setCurrentIndex(self.choice.findData(session.surface))
        self.choice.blockSignals(False)
        self.formula.setText(f"f(x, y) = {surface.formula}\n{surface.domain.describe()}")

        if rebuild:
            self._build_parameter_fields(surface.parameters, surface.params)
        for name, field in self.fields.items():
            field.set_value(surface.params[name])

        x, y = session.start_point()
        self.start_x.set_value(x)
        self.start_y.set_value(y)

    def _build_parameter_fields(self, parameters: tuple[Parameter, ...],
                                values: dict[str, float]) -> None:
        _clear(self.parameter_form)
        self.fields = {}
        for parameter in parameters:
            field = NumberField(parameter, values[parameter.name])
            field.value_committed.connect(
                lambda value, name=parameter.name: self.parameter_committed.emit(name, value)
            )
            self.parameter_form.addRow(parameter.label, field)
            self.fields[parameter.name] = field

    def _check_x(self, x: float) -> None:
        if self._session is not None:
            self._session.make_surface().check_start(x, self.start_y.value)

    def _check_y(self, y: float) -> None:
        if self._session is not None:
            self._session.make_surface().check_start(self.start_x.value, y)

    def _commit_start(self) -> None:
        self.start_committed.emit(self.start_x.value, self.start_y.value)


class RunsDock(QDockWidget):
    """Each run's optimizer hyperparameters, one group per run in its colour."""

    hyperparameter_committed = Signal(int, str, float)

    def __init__(self) -> None:
        super().__init__("Runs")
        self.setObjectName("runs_dock")
        body = QWidget()
        self._layout = QVBoxLayout(body)
        self._layout.setContentsMargins(8, 8, 8, 8)
        self.setWidget(body)
        self.fields: list[dict[str, NumberField]] = []
        self._shape: list[str] = []

    def show_session(self, session: Session) -> None:
        """Show every run's hyperparameters without emitting."""
        shape = [run.optimizer for run in session.runs]
        if shape != self._shape:
            self._rebuild(session)
            self._shape = shape

        for index, run in enumerate(session.runs):
            values = check_hyperparameters(run.optimizer, run.hyperparameters)
            for name, field in self.fields[index].items():
                field.set_value(values[name])

    def _rebuild(self, session: Session) -> None:
        _clear(self._layout)
        self.fields = []
        for index, run in enumerate(session.runs):
            cls = OPTIMIZERS[run.optimizer]
            group = QGroupBox(cls.title)
            group.setStyleSheet(
                f"QGroupBox {{ font-weight: bold; color: {session.color_of(index)}; }}"
            )
            form = QFormLayout(group)
            values = check_hyperparameters(run.optimizer, run.hyperparameters)
            fields = {}
            for parameter in cls.hyperparameters:
                field = NumberField(parameter, values[parameter.name])
                field.value_committed.connect(self._emitter(index, parameter.name))
                form.addRow(parameter.label, field)
                fields[parameter.name] = field
            self.fields.append(fields)
            self._layout.addWidget(group)
        self._layout.addStretch(1)

    def _emitter(self, index: int, name: str) -> Callable[[float], None]:
        return lambda value: self.hyperparameter_committed.emit(index, name, value)


class PlaybackDock(QDockWidget):
    """Play, pause and restart; the number of steps and the speed."""

    play_clicked = Signal()
    restart_clicked = Signal()
    steps_committed = Signal(int)
    speed_chosen = Signal(float)

    def __init__(self) -> None:
        super().__init__("Playback")
        self.setObjectName("playback_dock")
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(8, 8, 8, 8)

        self.play_button = QPushButton("Play")
        self.play_button.setToolTip("Play or pause the animation (Space).")
        self.play_button.clicked.connect(self.play_clicked)
        self.restart_button = QPushButton("Restart")
        self.restart_button.setToolTip("Play again from the start (R).")
        self.restart_button.clicked.connect(self.restart_clicked)
        buttons = QHBoxLayout()
        buttons.addWidget(self.play_button)
        buttons.addWidget(self.restart_button)

        self.steps = NumberField(STEPS, STEPS.default)
        self.steps.value_committed.connect(lambda v: self.steps_committed.emit(int(v)))
        self.speed = QSlider(Qt.Orientation.Horizontal)
        self.speed.setRange(0, len(SPEEDS) - 1)
        self.speed.setToolTip("Steps per second; at the right end, as fast as it can.")
        self.speed.valueChanged.connect(self._speed_moved)
        self.speed_label = QLabel()
        form = QFormLayout()
        form.addRow("steps", self.steps)
        form.addRow("speed", self.speed)
        form.addRow("", self.speed_label)

        layout.addLayout(buttons)
        layout.addLayout(form)
        layout.addStretch(1)
        self.setWidget(body)

    def show_session(self, session: Session) -> None:
        """Show the session's steps and speed without emitting."""
        self.steps.set_value(session.steps)
        self.speed.blockSignals(True)
        self.speed.setValue(_nearest_speed(session.speed))
        self.speed.blockSignals(False)
        self.speed_label.setText(_speed_text(session.speed))

    def show_playing(self, playing: bool, finished: bool) -> None:
        """Label the play button for what a click will do."""
        if playing:
            self.play_button.setText("Pause")
        else:
            self.play_button.setText("Replay" if finished else "Play")

    def _speed_moved(self, position: int) -> None:
        speed = SPEEDS[position]
        self.speed_label.setText(_speed_text(speed))
        self.speed_chosen.emit(speed)


def _coordinate(axis: str) -> Parameter:
    return Parameter(f"start_{axis}", f"start {axis}", 0.0,
                     description=f"The {axis} coordinate every run starts from.")


def _nearest_speed(speed: float) -> int:
    if math.isinf(speed):
        return len(SPEEDS) - 1
    finite = SPEEDS[:-1]
    return min(range(len(finite)), key=lambda i: abs(math.log(finite[i] / speed)))


def _speed_text(speed: float) -> str:
    return "as fast as possible" if math.isinf(speed) else f"{speed:g} steps per second"
