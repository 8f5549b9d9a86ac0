"""Loss surfaces f(x, y) with analytic gradients, vectorized over numpy arrays."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .parameters import Parameter, ParameterError

__all__ = [
    "SURFACES",
    "Domain",
    "Minimum",
    "QuadraticValley",
    "Rosenbrock",
    "Surface",
    "make_surface",
]


@dataclass(frozen=True)
class Domain:
    """The rectangle of the (x, y) plane a surface is shown and started on."""

    x_min: float
    x_max: float
    y_min: float
    y_max: float

    def contains(self, x: float, y: float) -> bool:
        """Whether the point lies inside the rectangle, edges included."""
        return self.x_min <= x <= self.x_max and self.y_min <= y <= self.y_max

    @property
    def span(self) -> float:
        """The larger of the two side lengths."""
        return max(self.x_max - self.x_min, self.y_max - self.y_min)

    def describe(self) -> str:
        """The rectangle as text, e.g. ``x in [-5, 5], y in [-3, 3]``."""
        return (
            f"x in [{self.x_min:g}, {self.x_max:g}], "
            f"y in [{self.y_min:g}, {self.y_max:g}]"
        )


@dataclass(frozen=True)
class Minimum:
    """A known minimum of a surface: its location and value."""

    x: float
    y: float
    value: float


class Surface(ABC):
    """A loss surface: values, gradients, domain, known minima and a good start.

    Subclasses declare their adjustable ``parameters``; an instance holds validated
    values for them in ``params``.
    """

    key: ClassVar[str]
    title: ClassVar[str]
    formula: ClassVar[str]
    parameters: ClassVar[tuple[Parameter, ...]] = ()

    def __init__(self, **params: float) -> None:
        known = {p.name: p for p in self.parameters}
        unknown = sorted(set(params) - set(known))
        if unknown:
            allowed = ", ".join(known) or "none"
            raise ParameterError(
                f"{self.title} has no parameter {unknown[0]!r}; allowed: {allowed}"
            )

        self.params: dict[str, float] = {
            name: spec.validate(params.get(name, spec.default))
            for name, spec in known.items()
        }

    @abstractmethod
    def value(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """f(x, y), elementwise."""

    @abstractmethod
    def gradient(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(df/dx, df/dy), elementwise."""

    @property
    @abstractmethod
    def domain(self) -> Domain:
        """Where the surface is drawn and where starts are allowed."""

    @property
    @abstractmethod
    def minima(self) -> tuple[Minimum, ...]:
        """Every known minimum inside or near the domain."""

    @property
    @abstractmethod
    def default_start(self) -> tuple[float, float]:
        """A start that makes a good first animation."""

    @property
    @abstractmethod
    def default_learning_rate(self) -> float:
        """A learning rate that makes a good first animation from the default start."""

    def check_start(self, x: float, y: float) -> tuple[float, float]:
        """Return the start as floats, or raise ParameterError if it is outside."""
        point = (float(x), float(y))
        if not all(math.isfinite(c) for c in point):
            raise ParameterError(f"start must be two finite numbers; got {x!r}, {y!r}")
        if not self.domain.contains(*point):
            raise ParameterError(
                f"start ({point[0]:g}, {point[1]:g}) is outside the surface's domain: "
                f"allowed {self.domain.describe()}"
            )
        return point

    def describe(self) -> str:
        """The surface with its parameter values, e.g. ``Rosenbrock (a=1, b=100)``."""
        if not self.params:
            return self.title
        values = ", ".join(f"{k}={v:g}" for k, v in self.params.items())
        return f"{self.title} ({values})"


