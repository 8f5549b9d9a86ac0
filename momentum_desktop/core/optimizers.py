"""Optimizer step rules on arrays of positions, many runs stepping in one numpy call.

Each optimizer follows torch.optim's conventions: names, defaults and update order.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import ClassVar

import numpy as np

from .parameters import Parameter, ParameterError

__all__ = [
    "OPTIMIZERS",
    "GradientDescent",
    "Momentum",
    "Optimizer",
    "check_hyperparameters",
    "make_optimizer",
]

LEARNING_RATE = Parameter(
    "lr", "learning rate", 0.01, 0.0,
    description="Step size: how far each step moves against the gradient.",
)
MOMENTUM_RATE = Parameter(
    "momentum", "momentum rate", 0.9, 0.0, 1.0, max_inclusive=False,
    description="Fraction of the previous velocity kept at each step (beta).",
)


class Optimizer(ABC):
    """A step rule applied to ``n`` runs at once.

    Parameters
    ----------
    settings : sequence of mapping
        One mapping of hyperparameter name to value per run; missing names take the
        default. Values are validated.

    Notes
    -----
    Hyperparameters are held as ``(n, 1)`` arrays so that one call of :meth:`step`
    advances every run, whatever mix of settings they have.
    """

    key: ClassVar[str]
    title: ClassVar[str]
    hyperparameters: ClassVar[tuple[Parameter, ...]]

    def __init__(self, settings: Sequence[Mapping[str, float]]) -> None:
        checked = [check_hyperparameters(self.key, s) for s in settings]
        self.count = len(checked)
        self.values = {
            p.name: np.array([c[p.name] for c in checked], dtype=float).reshape(-1, 1)
            for p in self.hyperparameters
        }
        self.reset()

    @abstractmethod
    def reset(self) -> None:
        """Forget any state, as before the first step."""

    @abstractmethod
    def step(self, position: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        """Return the next positions, shape ``(n, 2)``, from positions and gradients."""


class GradientDescent(Optimizer):
    """Plain gradient descent: x <- x - lr * g."""

    key = "gd"
    title = "Gradient descent"
    hyperparameters = (LEARNING_RATE,)

    def reset(self) -> None:
        pass

    def step(self, position: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        return position - self.values["lr"] * gradient


class Momentum(Optimizer):
    """Heavy-ball momentum as torch.optim.SGD does it.

    v <- momentum * v + g, then x <- x - lr * v; the first step sets v = g.
    """

    key = "momentum"
    title = "Momentum"
    hyperparameters = (LEARNING_RATE, MOMENTUM_RATE)

    def reset(self) -> None:
        self.velocity: np.ndarray | None = None

    def step(self, position: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        if self.velocity is None:
            self.velocity = gradient.copy()
        else:
            self.velocity = self.values["momentum"] * self.velocity + gradient

        return position - self.values["lr"] * self.velocity


OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.key: cls for cls in (GradientDescent, Momentum)
}


def check_hyperparameters(key: str, settings: Mapping[str, float]) -> dict[str, float]:
    """Validate one run's hyperparameters for optimizer ``key``, filling defaults.

    Raises
    ------
    ParameterError
        If the optimizer or a name is unknown or a value is out of range.
    """
    cls = _optimizer_class(key)
    known = {p.name: p for p in cls.hyperparameters}

    unknown = sorted(set(settings) - set(known))
    if unknown:
        raise ParameterError(
            f"{cls.title} has no hyperparameter {unknown[0]!r}; "
            f"allowed: {', '.join(known)}"
        )

    return {name: p.validate(settings.get(name, p.default)) for name, p in known.items()}


def make_optimizer(key: str, settings: Sequence[Mapping[str, float]]) -> Optimizer:
    """Build optimizer ``key`` for one run per entry of ``settings``."""
    return _optimizer_class(key)(settings)


def _optimizer_class(key: str) -> type[Optimizer]:
    try:
        return OPTIMIZERS[key]
    except KeyError:
        raise ParameterError(
            f"unknown optimizer {key!r}; allowed: {', '.join(OPTIMIZERS)}"
        ) from None
