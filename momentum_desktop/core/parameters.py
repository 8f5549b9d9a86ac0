"""Named numeric parameters with the ranges they accept and the messages they give."""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real

__all__ = ["Parameter", "ParameterError"]


class ParameterError(ValueError):
    """A value was refused; the message says what is wrong and what is allowed."""


@dataclass(frozen=True)
class Parameter:
    """A real-valued setting such as a learning rate or a surface's eigenvalue.

    Parameters
    ----------
    name : str
        Key used in sessions, the command line and torch.optim (``lr``).
    label : str
        Words shown to a person (``learning rate``).
    default : float
        Value used when none is given.
    minimum, maximum : float
        Bounds of the allowed range; infinite when open-ended.
    min_inclusive, max_inclusive : bool
        Whether the bound itself is allowed.
    integer : bool
        Whether only whole numbers are allowed.
    description : str
        One sentence for tooltips and ``list``.
    """

    name: str
    label: str
    default: float
    minimum: float = -math.inf
    maximum: float = math.inf
    min_inclusive: bool = True
    max_inclusive: bool = True
    integer: bool = False
    description: str = ""

    def allowed(self) -> str:
        """Describe the allowed values in words, e.g. ``a number in [0, 1)``."""
        kind = "a whole number" if self.integer else "a number"
        low, high = math.isfinite(self.minimum), math.isfinite(self.maximum)

        if low and high:
            left = "[" if self.min_inclusive else "("
            right = "]" if self.max_inclusive else ")"
            return f"{kind} in {left}{_fmt(self.minimum)}, {_fmt(self.maximum)}{right}"
        if low:
            sign = ">=" if self.min_inclusive else ">"
            return f"{kind} {sign} {_fmt(self.minimum)}"
        if high:
            sign = "<=" if self.max_inclusive else "<"
            return f"{kind} {sign} {_fmt(self.maximum)}"
        return f"a finite {kind.removeprefix('a ')}"

    def validate(self, value: object) -> float:
        """Return ``value`` as a float (or int) if allowed, else raise ParameterError."""
        if isinstance(value, bool) or not isinstance(value, Real):
            raise ParameterError(
                f"{self.label} must be {self.allowed()}; got {value!r}"
            )

        number = float(value)
        if not math.isfinite(number):
            raise ParameterError(
                f"{self.label} must be {self.allowed()}; got {_fmt(number)}"
            )
        if self.integer and not number.is_integer():
            raise ParameterError(
                f"{self.label} must be {self.allowed()}; got {_fmt(number)}"
            )
        if not self._in_range(number):
            raise ParameterError(
                f"{self.label} must be {self.allowed()}; got {_fmt(number)}"
            )

        return int(number) if self.integer else number

    def parse(self, text: str) -> float:
        """Read a typed value, e.g. from a text field or a command-line flag."""
        stripped = text.strip()
        try:
            number = int(stripped) if self.integer else float(stripped)
        except ValueError:
            shown = stripped if len(stripped) <= 40 else stripped[:37] + "..."
            raise ParameterError(
                f"{self.label} must be {self.allowed()}; got {shown!r}"
            ) from None
        return self.validate(number)

    def _in_range(self, number: float) -> bool:
        above = number >= self.minimum if self.min_inclusive else number > self.minimum
        below = number <= self.maximum if self.max_inclusive else number < self.maximum
        return above and below


def _fmt(number: float) -> str:
    """Format a bound or a value the way a person would write it."""
    number = float(number)
    if math.isnan(number):
        return "nan"
    if math.isinf(number):
        return "inf" if number > 0 else "-inf"
    if number.is_integer() and abs(number) < 1e15:
        return f"{int(number):,}"
    return f"{number:g}"
