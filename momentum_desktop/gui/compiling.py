"""Typed expressions compiled off the GUI thread.

sympy differentiates and prints a long product of functions in a few seconds;
on the GUI thread that froze the window. Here each expression is compiled in a
thread of its own, and the window hears back through a queued signal. The
compiled expression is cached in the core, so building the surface afterwards on
the GUI thread is immediate.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, Signal, Slot

from ..core.expressions import ExpressionSurface
from ..core.parameters import ParameterError

__all__ = ["ExpressionCompiler"]

log = logging.getLogger(__name__)


class ExpressionCompiler(QObject):
    """Compiles expressions in the background; says how each one went.

    Signals ``compiled(text, error)`` on the GUI thread: ``error`` is empty when
    ``text`` compiled, else the reason it was refused. Only the latest text asked
    for is reported. A compile still running when the app exits is abandoned (its
    thread is a daemon), since sympy cannot be interrupted midway.
    """

    compiled = Signal(str, str)
    _finished = Signal(str, str)  # emitted from the compiling thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.wanted: str | None = None
        self._finished.connect(self._report)  # queued: this object is the GUI's

    def compile(self, text: str, domain: tuple[float, float, float, float]) -> None:
        """Start compiling ``text`` over ``domain``; an earlier one still compiling
        is not reported."""
        self.wanted = text
        threading.Thread(target=self._compile, args=(text, domain), daemon=True,
                         name="expression").start()

    def _compile(self, text: str, domain: tuple[float, float, float, float]) -> None:
        try:
            ExpressionSurface(text, domain)  # compiled and its start found: cached
            error = ""
        except ParameterError as refusal:
            error = str(refusal)
        try:
            self._finished.emit(text, error)
        except RuntimeError:  # the window went while sympy worked
            log.debug("expression %r compiled after its window closed", text)

    @Slot(str, str)
    def _report(self, text: str, error: str) -> None:
        if text != self.wanted:
            return
        self.wanted = None
        self.compiled.emit(text, error)