class QuadraticValley(Surface):
    """An elongated quadratic bowl, 0.5 (l1 u^2 + l2 v^2), rotated by an angle.

    u runs along the valley floor and v across it, so ``eigenvalue_across`` much
    larger than ``eigenvalue_along`` makes a narrow valley where plain gradient
    descent zig-zags.
    """

    key = "valley"
    title = "Quadratic valley"
    formula = "0.5 * (l1 * u^2 + l2 * v^2), (u, v) = (x, y) rotated by -angle"
    parameters = (
        Parameter(
            "eigenvalue_along", "eigenvalue along the valley", 1.0, 0.0, 1e4,
            min_inclusive=False,
            description="Curvature along the valley floor (the Hessian's eigenvalue).",
        ),
        Parameter(
            "eigenvalue_across", "eigenvalue across the valley", 50.0, 0.0, 1e4,
            min_inclusive=False,
            description="Curvature across the valley (the Hessian's other eigenvalue).",
        ),
        Parameter(
            "angle", "rotation angle", 20.0, -180.0, 180.0,
            description="Direction of the valley floor in degrees from the x axis.",
        ),
    )

    def value(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        u, v = self._rotate(x, y)
        along, across = self.params["eigenvalue_along"], self.params["eigenvalue_across"]
        return 0.5 * (along * u * u + across * v * v)

    def gradient(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        u, v = self._rotate(x, y)
        du = self.params["eigenvalue_along"] * u
        dv = self.params["eigenvalue_across"] * v

        cos, sin = self._cos_sin()
        return cos * du - sin * dv, sin * du + cos * dv

    @property
    def domain(self) -> Domain:
        return Domain(-5.0, 5.0, -5.0, 5.0)

    @property
    def minima(self) -> tuple[Minimum, ...]:
        return (Minimum(0.0, 0.0, 0.0),)

    @property
    def default_start(self) -> tuple[float, float]:
        cos, sin = self._cos_sin()
        u, v = -4.5, 0.6
        return (round(cos * u - sin * v, 3), round(sin * u + cos * v, 3))

    @property
    def default_learning_rate(self) -> float:
        # 1.8 / lambda_max: stable, but each step across the valley overshoots the
        # floor, which is the zig-zag the app exists to show.
        largest = max(self.params["eigenvalue_along"], self.params["eigenvalue_across"])
        return 1.8 / largest

    def _cos_sin(self) -> tuple[float, float]:
        angle = math.radians(self.params["angle"])
        return math.cos(angle), math.sin(angle)

    def _rotate(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cos, sin = self._cos_sin()
        return cos * x + sin * y, -sin * x + cos * y


class Rosenbrock(Surface):
    """Rosenbrock's banana valley, (a - x)^2 + b (y - x^2)^2."""

    key = "rosenbrock"
    title = "Rosenbrock"
    formula = "(a - x)^2 + b * (y - x^2)^2"
    parameters = (
        Parameter("a", "a", 1.0, -2.0, 2.0, description="The minimum sits at (a, a^2)."),
        Parameter(
            "b", "b", 100.0, 0.0, 1e4, min_inclusive=False,
            description="Steepness of the valley walls.",
        ),
    )

    def value(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        a, b = self.params["a"], self.params["b"]
        return (a - x) ** 2 + b * (y - x * x) ** 2

    def gradient(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b = self.params["a"], self.params["b"]
        wall = y - x * x
        return -2.0 * (a - x) - 4.0 * b * x * wall, 2.0 * b * wall

    @property
    def domain(self) -> Domain:
        return Domain(-2.0, 2.0, -1.0, 3.0)

    @property
    def minima(self) -> tuple[Minimum, ...]:
        a = self.params["a"]
        return (Minimum(a, a * a, 0.0),)

    @property
    def default_start(self) -> tuple[float, float]:
        return (-1.5, 2.5)

    @property
    def default_learning_rate(self) -> float:
        return 1e-3 * 100.0 / self.params["b"]


SURFACES: dict[str, type[Surface]] = {
    cls.key: cls for cls in (QuadraticValley, Rosenbrock)
}


def make_surface(key: str, **params: float) -> Surface:
    """Build a surface by its key (see ``SURFACES``), validating its parameters.

    Raises
    ------
    ParameterError
        If the key is unknown or a parameter is refused.
    """
    try:
        cls = SURFACES[key]
    except KeyError:
        raise ParameterError(
            f"unknown surface {key!r}; allowed: {', '.join(SURFACES)}"
        ) from None
    return cls(**params)
