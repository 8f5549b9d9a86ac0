"""Optimizer step rules on arrays of positions, many runs stepping in one numpy call.

Every rule follows torch.optim's documentation: hyperparameter names, defaults, update
order and first-step details, so that a trajectory here is the one torch would take.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import ClassVar

import numpy as np

from .parameters import Parameter, ParameterError

__all__ = [
    "OPTIMIZERS",
    "Adagrad",
    "Adam",
    "GradientDescent",
    "Momentum",
    "Nesterov",
    "Optimizer",
    "RMSprop",
    "check_hyperparameters",
    "make_optimizer",
]


def _lr(default: float) -> Parameter:
    return Parameter("lr", "learning rate", default, 0.0,
                     description="Step size: how far each step moves.")


WEIGHT_DECAY = Parameter(
    "weight_decay", "weight decay", 0.0, 0.0,
    description="Adds weight_decay * x to the gradient (an L2 penalty).",
)
MOMENTUM_RATE = Parameter(
    "momentum", "momentum rate", 0.9, 0.0, 1.0, max_inclusive=False,
    description="Fraction of the previous velocity kept at each step (beta).",
)
DAMPENING = Parameter(
    "dampening", "dampening", 0.0, 0.0, 1.0,
    description="Scales each new gradient by (1 - dampening) in the velocity, "
                "except on the first step.",
)
NESTEROV_DAMPENING = Parameter(
    "dampening", "dampening", 0.0, 0.0, 0.0,
    description="Nesterov momentum takes no dampening, as torch.optim.SGD checks.",
)
NESTEROV = Parameter(
    "nesterov", "Nesterov", False, kind="flag",
    description="Step with g + momentum * v instead of v (Nesterov's look-ahead).",
)
MOVING_AVERAGE = Parameter(
    "moving_average", "moving-average form", False, kind="flag",
    description="Use v <- beta v + (1 - beta) g, the form explainers use. With a "
                "constant learning rate it follows exactly the torch-form path with "
                "lr times (1 - beta); it is not torch's dampening=beta, whose first "
                "step is undamped.",
)
EPS = Parameter("eps", "eps", 1e-8, 0.0,
                description="Added to the denominator, after the square root.")


class Optimizer(ABC):
    """A step rule applied to ``n`` runs at once.

    Parameters
    ----------
    settings : sequence of mapping
        One mapping of hyperparameter name to value per run; missing names take the
        default. Values are validated.

    Notes
    -----
    Hyperparameters are held as ``(n, 1)`` arrays (``(n, 2)`` for pairs) so that one
    call of :meth:`step` advances every run, whatever mix of settings they have.
    """

    key: ClassVar[str]
    title: ClassVar[str]
    summary: ClassVar[str]
    hyperparameters: ClassVar[tuple[Parameter, ...]]

    def __init__(self, settings: Sequence[Mapping[str, object]]) -> None:
        checked = [check_hyperparameters(self.key, s) for s in settings]
        self.count = len(checked)
        self.values = {
            p.name: _column([c[p.name] for c in checked], p.kind)
            for p in self.hyperparameters
        }
        self.reset()

    @classmethod
    def check(cls, settings: Mapping[str, object]) -> None:
        """Refuse combinations of valid values that do not go together."""

    def reset(self) -> None:
        """Forget any state, as before the first step."""
        self.steps_taken = 0
        self._reset_state()

    def velocity_buffer(self) -> np.ndarray | None:
        """The state that carries past gradients forward (the momentum buffer, Adam's
        first moment), shape ``(n, 2)``; None for rules that keep none."""
        return None

    def step(self, position: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        """Return the next positions, shape ``(n, 2)``, from positions and gradients."""
        self.steps_taken += 1
        decay = self.values.get("weight_decay")
        if decay is not None:
            gradient = gradient + decay * position
        return self._update(position, gradient)

    @abstractmethod
    def _reset_state(self) -> None:
        """Clear the buffers the rule keeps between steps."""

    @abstractmethod
    def _update(self, position: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        """One step with the gradient, weight decay already added."""


class _SGD(Optimizer):
    """torch.optim.SGD: x <- x - lr * d, where d is g, the velocity, or Nesterov's."""

    def _reset_state(self) -> None:
        self.velocity: np.ndarray | None = None

    def velocity_buffer(self) -> np.ndarray | None:
        return self.velocity

    def _update(self, position: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        lr = self.values["lr"]
        momentum = self.values.get("momentum")
        if momentum is None:
            return position - lr * gradient

        dampening = self.values.get("dampening", 0.0)
        average = self.values.get("moving_average", False)
        if self.velocity is None:
            self.velocity = np.where(average, (1 - momentum) * gradient, gradient)
        else:
            new_part = np.where(average, 1 - momentum, 1 - dampening) * gradient
            self.velocity = momentum * self.velocity + new_part

        nesterov = self.values.get("nesterov", False)
        direction = np.where(nesterov, gradient + momentum * self.velocity, self.velocity)
        direction = np.where(momentum == 0, gradient, direction)
        return position - lr * direction


class GradientDescent(_SGD):
    """Plain gradient descent: torch.optim.SGD without momentum."""

    key = "gd"
    title = "Gradient descent"
    summary = "x <- x - lr * g"
    hyperparameters = (_lr(1e-3), WEIGHT_DECAY)


class Momentum(_SGD):
    """Heavy-ball momentum as torch.optim.SGD does it.

    v <- momentum * v + (1 - dampening) * g, then x <- x - lr * v; the first step
    sets v = g. torch defaults momentum to 0, which is gradient descent; here it
    starts at 0.9.
    """

    key = "momentum"
    title = "Momentum"
    summary = "v <- beta v + g;  x <- x - lr * v  (first step v = g)"
    hyperparameters = (_lr(1e-3), MOMENTUM_RATE, DAMPENING, WEIGHT_DECAY, NESTEROV,
                       MOVING_AVERAGE)

    @classmethod
    def check(cls, settings: Mapping[str, object]) -> None:
        if settings.get("nesterov"):
            _check_nesterov(settings)
        if settings.get("moving_average") and (
            settings.get("nesterov") or settings.get("dampening")
        ):
            raise ParameterError(
                "the moving-average form goes with plain momentum only: "
                "set dampening to 0 and Nesterov off"
            )


class Nesterov(_SGD):
    """Nesterov momentum: torch.optim.SGD with nesterov=True.

    v <- momentum * v + g, then x <- x - lr * (g + momentum * v).
    """

    key = "nesterov"
    title = "Nesterov"
    summary = "v <- beta v + g;  x <- x - lr * (g + beta v)"
    hyperparameters = (_lr(1e-3), MOMENTUM_RATE, NESTEROV_DAMPENING, WEIGHT_DECAY)

    def __init__(self, settings: Sequence[Mapping[str, object]]) -> None:
        super().__init__(settings)
        self.values["nesterov"] = np.ones((self.count, 1), dtype=bool)

    @classmethod
    def check(cls, settings: Mapping[str, object]) -> None:
        _check_nesterov(settings)


class Adagrad(Optimizer):
    """torch.optim.Adagrad: steps scaled by the root of the summed squared gradients."""

    key = "adagrad"
    title = "AdaGrad"
    summary = "s <- s + g^2;  x <- x - lr_t * g / (sqrt(s) + eps)"
    hyperparameters = (
        _lr(1e-2),
        Parameter("lr_decay", "learning rate decay", 0.0, 0.0,
                  description="lr_t = lr / (1 + (t - 1) * lr_decay)."),
        WEIGHT_DECAY,
        Parameter("initial_accumulator_value", "initial accumulator", 0.0, 0.0,
                  description="Starting value of the sum of squared gradients."),
        Parameter("eps", "eps", 1e-10, 0.0,
                  description="Added to the denominator, after the square root."),
    )

    def _reset_state(self) -> None:
        self.square_sum = np.broadcast_to(
            self.values["initial_accumulator_value"], (self.count, 2)
        ).copy()

    def _update(self, position: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        rate = self.values["lr"] / (1 + (self.steps_taken - 1) * self.values["lr_decay"])
        self.square_sum = self.square_sum + gradient * gradient
        scale = np.sqrt(self.square_sum) + self.values["eps"]
        return position - rate * (gradient / scale)


class RMSprop(Optimizer):
    """torch.optim.RMSprop: steps scaled by a moving root mean square of gradients."""

    key = "rmsprop"
    title = "RMSProp"
    summary = "a <- alpha a + (1 - alpha) g^2;  x <- x - lr * g / (sqrt(a) + eps)"
    hyperparameters = (
        _lr(1e-2),
        Parameter("alpha", "alpha", 0.99, 0.0, 1.0, max_inclusive=False,
                  description="Smoothing constant of the squared-gradient average."),
        EPS,
        WEIGHT_DECAY,
        Parameter("momentum", "momentum rate", 0.0, 0.0, 1.0, max_inclusive=False,
                  description="Momentum applied to the scaled steps (0 for none)."),
        Parameter("centered", "centered", False, kind="flag",
                  description="Divide by the gradient's estimated variance instead "
                              "of its raw second moment."),
    )

    def velocity_buffer(self) -> np.ndarray | None:
        return self.buffer if np.any(self.values["momentum"] > 0) else None

    def _reset_state(self) -> None:
        self.square_average = np.zeros((self.count, 2))
        self.gradient_average = np.zeros((self.count, 2))
        self.buffer = np.zeros((self.count, 2))

    def _update(self, position: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        alpha, eps = self.values["alpha"], self.values["eps"]
        self.square_average = alpha * self.square_average + (1 - alpha) * gradient**2

        centered = self.values["centered"]
        self.gradient_average = self.gradient_average + (1 - alpha) * (
            gradient - self.gradient_average
        )
        variance = np.where(centered, self.square_average - self.gradient_average**2,
                            self.square_average)
        scaled = gradient / (np.sqrt(variance) + eps)

        momentum = self.values["momentum"]
        self.buffer = momentum * self.buffer + scaled
        direction = np.where(momentum > 0, self.buffer, scaled)
        return position - self.values["lr"] * direction


class Adam(Optimizer):
    """torch.optim.Adam: bias-corrected moving averages of the gradient and its square."""

    key = "adam"
    title = "Adam"
    summary = "m, v moving averages of g, g^2;  x <- x - lr m_hat / (sqrt(v_hat) + eps)"
    hyperparameters = (
        _lr(1e-3),
        Parameter("betas", "betas", (0.9, 0.999), 0.0, 1.0, max_inclusive=False,
                  kind="pair",
                  description="Smoothing constants of the gradient and squared-gradient "
                              "averages."),
        EPS,
        WEIGHT_DECAY,
        Parameter("amsgrad", "AMSGrad", False, kind="flag",
                  description="Use the largest squared-gradient average seen so far."),
    )

    def velocity_buffer(self) -> np.ndarray | None:
        return self.first_moment

    def _reset_state(self) -> None:
        self.first_moment = np.zeros((self.count, 2))
        self.second_moment = np.zeros((self.count, 2))
        self.largest_second_moment = np.zeros((self.count, 2))

    def _update(self, position: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        betas = self.values["betas"]
        beta1, beta2 = betas[:, :1], betas[:, 1:]
        self.first_moment = self.first_moment + (1 - beta1) * (gradient - self.first_moment)
        self.second_moment = beta2 * self.second_moment + (1 - beta2) * gradient**2

        t = self.steps_taken
        step_size = self.values["lr"] / (1 - beta1**t)
        root_correction = np.sqrt(1 - beta2**t)

        self.largest_second_moment = np.maximum(self.largest_second_moment,
                                                self.second_moment)
        second = np.where(self.values["amsgrad"], self.largest_second_moment,
                          self.second_moment)
        denominator = np.sqrt(second) / root_correction + self.values["eps"]
        return position - step_size * (self.first_moment / denominator)


OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.key: cls for cls in (GradientDescent, Momentum, Nesterov, Adagrad, RMSprop, Adam)
}


def check_hyperparameters(key: str, settings: Mapping[str, object]) -> dict[str, object]:
    """Validate one run's hyperparameters for optimizer ``key``, filling defaults.

    Raises
    ------
    ParameterError
        If the optimizer or a name is unknown, a value is out of range, or values
        do not go together (Nesterov with dampening, say).
    """
    cls = _optimizer_class(key)
    known = {p.name: p for p in cls.hyperparameters}

    unknown = sorted(set(settings) - set(known))
    if unknown:
        raise ParameterError(
            f"{cls.title} has no hyperparameter {unknown[0]!r}; "
            f"allowed: {', '.join(known)}"
        )

    checked = {name: p.validate(settings.get(name, p.default)) for name, p in known.items()}
    cls.check(checked)
    return checked


def make_optimizer(key: str, settings: Sequence[Mapping[str, object]]) -> Optimizer:
    """Build optimizer ``key`` for one run per entry of ``settings``."""
    return _optimizer_class(key)(settings)


def _optimizer_class(key: str) -> type[Optimizer]:
    try:
        return OPTIMIZERS[key]
    except KeyError:
        raise ParameterError(
            f"unknown optimizer {key!r}; allowed: {', '.join(OPTIMIZERS)}"
        ) from None


def _check_nesterov(settings: Mapping[str, object]) -> None:
    if not settings.get("momentum", 0) > 0 or settings.get("dampening", 0) != 0:
        raise ParameterError(
            "Nesterov momentum needs a momentum rate > 0 and dampening 0"
        )


def _column(values: list, kind: str) -> np.ndarray:
    if kind == "flag":
        return np.array(values, dtype=bool).reshape(-1, 1)
    if kind == "pair":
        return np.array(values, dtype=float).reshape(-1, 2)
    return np.array(values, dtype=float).reshape(-1, 1)
