"""The Runs dock: one editor per run (optimizer, hyperparameters, look, noise), layout.

Every edit goes through ``apply``, which the window gives the dock: it returns None
when the session took the change, or the message saying why it was refused, which
the dock shows at the field the change came from.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QComboBox,
    QDockWidget,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.optimizers import OPTIMIZERS, check_hyperparameters
from ..core.parameters import Parameter
from ..core.session import LAYOUTS, MAX_RUNS, NOISE, SEED, RunConfig, Session
from .canvas import BACKGROUND
from .docks import scrolled
from .fields import NumberField

__all__ = ["RunEditor", "RunsDock"]

Apply = Callable[[int, dict], "str | None"]

ESSENTIAL = ("lr", "momentum", "betas", "alpha", "nesterov")
"""Hyperparameters always shown; the rest sit under 'More settings'."""

LAYOUT_NAMES = {"side_by_side": "Side by side", "overlay": "Overlaid, one pane"}


class RunEditor(QGroupBox):
    """Edits one run: its optimizer, hyperparameters, label, colour, start and noise."""

    remove_clicked = Signal(int)

    def __init__(self, index: int, run: RunConfig, color: str, apply: Apply,
                 removable: bool) -> None:
        super().__init__(f"Run {index + 1}")
        self.index = index
        self._apply = apply

        self.optimizer = QComboBox()
        for key, cls in OPTIMIZERS.items():
            self.optimizer.addItem(cls.title, key)
        self.optimizer.setCurrentIndex(self.optimizer.findData(run.optimizer))
        self.optimizer.setToolTip(OPTIMIZERS[run.optimizer].summary)
        self.optimizer.currentIndexChanged.connect(
            lambda _: self._send({"optimizer": self.optimizer.currentData()}, None)
        )
        self.color_button = QToolButton()
        self.color_button.setToolTip("Choose this run's colour.")
        self._show_color(color)
        self.color_button.clicked.connect(self._choose_color)
        remove = QToolButton()
        remove.setText("x")
        remove.setToolTip("Remove this run.")
        remove.setEnabled(removable)
        remove.clicked.connect(lambda: self.remove_clicked.emit(self.index))
        header = QHBoxLayout()
        header.addWidget(self.optimizer, 1)
        header.addWidget(self.color_button)
        header.addWidget(remove)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.message.setStyleSheet("color: #ff6b6b; font-weight: normal;")
        self.message.hide()

        self.fields: dict[str, NumberField | QCheckBox] = {}
        essential, more = QFormLayout(), QFormLayout()
        values = check_hyperparameters(run.optimizer, run.hyperparameters)
        for parameter in OPTIMIZERS[run.optimizer].hyperparameters:
            widget = self._hyperparameter_widget(parameter, values[parameter.name])
            target = essential if parameter.name in ESSENTIAL else more
            target.addRow(parameter.label, widget)
            self.fields[parameter.name] = widget
        self._add_look_and_noise(more, run)

        self.more = QWidget()
        self.more.setLayout(more)
        self.more.hide()
        toggle = QPushButton("More settings")
        toggle.setCheckable(True)
        toggle.setFlat(True)
        toggle.toggled.connect(self.more.setVisible)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addLayout(essential)
        layout.addWidget(toggle, alignment=Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.more)
        layout.addWidget(self.message)

    def show_run(self, run: RunConfig, color: str) -> None:
        """Show the run's current values without emitting."""
        values = check_hyperparameters(run.optimizer, run.hyperparameters)
        for name, widget in self.fields.items():
            if isinstance(widget, QCheckBox):
                widget.blockSignals(True)
                widget.setChecked(bool(values[name]))
                widget.blockSignals(False)
            else:
                widget.set_value(values[name])

        self.label.setText(run.label)
        self.noise.set_value(run.noise)
        self.seed.set_value(run.seed)
        self.own_start.blockSignals(True)
        self.own_start.setChecked(run.start is not None)
        self.own_start.blockSignals(False)
        self._show_color(color)
        self.message.hide()

    def _show_color(self, color: str) -> None:
        """The run's colour in its title and its colour button.

        The title sits on the canvas's dark background, where every run colour was
        chosen to show (white on the dock's light grey would vanish).
        """
        self.setStyleSheet(
            "QGroupBox { font-weight: bold; border: 1px solid #b8bcc4; "
            "border-radius: 4px; margin-top: 1.1em; padding-top: 0.4em; }"
            "QGroupBox::title { subcontrol-origin: margin; left: 8px; "
            f"padding: 1px 6px; border-radius: 3px; color: {color}; "
            f"background: {BACKGROUND}; }}"
        )
        self.color_button.setStyleSheet(
            f"background: {color}; min-width: 18px; border: 1px solid #5f6368; "
            "border-radius: 3px;"
        )

    def show_error(self, message: str) -> None:
        """Say why the last change was refused."""
        self.message.setText(message[:1].upper() + message[1:] + ".")
        self.message.show()

    def _hyperparameter_widget(self, parameter: Parameter, value: object) -> QWidget:
        if parameter.kind == "flag":
            box = QCheckBox()
            box.setChecked(bool(value))
            box.setToolTip(parameter.description)
            box.toggled.connect(
                lambda on, name=parameter.name, box=box: self._send_flag(name, on, box)
            )
            return box

        field = NumberField(parameter, value)
        field.value_committed.connect(
            lambda v, name=parameter.name, field=field: self._send_hyperparameter(
                name, v, field)
        )
        return field

    def _add_look_and_noise(self, form: QFormLayout, run: RunConfig) -> None:
        self.label = QLineEdit(run.label)
        self.label.setPlaceholderText("made from the hyperparameters")
        self.label.setMaxLength(80)
        self.label.editingFinished.connect(
            lambda: self._send({"label": self.label.text().strip()}, None)
        )
        self.noise = NumberField(NOISE, run.noise)
        self.noise.value_committed.connect(lambda v: self._send({"noise": v}, self.noise))
        self.seed = NumberField(SEED, run.seed)
        self.seed.value_committed.connect(lambda v: self._send({"seed": int(v)}, self.seed))
        self.own_start = QCheckBox("own start (click its pane)")
        self.own_start.setToolTip("Start this run somewhere else than the others; "
                                  "the shared start is set in the Surface dock.")
        self.own_start.setChecked(run.start is not None)
        self.own_start.toggled.connect(lambda on: self._send({"own_start": on}, None))

        form.addRow("label", self.label)
        form.addRow("gradient noise", self.noise)
        form.addRow("noise seed", self.seed)
        form.addRow("", self.own_start)

    def _send_hyperparameter(self, name: str, value: object, field: NumberField) -> None:
        self._send({"hyperparameters": {name: value}}, field)

    def _send_flag(self, name: str, on: bool, box: QCheckBox) -> None:
        if self._send({"hyperparameters": {name: on}}, None) is not None:
            box.blockSignals(True)
            box.setChecked(not on)
            box.blockSignals(False)

    def _send(self, changes: dict, field: NumberField | None) -> str | None:
        error = self._apply(self.index, changes)
        if error is None:
            self.message.hide()
        elif field is not None:
            field.show_error(error)
        else:
            self.show_error(error)
        return error

    def _choose_color(self) -> None:
        color = QColorDialog.getColor(QColor(self.color_button.palette().button().color()),
                                      self, "Run colour")
        if color.isValid():
            self._send({"color": color.name()}, None)


