"""A number field that refuses bad input with a message and keeps the last valid value."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QSizePolicy, QVBoxLayout, QWidget

from ..core.parameters import Parameter, ParameterError

__all__ = ["NumberField", "TextField"]

ERROR_STYLE = "QLineEdit { border: 2px solid #d62728; }"


class NumberField(QWidget):
    """A line edit for one number, checked when the user presses Enter or leaves it.

    A refused entry stays visible, outlined in red, with the reason underneath; the
    value in force is still the last valid one, and :attr:`value_committed` is only
    emitted for valid values. An owner that refuses a committed value (the session
    as a whole does not allow it) calls :meth:`show_error` from its slot, and the
    field keeps its earlier value.

    Parameters
    ----------
    parameter : Parameter
        Gives the range, the words for messages and the tooltip.
    value : float
        The value shown at first.
    check : callable, optional
        A further check of a parsed value (e.g. that a start lies on the surface);
        it raises ParameterError to refuse it.
    """

    value_committed = Signal(object)

    def __init__(self, parameter: Parameter, value: float,
                 check: Callable[[float], None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.parameter = parameter
        self._check = check
        self._value = parameter.validate(value)

        self.edit = QLineEdit(_format(self._value))
        self.edit.setToolTip(f"{parameter.description}\nAllowed: {parameter.allowed()}.")
        self.edit.setAccessibleName(parameter.label)
        self.error = _error_label()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit)
        layout.addWidget(self.error)
        self.edit.editingFinished.connect(self.commit)

    @property
    def value(self) -> float | tuple[float, float]:
        """The value in force: the last one that passed every check."""
        return self._value

    @property
    def error_text(self) -> str:
        """The message shown for the last refused entry, or empty."""
        return self.error.text() if not self.error.isHidden() else ""

    def set_value(self, value: float) -> None:
        """Show a value set from elsewhere (no signal), clearing any error."""
        self._value = self.parameter.validate(value)
        self.edit.setText(_format(self._value))
        self._clear_error()

    def commit(self) -> None:
        """Check the typed text; keep and announce it if allowed, else explain why not."""
        try:
            value = self.parameter.parse(self.edit.text())
            if self._check is not None:
                self._check(value)
        except ParameterError as error:
            self.show_error(str(error))
            return

        self._clear_error()
        if value != self._value:
            kept, self._value = self._value, value
            self.value_committed.emit(value)
            if self.error_text:  # the owner refused it (show_error): keep the old one
                self._value = kept

    def show_error(self, message: str) -> None:
        """Show why the entry was refused; the value in force does not change."""
        self.error.setText(_sentence(message))
        self.error.show()
        self.edit.setStyleSheet(ERROR_STYLE)

    def _clear_error(self) -> None:
        self.error.clear()
        self.error.hide()
        self.edit.setStyleSheet("")


def _error_label() -> QLabel:
    """A hidden red label for a refusal; a long message wraps inside the dock
    instead of widening it."""
    label = QLabel()
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    label.setMinimumWidth(120)
    label.setStyleSheet("color: #ff6b6b;")
    label.hide()
    return label


def _format(value: float | tuple[float, float]) -> str:
    if isinstance(value, tuple):
        return ", ".join(f"{v:.10g}" for v in value)
    return f"{value:.10g}"


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


class TextField(QWidget):
    """A line of text (an expression), committed on Enter or when focus leaves.

    The owner checks the text and calls :meth:`show_error` to refuse it; the text
    stays for the user to correct, and the value in force is unchanged.
    """

    text_committed = Signal(str)

    def __init__(self, label: str, tooltip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setToolTip(tooltip)
        self.edit.setAccessibleName(label)
        self.edit.setPlaceholderText("e.g. x^2 + 10*sin(y)")
        self.error = _error_label()
        self._committed = ""

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(QLabel(label))
        layout.addWidget(self.edit)
        layout.addWidget(self.error)
        self.edit.editingFinished.connect(self._commit)

    @property
    def error_text(self) -> str:
        """The message shown for the last refused text, or empty."""
        return self.error.text() if not self.error.isHidden() else ""

    def set_text(self, text: str) -> None:
        """Show text set from elsewhere (no signal), clearing any error."""
        self._committed = text
        self.edit.setText(text)
        self.error.hide()
        self.edit.setStyleSheet("")

    def show_error(self, message: str) -> None:
        """Show why the text was refused."""
        self.error.setText(_sentence(message))
        self.error.show()
        self.edit.setStyleSheet(ERROR_STYLE)

    def _commit(self) -> None:
        text = self.edit.text().strip()
        if text != self._committed or self.error_text:
            self.text_committed.emit(text)
