"""Docks that edit the session: the surface, the runs' hyperparameters, the playback."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from ..core.expressions import FUNCTIONS
from ..core.parameters import Parameter
from ..core.session import DEFAULT_DOMAIN, STEPS, Session
from ..core.surfaces import SURFACES, Surface
from .fields import NumberField, TextField

__all__ = ["PlaybackDock", "SurfaceDock", "SPEEDS", "scrolled"]

SPEEDS = (1, 2, 3, 5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 1000, 2000,
          5000, math.inf)
"""Positions of the speed slider, in steps per second; the last is 'max'."""


def scrolled(body: QWidget) -> QScrollArea:
    """``body`` in a scroll area, so that a dock can be made smaller than its fields.

    Without it a dock's minimum height is the sum of its fields', and the docks
    together made the window taller than a laptop's screen.
    """
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(body)
    return scroll


class SurfaceDock(QDockWidget):
    """Choose the surface (or type one), set its parameters and the start point."""

    surface_chosen = Signal(str)
    parameter_committed = Signal(str, float)
    expression_committed = Signal(str)
    domain_committed = Signal(object)
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
        self.choice.addItem("Custom expression", "expression")
        self.choice.currentIndexChanged.connect(
            lambda _: self.surface_chosen.emit(self.choice.currentData())
        )
        self.formula = QLabel()
        self.formula.setWordWrap(True)
        self.formula.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.formula.setStyleSheet("color: #9aa0a6;")

        self.expression = TextField(
            "f(x, y) =", "Numbers, x, y, + - * / ** ^, ( ), pi, e and the functions "
            + ", ".join(FUNCTIONS) + ".")
        self.expression.text_committed.connect(self.expression_committed)
        self.domain_fields = [NumberField(_bound(name), value) for name, value in
                              zip(("x min", "x max", "y min", "y max"), DEFAULT_DOMAIN)]
        for field in self.domain_fields:
            field.value_committed.connect(lambda _, f=field: self._commit_domain(f))
        self._domain_field = self.domain_fields[0]
        self.expression_box = QWidget()
        expression_form = QFormLayout(self.expression_box)
        expression_form.setContentsMargins(0, 0, 0, 0)
        expression_form.addRow(self.expression)
        for field in self.domain_fields:
            expression_form.addRow(field.parameter.label, field)

        self.form = QFormLayout()
        self.fields: dict[str, NumberField] = {}
        self._session: Session | None = None
        self._surface_key = ""
        self._build_parameter_fields((), {})
        reset = QPushButton("Default start")
        reset.setToolTip("Go back to the surface's suggested start point.")
        reset.clicked.connect(self.start_reset)
        hint = QLabel("Or click a pane to start there.")
        hint.setStyleSheet("color: #9aa0a6;")

        layout.addWidget(self.choice)
        layout.addWidget(self.formula)
        layout.addWidget(self.expression_box)
        layout.addLayout(self.form)
        layout.addWidget(hint)
        layout.addWidget(reset)
        layout.addStretch(1)
        self.setWidget(scrolled(body))

    def show_session(self, session: Session) -> None:
        """Show the session's surface, parameters and start without emitting."""
        surface = session.make_surface()
        self._session = session

        self.choice.blockSignals(True)
        self.choice.setCurrentIndex(self.choice.findData(session.surface))
        self.choice.blockSignals(False)
        custom = session.surface == "expression"
        self.expression_box.setVisible(custom)
        self.formula.setText(
            f"{surface.domain.describe()}" if custom
            else f"f(x, y) = {surface.formula}\n{surface.domain.describe()}"
        )
        if custom:
            self.expression.set_text(session.expression)
            for field, value in zip(self.domain_fields, _domain_of(surface)):
                field.set_value(value)

        if session.surface != self._surface_key:
            self._build_parameter_fields(surface.parameters, surface.params)
            self._surface_key = session.surface
        for name, field in self.fields.items():
            field.set_value(surface.params[name])

        x, y = session.start_point()
        self.start_x.set_value(x)
        self.start_y.set_value(y)

    def _build_parameter_fields(self, parameters: tuple[Parameter, ...],
                                values: dict[str, float]) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields = {}
        for parameter in parameters:
            field = NumberField(parameter, values[parameter.name])
            field.value_committed.connect(
                lambda value, name=parameter.name: self.parameter_committed.emit(name, value)
            )
            self.form.addRow(parameter.label, field)
            self.fields[parameter.name] = field

        self.start_x = NumberField(_coordinate("x"), 0.0, check=self._check_x)
        self.start_y = NumberField(_coordinate("y"), 0.0, check=self._check_y)
        self.start_x.value_committed.connect(self._commit_start)
        self.start_y.value_committed.connect(self._commit_start)
        self.form.addRow("start x", self.start_x)
        self.form.addRow("start y", self.start_y)

    def _check_x(self, x: float) -> None:
        if self._session is not None:
            self._session.make_surface().check_start(x, self.start_y.value)

    def _check_y(self, y: float) -> None:
        if self._session is not None:
            self._session.make_surface().check_start(self.start_x.value, y)

    def _commit_start(self) -> None:
        self.start_committed.emit(self.start_x.value, self.start_y.value)

    def refuse_domain(self, message: str) -> None:
        """Say under the bound just typed why the domain it makes was refused."""
        self._domain_field.show_error(message)

    def _commit_domain(self, field: NumberField) -> None:
        self._domain_field = field
        self.domain_committed.emit(tuple(field.value for field in self.domain_fields))