class RunsDock(QDockWidget):
    """All runs of the session, their layout, and ways to add runs."""

    run_added = Signal()
    run_removed = Signal(int)
    layout_chosen = Signal(str)
    comparison_requested = Signal()

    def __init__(self, apply: Apply) -> None:
        super().__init__("Runs")
        self.setObjectName("runs_dock")
        self._apply = apply
        self.editors: list[RunEditor] = []
        self._shown: Session | None = None

        self.layout_choice = QComboBox()
        for key in LAYOUTS:
            self.layout_choice.addItem(LAYOUT_NAMES[key], key)
        self.layout_choice.currentIndexChanged.connect(
            lambda _: self.layout_chosen.emit(self.layout_choice.currentData())
        )
        self.add_button = QPushButton("Add run")
        self.add_button.setToolTip(f"Add a run (at most {MAX_RUNS}).")
        self.add_button.clicked.connect(self.run_added)
        compare = QPushButton("Compare momentum rates")
        compare.setToolTip("Momentum 0, 0.5, 0.9 and 0.99 on the valley: too small is "
                           "slow, too large overshoots.")
        compare.clicked.connect(self.comparison_requested)

        top = QFormLayout()
        top.addRow("layout", self.layout_choice)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(compare)

        self._editors_box = QVBoxLayout()
        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(8, 8, 8, 8)
        column.addLayout(top)
        column.addLayout(buttons)
        column.addLayout(self._editors_box)
        column.addStretch(1)
        self.setWidget(scrolled(body))

    @property
    def fields(self) -> list[dict[str, NumberField | QCheckBox]]:
        """Each run's hyperparameter widgets by name."""
        return [editor.fields for editor in self.editors]

    def show_session(self, session: Session) -> None:
        """Rebuild the editors for the session's runs (without emitting)."""
        self.layout_choice.blockSignals(True)
        self.layout_choice.setCurrentIndex(self.layout_choice.findData(session.layout))
        self.layout_choice.blockSignals(False)
        self.add_button.setEnabled(len(session.runs) < MAX_RUNS)

        shape = [run.optimizer for run in session.runs]
        if self._shown is not None and shape == [r.optimizer for r in self._shown.runs]:
            self._shown = session
            for index, (editor, run) in enumerate(zip(self.editors, session.runs)):
                editor.show_run(run, session.color_of(index))
            return

        self._shown = session
        for editor in self.editors:
            self._editors_box.removeWidget(editor)
            editor.hide()  # deleteLater waits for the event loop; hide it now
            editor.deleteLater()
        self.editors = []
        for index, run in enumerate(session.runs):
            editor = RunEditor(index, run, session.color_of(index), self._apply,
                               removable=len(session.runs) > 1)
            editor.remove_clicked.connect(self.run_removed)
            self._editors_box.addWidget(editor)
            self.editors.append(editor)
