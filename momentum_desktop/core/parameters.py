"""Named settings (numbers, on/off flags, pairs) with their ranges and messages."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from numbers import Real

__all__ = ["Parameter", "ParameterError"]


class ParameterError(ValueError):
    """A value was refused; the message says what is wrong and what is allowed."""


@dataclass(frozen=True)
class Parameter:
    """A setting such as a learning rate, Nesterov's on/off flag or Adam's betas.

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
    kind : {"number", "flag", "pair"}
        A number; an on/off flag (a bool, the range unused); or a pair of numbers
        each in the range, written ``0.9,0.999``.
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
    kind: str = "number"

    def allowed(self) -> str:
        """Describe the allowed values in words, e.g. ``a number in [0, 1)``."""
        if self.kind == "flag":
            return "true or false"
        if self.kind == "pair":
            return "two numbers, each " + self._allowed_number().removeprefix("a number ")
        return self._allowed_number()

    def _allowed_number(self) -> str:
        kind = "a whole number" if self.integer else "a number"
        low, high = math.isfinite(self.minimum), math.isfinite(self.maximum)

        if self.minimum == self.maximum:
            return f"exactly {_fmt(self.minimum)}"
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

    def validate(self, value: object) -> float | bool | tuple[float, float]:
        """Return ``value`` in its plain form if allowed, else raise ParameterError.

        Numbers come back as float (int for whole numbers), flags as bool, pairs as a
        tuple of two floats.
        """
        if self.kind == "flag":
            if isinstance(value, bool):
                return value
            raise ParameterError(f"{self.label} must be {self.allowed()}; got {value!r}")
        if self.kind == "pair":
            return self._validate_pair(value)
        return self._validate_number(value)

    def _validate_pair(self, value: object) -> tuple[float, float]:
        if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") \
                or len(value) != 2:
            raise ParameterError(f"{self.label} must be {self.allowed()}; got {value!r}")
        try:
            return tuple(self._validate_number(v) for v in value)
        except ParameterError:
            shown = ", ".join(_fmt(v) if isinstance(v, Real) else repr(v) for v in value)
            raise ParameterError(
                f"{self.label} must be {self.allowed()}; got ({shown})"
            ) from None

    def _validate_number(self, value: object, typed: str | None = None) -> float:
        """Check one number; ``typed`` is the text it came from, quoted in messages."""
        def refuse(shown: str) -> ParameterError:
            shown = repr(_shorten(typed)) if typed is not None else shown
            return ParameterError(f"{self.label} must be {self.allowed()}; got {shown}")

        if isinstance(value, bool) or not isinstance(value, Real):
            raise refuse(repr(value))
        try:
            number = float(value) + 0.0  # + 0.0 turns -0.0 into 0.0
        except OverflowError:
            raise refuse(_shorten(str(value))) from None

        if not math.isfinite(number):
            raise refuse(_fmt(number))
        if self.integer and not number.is_integer():
            raise refuse(_fmt(number))
        if not self._in_range(number):
            raise refuse(_fmt(number))

        return int(number) if self.integer else number

    def parse(self, text: str) -> float | bool | tuple[float, float]:
        """Read a typed value, e.g. from a text field or a command-line flag."""
        stripped = text.strip()
        if self.kind == "flag":
            return self._parse_flag(stripped)
        if self.kind == "pair":
            inner = stripped[1:-1] if stripped[:1] + stripped[-1:] in ("()", "[]") \
                else stripped
            parts = inner.split(",")
            if len(parts) != 2:
                raise ParameterError(
                    f"{self.label} must be {self.allowed()}, like 0.9,0.999; "
                    f"got {_shorten(stripped)!r}"
                )
            numbers = tuple(self._parse_number(p.strip()) for p in parts)
            return self.validate(numbers)
        return self._validate_number(self._parse_number(stripped), typed=stripped)

    def _parse_flag(self, text: str) -> bool:
        words = {"true": True, "yes": True, "on": True, "1": True,
                 "false": False, "no": False, "off": False, "0": False}
        try:
            return words[text.lower()]
        except KeyError:
            raise ParameterError(
                f"{self.label} must be {self.allowed()}; got {_shorten(text)!r}"
            ) from None

    def _parse_number(self, stripped: str) -> float:
        if not NUMBER_TEXT.fullmatch(stripped):  # float() also reads "1_0" and "١"
            raise ParameterError(
                f"{self.label} must be {self.allowed()}; got {_shorten(stripped)!r}"
            )
        try:
            number = float(stripped)
            if self.integer and number.is_integer() and "." not in stripped \
                    and "e" not in stripped.lower():
                number = int(stripped)  # exact, however many digits
        except (ValueError, OverflowError):
            raise ParameterError(
                f"{self.label} must be {self.allowed()}; got {_shorten(stripped)!r}"
            ) from None
        return number

    def _in_range(self, number: float) -> bool:
        above = number >= self.minimum if self.min_inclusive else number > self.minimum
        below = number <= self.maximum if self.max_inclusive else number < self.maximum
        return above and below


NUMBER_TEXT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|nan)",
                         re.IGNORECASE | re.ASCII)
"""A number as people type it: digits 0-9, a point, an exponent (inf and nan are
read so that the message can refuse them by name)."""


def _shorten(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


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