class PlaybackDock(QDockWidget):
    """Play, pause and restart; the number of steps and the speed."""

    play_clicked = Signal()
    restart_clicked = Signal()
    steps_committed = Signal(int)
    speed_chosen = Signal(float)
    step_chosen = Signal(int)

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

        self.timeline = QSlider(Qt.Orientation.Horizontal)
        self.timeline.setRange(0, 0)
        self.timeline.setToolTip("Drag to any step computed so far; the panes, arrows, "
                                 "readouts and loss plot follow.")
        self.timeline.sliderMoved.connect(self.step_chosen)
        self.timeline.actionTriggered.connect(self._timeline_clicked)
        back = QPushButton("<")
        back.setToolTip("One step back (Left).")
        back.clicked.connect(lambda: self._nudge(-1))
        forward = QPushButton(">")
        forward.setToolTip("One step forward (Right).")
        forward.clicked.connect(lambda: self._nudge(1))
        for button in (back, forward):
            button.setMaximumWidth(32)
        self.step_label = QLabel("step 0 of 0")
        timeline = QHBoxLayout()
        timeline.addWidget(back)
        timeline.addWidget(self.timeline, 1)
        timeline.addWidget(forward)

        layout.addLayout(buttons)
        layout.addLayout(form)
        layout.addWidget(QLabel("timeline"))
        layout.addLayout(timeline)
        layout.addWidget(self.step_label)
        layout.addStretch(1)
        self.setWidget(scrolled(body))

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

    def show_timeline(self, shown: int, computed: int) -> None:
        """Put the timeline at step ``shown`` of ``computed`` (without emitting)."""
        self.timeline.blockSignals(True)
        self.timeline.setRange(0, computed)
        self.timeline.setValue(shown)
        self.timeline.blockSignals(False)
        self.step_label.setText(f"step {shown} of {computed} computed")

    def _nudge(self, delta: int) -> None:
        step = min(max(self.timeline.value() + delta, 0), self.timeline.maximum())
        self.step_chosen.emit(step)

    def _timeline_clicked(self, action: int) -> None:
        if action != QSlider.SliderAction.SliderMove:  # page clicks and arrow keys
            self.step_chosen.emit(self.timeline.sliderPosition())

    def _speed_moved(self, position: int) -> None:
        speed = SPEEDS[position]
        self.speed_label.setText(_speed_text(speed))
        self.speed_chosen.emit(speed)


def _coordinate(axis: str) -> Parameter:
    return Parameter(f"start_{axis}", f"start {axis}", 0.0,
                     description=f"The {axis} coordinate every run starts from.")


def _bound(label: str) -> Parameter:
    return Parameter(label.replace(" ", "_"), label, 0.0, -1e6, 1e6,
                     description=f"The domain's {label}: where the surface is drawn.")


def _domain_of(surface: Surface) -> tuple[float, float, float, float]:
    d = surface.domain
    return (d.x_min, d.x_max, d.y_min, d.y_max)


def _nearest_speed(speed: float) -> int:
    if math.isinf(speed):
        return len(SPEEDS) - 1
    finite = SPEEDS[:-1]
    return min(range(len(finite)), key=lambda i: abs(math.log(finite[i] / speed)))


def _speed_text(speed: float) -> str:
    return "as fast as possible" if math.isinf(speed) else f"{speed:g} steps per second"
