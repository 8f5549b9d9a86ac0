"""What the theory of the quadratic predicts: best settings and convergence rates.

Near a minimum every smooth surface is a quadratic, 0.5 (x - x*)^T H (x - x*). Along
each eigen-direction of the Hessian ``H`` gradient descent and momentum are linear
iterations, so their convergence rate is a spectral radius that can be computed,
and the settings that make it smallest are known in closed form.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .optimizers import check_hyperparameters, make_optimizer
from .surfaces import Minimum, QuadraticValley, Surface

__all__ = [
    "LINEAR_OPTIMIZERS",
    "QuadraticTheory",
    "hessian",
    "iteration_matrices",
    "measured_rate",
    "nearest_minimum",
    "predicted_rate",
    "predicted_rate_grid",
    "theory_for",
]

log = logging.getLogger(__name__)

LINEAR_OPTIMIZERS: dict[str, int] = {"gd": 1, "momentum": 2, "nesterov": 2}
"""Optimizers that are linear on a quadratic, with the size of their state per
direction: the position alone, or the position and the velocity."""

HESSIAN_STEP = 1e-5
"""Finite-difference step for the Hessian, as a fraction of the domain's span."""

SMOOTHNESS_TOLERANCE = 1e-3
"""Largest relative change of the Hessian when its step is halved; above it the
surface is not smooth at the point (Ackley's cone) and no theory is given."""

FLOOR = 1e-13
"""Loss gaps below this fraction of the first one are rounding noise, not a rate."""

TRANSIENT = 0.1
"""Fraction of the usable loss curve skipped at its start before fitting a rate."""

MIN_FIT_POINTS = 5
"""Fewest points of the loss curve a measured rate is fitted to."""

MAX_FIT_POINTS = 10_000
"""Most points a rate is fitted to: a longer curve is sampled evenly (a slope
from 10,000 evenly spread points is as good, and a million-step fit took 0.2 s)."""


@dataclass(frozen=True)
class QuadraticTheory:
    """The quadratic that holds at a minimum, and what it predicts.

    Parameters
    ----------
    eigenvalues : tuple of float
        The Hessian's eigenvalues ``(lambda_min, lambda_max)``, both positive.
    point : tuple of float
        The minimum ``(x, y)`` where the quadratic holds.
    local : bool
        False on the quadratic valley, where the theory is exact; True when it comes
        from the Hessian at a minimum of another surface, so it holds only near it.
    """

    eigenvalues: tuple[float, float]
    point: tuple[float, float]
    local: bool

    @property
    def condition_number(self) -> float:
        """kappa = lambda_max / lambda_min."""
        smallest, largest = self.eigenvalues
        return largest / smallest

    @property
    def gd_best_lr(self) -> float:
        """Gradient descent's fastest learning rate: 2 / (l_min + l_max)."""
        return 2.0 / sum(self.eigenvalues)

    @property
    def gd_best_rate(self) -> float:
        """Gradient descent's rate at its best: (kappa - 1) / (kappa + 1)."""
        kappa = self.condition_number
        return (kappa - 1.0) / (kappa + 1.0)

    @property
    def momentum_best_lr(self) -> float:
        """Heavy ball's best learning rate: (2 / (sqrt(l_min) + sqrt(l_max)))^2."""
        roots = sum(math.sqrt(e) for e in self.eigenvalues)
        return (2.0 / roots) ** 2

    @property
    def momentum_best_momentum(self) -> float:
        """Heavy ball's best momentum rate: the square of its best rate."""
        return self.momentum_best_rate**2

    @property
    def momentum_best_rate(self) -> float:
        """Heavy ball's rate at its best: (sqrt(kappa) - 1) / (sqrt(kappa) + 1)."""
        root = math.sqrt(self.condition_number)
        return (root - 1.0) / (root + 1.0)


