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
    "Ackley",
    "Beale",
    "Booth",
    "Domain",
    "GoldsteinPrice",
    "Himmelblau",
    "Matyas",
    "Minimum",
    "QuadraticValley",
    "Rastrigin",
    "Rosenbrock",
    "Saddle",
    "ScaledRosenbrock",
    "SixHumpCamel",
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

    DOMAIN: ClassVar[Domain]
    MINIMA: ClassVar[tuple[Minimum, ...]] = ()
    START: ClassVar[tuple[float, float]]
    LEARNING_RATE: ClassVar[float]
    STEPS: ClassVar[int] = 200

    @property
    def domain(self) -> Domain:
        """Where the surface is drawn and where starts are allowed."""
        return self.DOMAIN

    @property
    def minima(self) -> tuple[Minimum, ...]:
        """Every known global minimum (local ones too where there are few)."""
        return self.MINIMA

    @property
    def default_start(self) -> tuple[float, float]:
        """A start that makes a good first animation."""
        return self.START

    @property
    def default_learning_rate(self) -> float:
        """A gradient-descent learning rate that makes a good first animation."""
        return self.LEARNING_RATE

    @property
    def default_steps(self) -> int:
        """Enough steps at that learning rate for the animation to tell its story."""
        return self.STEPS

    def check_start(self, x: float, y: float) -> tuple[float, float]:
        """Return the start as floats, or raise ParameterError if it is outside the
        domain or where the surface is undefined (the log of a negative number)."""
        point = (float(x), float(y))
        if not all(math.isfinite(c) for c in point):
            raise ParameterError(f"start must be two finite numbers; got {x!r}, {y!r}")
        if not self.domain.contains(*point):
            raise ParameterError(
                f"start ({point[0]:g}, {point[1]:g}) is outside the surface's domain: "
                f"allowed {self.domain.describe()}"
            )
        with np.errstate(all="ignore"):
            value = float(self.value(np.array(point[0]), np.array(point[1])))
        if not math.isfinite(value):
            raise ParameterError(
                f"the surface is undefined at the start ({point[0]:g}, {point[1]:g}) "
                f"(f = {value}); start where it is defined"
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
    STEPS = 60
    formula = "0.5 * (l1 u^2 + l2 v^2), u along the valley floor, v across it"
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
        return _rounded(1.8 / largest)

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
    STEPS = 1000
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
        return _rounded(1e-3 * 100.0 / self.params["b"])


class ScaledRosenbrock(Surface):
    """Rosenbrock's valley squeezed along y: (1 - x)^2 + 20 (3y - x^2)^2."""

    key = "scaled_rosenbrock"
    title = "Scaled Rosenbrock"
    STEPS = 500
    formula = "(1 - x)^2 + 20 * (3y - x^2)^2"
    DOMAIN = Domain(-2.0, 2.0, -0.5, 1.5)
    MINIMA = (Minimum(1.0, 1.0 / 3.0, 0.0),)
    START = (-1.5, 1.2)
    LEARNING_RATE = 2e-3

    def value(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return (1 - x) ** 2 + 20 * (3 * y - x * x) ** 2

    def gradient(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        wall = 3 * y - x * x
        return -2 * (1 - x) - 80 * x * wall, 120 * wall


class Beale(Surface):
    """Beale's function: sharp ridges around a flat, curved valley."""

    key = "beale"
    title = "Beale"
    STEPS = 500
    formula = "(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2"
    DOMAIN = Domain(-4.5, 4.5, -4.5, 4.5)
    MINIMA = (Minimum(3.0, 0.5, 0.0),)
    START = (1.0, 1.5)
    LEARNING_RATE = 1e-3

    def value(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        a, b, c = self._terms(x, y)
        return a * a + b * b + c * c

    def gradient(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b, c = self._terms(x, y)
        gx = 2 * a * (y - 1) + 2 * b * (y * y - 1) + 2 * c * (y**3 - 1)
        gy = 2 * a * x + 4 * b * x * y + 6 * c * x * y * y
        return gx, gy

    @staticmethod
    def _terms(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
        return 1.5 - x + x * y, 2.25 - x + x * y * y, 2.625 - x + x * y**3


class Booth(Surface):
    """Booth's function: a tilted quadratic bowl."""

    key = "booth"
    title = "Booth"
    formula = "(x + 2y - 7)^2 + (2x + y - 5)^2"
    DOMAIN = Domain(-10.0, 10.0, -10.0, 10.0)
    MINIMA = (Minimum(1.0, 3.0, 0.0),)
    START = (-8.0, -6.0)
    LEARNING_RATE = 0.05

    def value(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2

    def gradient(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b = x + 2 * y - 7, 2 * x + y - 5
        return 2 * a + 4 * b, 4 * a + 2 * b


class Himmelblau(Surface):
    """Himmelblau's function: four minima of equal value."""

    key = "himmelblau"
    title = "Himmelblau"
    formula = "(x^2 + y - 11)^2 + (x + y^2 - 7)^2"
    DOMAIN = Domain(-5.0, 5.0, -5.0, 5.0)
    MINIMA = (
        Minimum(3.0, 2.0, 0.0),
        Minimum(-2.805118086952745, 3.131312518250573, 0.0),
        Minimum(-3.779310253377747, -3.2831859912861696, 0.0),
        Minimum(3.5844283403304917, -1.8481265269644034, 0.0),
    )
    START = (-0.5, -0.5)
    LEARNING_RATE = 0.01

    def value(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2

    def gradient(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b = x * x + y - 11, x + y * y - 7
        return 4 * x * a + 2 * b, 2 * a + 4 * y * b


class Rastrigin(Surface):
    """Rastrigin's function: a bowl covered in a regular grid of local minima."""

    key = "rastrigin"
    title = "Rastrigin"
    formula = "20 + x^2 + y^2 - 10 (cos(2 pi x) + cos(2 pi y))"
    DOMAIN = Domain(-5.12, 5.12, -5.12, 5.12)
    MINIMA = (Minimum(0.0, 0.0, 0.0),)
    START = (3.3, -2.6)
    LEARNING_RATE = 2e-3

    def value(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        tau = 2 * math.pi
        return 20 + x * x + y * y - 10 * (np.cos(tau * x) + np.cos(tau * y))

    def gradient(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        tau = 2 * math.pi
        return 2 * x + 10 * tau * np.sin(tau * x), 2 * y + 10 * tau * np.sin(tau * y)


class Ackley(Surface):
    """Ackley's function: a nearly flat, bumpy plain around one deep hole."""

    key = "ackley"
    title = "Ackley"
    formula = ("-20 exp(-0.2 sqrt(0.5 (x^2 + y^2))) "
               "- exp(0.5 (cos(2 pi x) + cos(2 pi y))) + e + 20")
    DOMAIN = Domain(-5.0, 5.0, -5.0, 5.0)
    MINIMA = (Minimum(0.0, 0.0, 0.0),)
    START = (-3.2, 2.6)
    LEARNING_RATE = 0.01

    def value(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        radius, waves = self._parts(x, y)
        return -20 * np.exp(-0.2 * radius) - np.exp(waves) + math.e + 20

    def gradient(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        radius, waves = self._parts(x, y)
        # The cone term has no gradient at the origin; 0 there is its subgradient.
        over_radius = np.divide(1.0, radius, out=np.zeros_like(radius), where=radius > 0)
        cone = 2 * np.exp(-0.2 * radius) * over_radius
        ripple = math.pi * np.exp(waves)
        tau = 2 * math.pi
        return cone * x + ripple * np.sin(tau * x), cone * y + ripple * np.sin(tau * y)

    @staticmethod
    def _parts(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        tau = 2 * math.pi
        radius = np.sqrt(0.5 * (x * x + y * y))
        return radius, 0.5 * (np.cos(tau * x) + np.cos(tau * y))


class GoldsteinPrice(Surface):
    """The Goldstein-Price function: steep walls, values over six decades."""

    key = "goldstein_price"
    title = "Goldstein-Price"
    formula = ("[1 + (x + y + 1)^2 (19 - 14x + 3x^2 - 14y + 6xy + 3y^2)] * "
               "[30 + (2x - 3y)^2 (18 - 32x + 12x^2 + 48y - 36xy + 27y^2)]")
    DOMAIN = Domain(-2.0, 2.0, -2.0, 2.0)
    MINIMA = (Minimum(0.0, -1.0, 3.0),)
    START = (-0.6, 0.4)
    LEARNING_RATE = 2e-5

    def value(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        first, second = self._factors(x, y)
        return first[0] * second[0]

    def gradient(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        (a, da_dx, da_dy), (b, db_dx, db_dy) = self._factors(x, y)
        return da_dx * b + a * db_dx, da_dy * b + a * db_dy

    @staticmethod
    def _factors(x: np.ndarray, y: np.ndarray) -> tuple[tuple[np.ndarray, ...], ...]:
        """Each factor with its partial derivatives."""
        s = x + y + 1
        p = 19 - 14 * x + 3 * x * x - 14 * y + 6 * x * y + 3 * y * y
        dp = -14 + 6 * x + 6 * y  # the same in x and in y
        a = 1 + s * s * p
        da = 2 * s * p + s * s * dp

        t = 2 * x - 3 * y
        q = 18 - 32 * x + 12 * x * x + 48 * y - 36 * x * y + 27 * y * y
        b = 30 + t * t * q
        db_dx = 4 * t * q + t * t * (-32 + 24 * x - 36 * y)
        db_dy = -6 * t * q + t * t * (48 - 36 * x + 54 * y)
        return (a, da, da), (b, db_dx, db_dy)


class SixHumpCamel(Surface):
    """The six-hump camel: two global minima among six valleys."""

    key = "six_hump_camel"
    title = "Six-hump camel"
    formula = "(4 - 2.1x^2 + x^4 / 3) x^2 + xy + (-4 + 4y^2) y^2"
    DOMAIN = Domain(-3.0, 3.0, -2.0, 2.0)
    MINIMA = (
        Minimum(0.08984201310031806, -0.7126564030207396, -1.0316284534898774),
        Minimum(-0.08984201310031806, 0.7126564030207396, -1.0316284534898774),
    )
    START = (-1.6, -1.2)
    LEARNING_RATE = 0.01

    def value(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        x2, y2 = x * x, y * y
        return (4 - 2.1 * x2 + x2 * x2 / 3) * x2 + x * y + (-4 + 4 * y2) * y2

    def gradient(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return 8 * x - 8.4 * x**3 + 2 * x**5 + y, x - 8 * y + 16 * y**3


class Matyas(Surface):
    """Matyas' function: a flat, tilted quadratic valley."""

    key = "matyas"
    title = "Matyas"
    formula = "0.26 (x^2 + y^2) - 0.48 xy"
    DOMAIN = Domain(-10.0, 10.0, -10.0, 10.0)
    MINIMA = (Minimum(0.0, 0.0, 0.0),)
    START = (-8.0, -5.0)
    LEARNING_RATE = 1.8

    def value(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return 0.26 * (x * x + y * y) - 0.48 * x * y

    def gradient(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return 0.52 * x - 0.48 * y, 0.52 * y - 0.48 * x


class Saddle(Surface):
    """A saddle, x^2 - y^2: no minimum; runs that start near y = 0 must escape."""

    key = "saddle"
    title = "Saddle"
    formula = "x^2 - y^2"
    DOMAIN = Domain(-2.0, 2.0, -2.0, 2.0)
    MINIMA = ()
    START = (-1.8, 0.01)
    LEARNING_RATE = 0.05

    def value(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return x * x - y * y

    def gradient(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return 2 * x, -2 * y


SURFACES: dict[str, type[Surface]] = {
    cls.key: cls for cls in (
        QuadraticValley, Rosenbrock, ScaledRosenbrock, Beale, Booth, Himmelblau,
        Rastrigin, Ackley, GoldsteinPrice, SixHumpCamel, Matyas, Saddle,
    )
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


def _rounded(learning_rate: float) -> float:
    """A suggested learning rate to four significant digits (0.036, not
    0.036000000000000004): a suggestion is read and typed by people."""
    return float(f"{learning_rate:.4g}")