def hessian(surface: Surface, x: float, y: float,
            step: float | None = None) -> np.ndarray:
    """The Hessian at ``(x, y)`` by central differences of the analytic gradient.

    Parameters
    ----------
    surface : Surface
        The surface whose gradient is differenced.
    x, y : float
        The point.
    step : float, optional
        The difference step; ``HESSIAN_STEP`` times the domain's span by default.

    Returns
    -------
    numpy.ndarray
        Shape ``(2, 2)``, symmetrized.
    """
    if step is None:
        step = HESSIAN_STEP * surface.domain.span

    offsets = np.array([[step, 0.0], [0.0, step]])
    xs = np.concatenate([x + offsets[:, 0], x - offsets[:, 0]])
    ys = np.concatenate([y + offsets[:, 1], y - offsets[:, 1]])
    gx, gy = surface.gradient(xs, ys)
    gradients = np.stack(np.broadcast_arrays(gx, gy), axis=1).astype(float)

    # Column j is d(gradient)/d(coordinate j).
    columns = (gradients[:2] - gradients[2:]) / (2.0 * step)
    matrix = columns.T
    return 0.5 * (matrix + matrix.T)


def nearest_minimum(surface: Surface, start: Sequence[float]) -> Minimum | None:
    """The surface's listed minimum nearest to ``start``, or None if it lists none."""
    if not surface.minima:
        return None
    return min(surface.minima,
               key=lambda m: math.hypot(m.x - start[0], m.y - start[1]))


def theory_for(surface: Surface, start: Sequence[float]) -> QuadraticTheory | None:
    """The quadratic theory for runs from ``start`` on ``surface``.

    On the quadratic valley it is exact, from the valley's own eigenvalues. On any
    other surface it is local: the Hessian at the listed minimum nearest to
    ``start``.

    Returns
    -------
    QuadraticTheory or None
        None when the surface lists no minimum, or the Hessian there is not positive
        definite or not well defined (the reason is logged at debug level).
    """
    if isinstance(surface, QuadraticValley):
        values = sorted((surface.params["eigenvalue_along"],
                         surface.params["eigenvalue_across"]))
        return QuadraticTheory((values[0], values[1]), (0.0, 0.0), local=False)

    minimum = nearest_minimum(surface, start)
    if minimum is None:
        log.debug("no theory on %s: it lists no minimum", surface.key)
        return None

    matrix = hessian(surface, minimum.x, minimum.y)
    finer = hessian(surface, minimum.x, minimum.y,
                    step=0.5 * HESSIAN_STEP * surface.domain.span)
    change = np.abs(finer - matrix).max() / max(np.abs(matrix).max(), 1e-300)
    if not np.all(np.isfinite(matrix)) or change > SMOOTHNESS_TOLERANCE:
        log.debug("no theory on %s: not smooth at (%g, %g), the Hessian changes by "
                  "%.3g when its step is halved", surface.key, minimum.x, minimum.y,
                  change)
        return None

    smallest, largest = np.linalg.eigvalsh(matrix)
    if smallest <= 0:
        log.debug("no theory on %s: the Hessian at (%g, %g) has eigenvalues %g, %g, "
                  "not positive definite", surface.key, minimum.x, minimum.y,
                  smallest, largest)
        return None

    return QuadraticTheory((float(smallest), float(largest)),
                           (minimum.x, minimum.y), local=True)


def iteration_matrices(eigenvalues: Sequence[float], optimizer_key: str,
                       hyperparameters: Mapping[str, object]) -> np.ndarray:
    """Each eigen-direction's steady-state iteration matrix, from the real optimizer.

    On the 1-D quadratic 0.5 lambda x^2 one step maps the state linearly: ``x`` for
    gradient descent, ``(x, v)`` with ``v`` the velocity for momentum. Column ``j``
    of a matrix is the state one real step of :func:`make_optimizer`'s optimizer
    makes from the ``j``-th unit state, so the matrix follows the code's convention
    exactly (dampening, weight decay, Nesterov, the moving-average form). The first
    step, which sets the velocity instead of updating it, is taken beforehand.

    Parameters
    ----------
    eigenvalues : sequence of float
        The curvatures lambda, one per direction.
    optimizer_key : {"gd", "momentum", "nesterov"}
        An optimizer that is linear on a quadratic.
    hyperparameters : mapping
        Its settings; missing ones take their defaults.

    Returns
    -------
    numpy.ndarray
        Shape ``(k, s, s)``: one ``s x s`` matrix per eigenvalue, ``s`` the state size.
    """
    size = LINEAR_OPTIMIZERS[optimizer_key]
    curvatures = np.asarray(eigenvalues, dtype=float).ravel()
    count = len(curvatures)

    # Row r = (direction r // size, unit state r % size); column 1 of the
    # positions is unused.
    rows = count * size
    unit = np.tile(np.eye(size), (count, 1))
    curvature = np.repeat(curvatures, size)[:, None]
    optimizer = make_optimizer(optimizer_key, [hyperparameters] * rows)

    zeros = np.zeros((rows, 2))
    optimizer.step(zeros, zeros)

    position = np.zeros((rows, 2))
    position[:, 0] = unit[:, 0]
    if size == 2:
        optimizer.velocity = np.zeros((rows, 2))
        optimizer.velocity[:, 0] = unit[:, 1]
    new_position = optimizer.step(position, curvature * position)

    state = new_position[:, :1]
    if size == 2:
        state = np.concatenate([state, optimizer.velocity[:, :1]], axis=1)
    # state[r] is the image of unit state r % size: column r % size of the matrix.
    return state.reshape(count, size, size).transpose(0, 2, 1)


def predicted_rate(eigenvalues: Sequence[float], optimizer_key: str,
                   hyperparameters: Mapping[str, object]) -> float | None:
    """The convergence rate per step that the settings predict on a quadratic.

    It is the factor by which the distance to the minimum shrinks per step once the
    first steps' transient has passed: the largest spectral radius, over the
    eigen-directions, of that direction's iteration matrix (see
    :func:`iteration_matrices`). Below 1 the run converges, above 1 it diverges.

    Where a direction's two roots are complex they share one modulus, the square
    root of the matrix's determinant: sqrt(beta) for heavy ball whatever the
    learning rate, sqrt(beta (1 - lr lambda)) for Nesterov.

    Parameters
    ----------
    eigenvalues : sequence of float
        The Hessian's eigenvalues.
    optimizer_key : str
        Any optimizer key.
    hyperparameters : mapping
        Its settings; missing ones take their defaults.

    Returns
    -------
    float or None
        None for AdaGrad, RMSProp and Adam, which are not linear on a quadratic.
    """
    if optimizer_key not in LINEAR_OPTIMIZERS:
        return None

    matrices = iteration_matrices(eigenvalues, optimizer_key, hyperparameters)
    return float(np.abs(np.linalg.eigvals(matrices)).max())


def predicted_rate_grid(eigenvalues: Sequence[float], optimizer_key: str,
                        base_hyperparameters: Mapping[str, object],
                        lrs: np.ndarray, momenta: np.ndarray) -> np.ndarray | None:
    """:func:`predicted_rate` over a grid of learning rates and momentum rates.

    Closed form, vectorized: each 2 x 2 iteration matrix's eigenvalues come from its
    trace and determinant. For gradient descent the momentum axis is ignored.

    Parameters
    ----------
    eigenvalues : sequence of float
        The Hessian's eigenvalues.
    optimizer_key : str
        Any optimizer key.
    base_hyperparameters : mapping
        The other settings (dampening, weight decay, Nesterov, moving-average form).
    lrs : numpy.ndarray
        Shape ``(n,)``: learning rates, the columns.
    momenta : numpy.ndarray
        Shape ``(m,)``: momentum rates, the rows.

    Returns
    -------
    numpy.ndarray or None
        Shape ``(m, n)``; None for optimizers that are not linear on a quadratic.
    """
    if optimizer_key not in LINEAR_OPTIMIZERS:
        return None

    settings = check_hyperparameters(optimizer_key, base_hyperparameters)
    lr = np.asarray(lrs, dtype=float).reshape(1, -1)
    beta = np.asarray(momenta, dtype=float).reshape(-1, 1)
    decay = float(settings["weight_decay"])

    rates = np.zeros((beta.shape[0], lr.shape[1]))
    for curvature in np.asarray(eigenvalues, dtype=float).ravel():
        slope = curvature + decay
        if optimizer_key == "gd":
            rate = np.abs(1.0 - lr * slope) + 0.0 * beta
        else:
            rate = _momentum_radius(settings, optimizer_key, lr * slope, beta)
        np.maximum(rates, rate, out=rates)
    return rates


def measured_rate(losses: np.ndarray, minimum_value: float,
                  transient: float = TRANSIENT) -> float | None:
    """The rate per step of the distance to the minimum, measured from a loss curve.

    Near a minimum the loss gap goes as the squared distance, so the rate is
    ``exp(slope / 2)`` of a least-squares line through ``log(loss - minimum_value)``
    against the step. The fit uses the curve up to where the gap first falls below
    ``FLOOR`` times the first gap (or its rounding noise), less the first
    ``transient`` fraction of those points, and at most ``MAX_FIT_POINTS`` of them.

    Where a direction has a double root (heavy ball at its best settings) the
    distance goes as k rate^k and a fit over a finite curve reads a slower rate:
    0.836 for 0.818 at kappa 100.

    Parameters
    ----------
    losses : numpy.ndarray
        The loss at steps 0, 1, ...
    minimum_value : float
        The loss at the minimum the run converges to.
    transient : float
        Fraction of the usable points skipped at the start.

    Returns
    -------
    float or None
        None when fewer than ``MIN_FIT_POINTS`` points are usable.
    """
    gaps = np.asarray(losses, dtype=float) - minimum_value
    if len(gaps) == 0 or not np.isfinite(gaps[0]) or gaps[0] <= 0:
        return None

    noise = 64 * np.finfo(float).eps * abs(minimum_value)
    floor = max(FLOOR * gaps[0], noise)
    below = ~(np.isfinite(gaps) & (gaps > floor))
    usable = int(np.argmax(below)) if below.any() else len(gaps)

    first = int(transient * usable)
    if usable - first < MIN_FIT_POINTS:
        return None

    stride = -(-(usable - first) // MAX_FIT_POINTS)
    steps = np.arange(first, usable, stride)
    slope = np.polyfit(steps, np.log(gaps[steps]), 1)[0]
    return float(np.exp(slope / 2.0))


def _momentum_radius(settings: Mapping[str, object], optimizer_key: str,
                     step: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Spectral radius of heavy ball's or Nesterov's matrix; ``step`` is lr * lambda.

    With ``c`` the weight of a new gradient in the velocity (``1 - dampening``, or
    ``1 - beta`` in the moving-average form):

    * heavy ball: [[1 - c step, -lr beta], [c lambda, beta]]: trace
      1 + beta - c step, determinant beta;
    * Nesterov: [[1 - (1 + c beta) step, -lr beta^2], [c lambda, beta]]: trace
      1 + beta - (1 + c beta) step, determinant beta (1 - step);
    * momentum 0 steps with the gradient itself: 1 - step, and 0.
    """
    if settings.get("moving_average", False):
        weight = 1.0 - beta
    else:
        weight = np.full_like(beta, 1.0 - float(settings["dampening"]))

    if optimizer_key == "nesterov" or settings.get("nesterov", False):
        trace = 1.0 + beta - (1.0 + weight * beta) * step
        determinant = beta * (1.0 - step)
    else:
        trace = 1.0 + beta - weight * step
        determinant = beta + 0.0 * step

    still = beta == 0
    trace = np.where(still, 1.0 - step, trace)
    determinant = np.where(still, 0.0, determinant)
    return _radius_2x2(trace, determinant)


def _radius_2x2(trace: np.ndarray, determinant: np.ndarray) -> np.ndarray:
    """Largest eigenvalue modulus of real 2 x 2 matrices from trace and determinant."""
    discriminant = trace * trace - 4.0 * determinant
    real = discriminant >= 0
    root = np.sqrt(np.where(real, discriminant, 0.0))
    modulus = np.sqrt(np.abs(determinant))
    return np.where(real, 0.5 * (np.abs(trace) + root), modulus)
