"""The (learning rate, momentum rate) map: steps to reach a loss, for a grid of runs.

Every cell of the grid is one run from the same start with its own learning rate and
momentum rate. All cells step together, one row each in one optimizer, so a map of
40,000 runs costs about as much numpy work as a few hundred steps of one run each.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .optimizers import Optimizer, check_hyperparameters, make_optimizer
from .parameters import ParameterError
from .simulation import DEFAULT_TOLERANCE, RUNAWAY_FACTOR
from .surfaces import Surface
from .theory import nearest_minimum, predicted_rate_grid, theory_for

__all__ = [
    "MOMENTUM_AXES",
    "BestCell",
    "MapProgress",
    "MapRequest",
    "MapResult",
    "compute_map",
    "default_grid",
    "predicted_rate_map",
    "rate_map",
]

log = logging.getLogger(__name__)

MOMENTUM_AXES: dict[str, tuple[str, int]] = {
    "momentum": ("momentum", 0),
    "nesterov": ("momentum", 0),
    "rmsprop": ("momentum", 0),
    "adam": ("betas", 0),
}
"""The hyperparameter each optimizer's momentum axis sets: its name, and which of
its numbers for a pair (Adam's beta1 is ``betas[0]``)."""

LR_SPAN = (1e-2, 1e1)
"""Default learning rates run from these multiples of the surface's own."""

LARGEST_MOMENTUM = 0.99
"""The default momentum axis ends here."""

COMPACT_FRACTION = 0.1
"""Drop stopped cells from the arrays once this fraction of those stepping stopped."""


@dataclass(frozen=True)
class MapRequest:
    """What a map needs: a surface, an optimizer, a start and the grid.

    Parameters
    ----------
    surface : Surface
        The loss surface; it must list a minimum.
    optimizer : str
        A key of ``MOMENTUM_AXES``.
    hyperparameters : mapping
        The settings shared by every cell; the learning rate and the momentum rate
        are the grid's.
    start : tuple of float
        Where every run starts.
    lrs : sequence of float
        The learning rates, the map's columns.
    momenta : sequence of float
        The momentum rates, the map's rows.
    steps : int
        Most steps per run.
    tolerance : float
        A run reaches the minimum at the first step where its loss minus the value
        of the listed minimum nearest ``start`` is at most this.

    Raises
    ------
    ParameterError
        If the optimizer has no momentum axis, the surface lists no minimum, or a
        value is refused.
    """

    surface: Surface
    optimizer: str
    hyperparameters: Mapping[str, object]
    start: tuple[float, float]
    lrs: tuple[float, ...]
    momenta: tuple[float, ...]
    steps: int
    tolerance: float = DEFAULT_TOLERANCE

    def __post_init__(self) -> None:
        _check_axis(self.optimizer)
        if not self.surface.minima:
            raise ParameterError(
                f"{self.surface.title} lists no minimum, so there is no loss for the "
                f"map's runs to reach"
            )

        object.__setattr__(self, "start", self.surface.check_start(*self.start))
        object.__setattr__(self, "lrs", _axis(self.lrs, "learning rates"))
        object.__setattr__(self, "momenta", _axis(self.momenta, "momentum rates"))
        object.__setattr__(self, "hyperparameters", dict(self.hyperparameters))
        _check_grid(self)

        if isinstance(self.steps, bool) or not isinstance(self.steps, int) \
                or self.steps < 1:
            raise ParameterError(
                f"steps must be a whole number >= 1; got {self.steps!r}"
            )
        if not (math.isfinite(self.tolerance) and self.tolerance > 0):
            raise ParameterError(
                f"tolerance must be a number > 0; got {self.tolerance!r}"
            )

    @property
    def shape(self) -> tuple[int, int]:
        """``(momentum rates, learning rates)``: the map's rows and columns."""
        return len(self.momenta), len(self.lrs)

    def cell_hyperparameters(self, row: int, column: int) -> dict[str, object]:
        """The full settings of one cell, as a single run would take them."""
        return _settings(self.optimizer, self.hyperparameters, self.lrs[column],
                         self.momenta[row])


@dataclass(frozen=True)
class BestCell:
    """The cell that reached the tolerance in the fewest steps."""

    lr: float
    momentum: float
    steps: int


@dataclass(frozen=True)
class MapResult:
    """Steps to the tolerance per cell: rows momentum rates, columns learning rates.

    Parameters
    ----------
    steps_to_tolerance : numpy.ndarray
        Shape ``(m, n)`` int: the first step at which the cell's loss gap was within
        the tolerance; -1 where it was not (yet).
    diverged : numpy.ndarray
        Shape ``(m, n)`` bool: the run went non-finite or far outside the domain.
    lrs : numpy.ndarray
        Shape ``(n,)``.
    momenta : numpy.ndarray
        Shape ``(m,)``.
    steps_done : int
        Steps taken so far; a cell still stepping has -1 and is not diverged.
    complete : bool
        Whether every cell has stopped or taken every step.
    """

    steps_to_tolerance: np.ndarray
    diverged: np.ndarray
    lrs: np.ndarray
    momenta: np.ndarray
    steps_done: int
    complete: bool

    @property
    def reached(self) -> np.ndarray:
        """Cells that reached the tolerance."""
        return self.steps_to_tolerance >= 0

    @property
    def not_reached(self) -> np.ndarray:
        """Cells that neither reached the tolerance nor diverged (so far)."""
        return ~self.reached & ~self.diverged

    @property
    def best(self) -> BestCell | None:
        """The cell with the fewest steps (the first in row order on a tie), or None."""
        if not self.reached.any():
            return None

        steps = np.where(self.reached, self.steps_to_tolerance, np.iinfo(np.int64).max)
        row, column = np.unravel_index(int(np.argmin(steps)), steps.shape)
        return BestCell(float(self.lrs[column]), float(self.momenta[row]),
                        int(steps[row, column]))


@dataclass(frozen=True)
class MapProgress:
    """How far a map has come: ``fraction`` in [0, 1] and the result so far."""

    fraction: float
    result: MapResult = field(repr=False)


def compute_map(request: MapRequest, chunk_steps: int = 50) -> Iterator[MapProgress]:
    """Step every cell of the map, yielding progress every ``chunk_steps`` steps.

    All cells step together in one optimizer. A cell stops when its loss gap is
    within the tolerance, or when it diverges by the rule single runs follow (a
    non-finite position, loss or gradient, or a coordinate ``RUNAWAY_FACTOR``
    domain spans from the origin); stopped cells are dropped from the arrays.
    Stopping the iteration between chunks cancels the map.

    A cell counts the first step its loss gap is within the tolerance, even where
    the gap oscillates (complex roots) and climbs back above it for a while.

    A single run also stops once it comes to rest (gradient and step below its
    tolerance); a cell does not, which matters only if a run comes to rest above
    the tolerance and then moves on, something the surfaces here do not do.

    Parameters
    ----------
    request : MapRequest
        The map to compute.
    chunk_steps : int
        Steps between yields.

    Yields
    ------
    MapProgress
        The fraction of steps done and the partial result; the last has fraction 1.
    """
    if chunk_steps < 1:
        raise ParameterError(f"chunk_steps must be >= 1; got {chunk_steps!r}")

    grid = _Grid(request)
    rows, columns = request.shape
    log.info("rate map started: %s on %s, %d momentum rates x %d learning rates, "
             "up to %d steps to a loss gap of %g", request.optimizer,
             request.surface.describe(), rows, columns, request.steps,
             request.tolerance)

    step = 0
    try:
        while step < request.steps and grid.stepping:
            size = min(chunk_steps, request.steps - step)
            step = grid.advance(step, size)
            yield MapProgress(step / request.steps, grid.result(step, complete=False))
    except GeneratorExit:
        log.info("rate map cancelled at step %d", step)
        raise

    result = grid.result(step, complete=True)
    _log_end(result, step)
    yield MapProgress(1.0, result)


def rate_map(request: MapRequest) -> MapResult:
    """Compute the whole map at once (see :func:`compute_map`)."""
    for progress in compute_map(request, chunk_steps=request.steps):
        pass
    return progress.result


def default_grid(surface: Surface, optimizer: str, lr_count: int = 200,
                 momentum_count: int = 200,
                 hyperparameters: Mapping[str, object] | None = None,
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Sensible learning rates and momentum rates for a map.

    Learning rates are log-spaced from ``LR_SPAN[0]`` to ``LR_SPAN[1]`` times a
    centre: the surface's default (gradient-descent) learning rate for momentum and
    Nesterov, which puts the quadratic valley's best momentum learning rate inside
    (about 1.7 times the default). For RMSProp and Adam, whose steps are about
    ``lr`` long whatever the curvature, the centre is the domain's span over the
    surface's default number of steps. Momentum rates are evenly spaced from 0 to
    ``LARGEST_MOMENTUM``, without 0 where the optimizer refuses it (Nesterov).

    Returns
    -------
    tuple of numpy.ndarray
        ``(lrs, momenta)``, shapes ``(lr_count,)`` and ``(momentum_count,)``.
    """
    _check_axis(optimizer)

    if optimizer in ("rmsprop", "adam"):
        centre = surface.domain.span / surface.default_steps
    else:
        centre = surface.default_learning_rate
    lrs = centre * np.logspace(math.log10(LR_SPAN[0]), math.log10(LR_SPAN[1]), lr_count)

    momenta = np.linspace(0.0, LARGEST_MOMENTUM, momentum_count)
    base = dict(hyperparameters or {})
    try:
        _check_cell(optimizer, base, float(lrs[0]), 0.0)
    except ParameterError:
        momenta = np.linspace(0.0, LARGEST_MOMENTUM, momentum_count + 1)[1:]
    return lrs, momenta


def predicted_rate_map(request: MapRequest) -> np.ndarray | None:
    """The rate per step the quadratic theory predicts for each cell.

    Exact on the quadratic valley; elsewhere it is the local theory at the minimum
    nearest the start (see :func:`theory_for`).

    Returns
    -------
    numpy.ndarray or None
        Shape ``(m, n)``; None where there is no theory or the optimizer is not
        linear on a quadratic (RMSProp, Adam).
    """
    theory = theory_for(request.surface, request.start)
    if theory is None:
        return None
    return predicted_rate_grid(theory.eigenvalues, request.optimizer,
                               request.hyperparameters, np.array(request.lrs),
                               np.array(request.momenta))


class _Grid:
    """The cells still stepping: which they are, their state and their optimizer."""

    def __init__(self, request: MapRequest) -> None:
        self.surface = request.surface
        self.shape = request.shape
        self.minimum = nearest_minimum(request.surface, request.start).value
        self.tolerance = request.tolerance
        self.bound = RUNAWAY_FACTOR * request.surface.domain.span

        count = self.shape[0] * self.shape[1]
        self.steps_to_tolerance = np.full(count, -1, dtype=np.int64)
        self.diverged = np.zeros(count, dtype=bool)
        self.lrs = np.array(request.lrs)
        self.momenta = np.array(request.momenta)

        self.optimizer = _grid_optimizer(request)
        self.cells = np.arange(count)
        self.live = np.ones(count, dtype=bool)

        # Positions are (cells, 2) views of (2, cells) arrays, so that x and y are
        # contiguous: numpy's elementwise calls run about twice as fast.
        start = np.empty((2, count))
        start[0], start[1] = request.start
        self.position = start.T
        with np.errstate(all="ignore"):
            self.gradient = self._settle(0, self.position)
        self._compact(always=True)

    @property
    def stepping(self) -> bool:
        """Whether any cell is still stepping."""
        return bool(self.live.any())

    def advance(self, step: int, size: int) -> int:
        """Take up to ``size`` steps after step ``step``; return the last step taken."""
        with np.errstate(all="ignore"):
            for _ in range(size):
                step += 1
                self.position = self.optimizer.step(self.position, self.gradient)
                self.gradient = self._settle(step, self.position)

                stopped = len(self.cells) - np.count_nonzero(self.live)
                if stopped > COMPACT_FRACTION * len(self.cells):
                    self._compact()
                if not self.live.any():
                    break

        self._compact()
        return step

    def result(self, step: int, complete: bool) -> MapResult:
        """The map so far, as copies."""
        return MapResult(
            steps_to_tolerance=self.steps_to_tolerance.reshape(self.shape).copy(),
            diverged=self.diverged.reshape(self.shape).copy(),
            lrs=self.lrs.copy(),
            momenta=self.momenta.copy(),
            steps_done=step,
            complete=complete,
        )

    def _settle(self, step: int, position: np.ndarray) -> np.ndarray:
        """Mark cells that reached the tolerance or diverged at ``step``.

        Returns the gradient at ``position``, shaped like it.
        """
        x, y = position[:, 0], position[:, 1]
        loss = np.broadcast_to(np.asarray(self.surface.value(x, y), dtype=float),
                               x.shape)
        gx, gy = self.surface.gradient(x, y)
        gradient = np.empty((2, len(x)))
        gradient[0], gradient[1] = gx, gy

        usable = np.isfinite(loss)
        usable &= np.isfinite(gradient[0])
        usable &= np.isfinite(gradient[1])
        usable &= np.abs(x) <= self.bound
        usable &= np.abs(y) <= self.bound
        # The same expression as a single run's check, so the same rounding.
        reached = (loss - self.minimum) <= self.tolerance

        stopping = self.live & ~(usable & ~reached)
        if stopping.any():
            self._stop(step, stopping, usable)
        return gradient.T

    def _stop(self, step: int, stopping: np.ndarray, usable: np.ndarray) -> None:
        """Record the cells that stop at ``step`` and take them out of the live set."""
        diverging = stopping & ~usable
        self.diverged[self.cells[diverging]] = True
        self.steps_to_tolerance[self.cells[stopping & usable]] = step
        self.live &= ~stopping

    def _compact(self, always: bool = False) -> None:
        """Drop stopped cells from every array, the optimizer's included.

        ``always`` compacts even when no cell stopped, which also lays the
        optimizer's state out like the positions.
        """
        keep = self.live
        if keep.all() and not always:
            return

        self.cells = self.cells[keep]
        self.position = np.asfortranarray(self.position[keep])
        self.gradient = np.asfortranarray(self.gradient[keep])
        _keep_rows(self.optimizer, keep)
        self.live = np.ones(len(self.cells), dtype=bool)


def _grid_optimizer(request: MapRequest) -> Optimizer:
    """One optimizer with one row per cell, cells in row order (momentum, then lr).

    Building it from 40,000 settings would validate each (about half a second), so
    it is built for one cell and its hyperparameter columns are then replaced; every
    cell's values were validated by the request.
    """
    rows, columns = request.shape
    optimizer = make_optimizer(request.optimizer, [request.cell_hyperparameters(0, 0)])

    count = rows * columns
    for name, column in optimizer.values.items():
        optimizer.values[name] = np.repeat(column, count, axis=0)
    optimizer.values["lr"] = np.tile(np.array(request.lrs), rows).reshape(-1, 1)

    name, index = MOMENTUM_AXES[request.optimizer]
    optimizer.values[name][:, index] = np.repeat(np.array(request.momenta), columns)
    optimizer.count = count
    optimizer.reset()
    return optimizer


def _keep_rows(optimizer: Optimizer, keep: np.ndarray) -> None:
    """Keep only the rows ``keep`` of an optimizer's hyperparameters and state.

    It relies on the optimizer holding each run's state in arrays with one row per
    run, as every optimizer here does.
    """
    count = optimizer.count
    for name, column in optimizer.values.items():
        optimizer.values[name] = column[keep]

    for name, state in list(vars(optimizer).items()):
        if isinstance(state, np.ndarray) and state.shape[:1] == (count,):
            setattr(optimizer, name, np.asfortranarray(state[keep]))
    optimizer.count = int(np.count_nonzero(keep))


def _settings(optimizer: str, base: Mapping[str, object], lr: float,
              momentum: float) -> dict[str, object]:
    """``base`` with the learning rate and the momentum axis set."""
    settings = {**base, "lr": float(lr)}
    name, index = MOMENTUM_AXES[optimizer]
    if name == "betas":
        betas = list(check_hyperparameters(optimizer, base)["betas"])
        betas[index] = float(momentum)
        settings[name] = tuple(betas)
    else:
        settings[name] = float(momentum)
    return settings


def _check_axis(optimizer: str) -> None:
    if optimizer not in MOMENTUM_AXES:
        raise ParameterError(
            f"the map needs an optimizer with a momentum rate; got {optimizer!r}, "
            f"allowed: {', '.join(MOMENTUM_AXES)}"
        )


def _check_cell(optimizer: str, base: Mapping[str, object], lr: float,
                momentum: float) -> None:
    check_hyperparameters(optimizer, _settings(optimizer, base, lr, momentum))


def _check_grid(request: MapRequest) -> None:
    """Validate every learning rate and every momentum rate with the base settings."""
    lrs, momenta = request.lrs, request.momenta
    for lr in lrs:
        _check_cell(request.optimizer, request.hyperparameters, lr, momenta[-1])
    for momentum in momenta:
        _check_cell(request.optimizer, request.hyperparameters, lrs[-1], momentum)


def _axis(values: Sequence[float] | np.ndarray, what: str) -> tuple[float, ...]:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1 or len(array) == 0:
        raise ParameterError(f"the map's {what} must be a non-empty list of numbers")
    return tuple(float(v) for v in array)


def _log_end(result: MapResult, step: int) -> None:
    best = result.best
    log.info(
        "rate map ended at step %d: %d cells reached the tolerance, %d diverged, "
        "%d did not reach it; best %s", step, np.count_nonzero(result.reached),
        np.count_nonzero(result.diverged), np.count_nonzero(result.not_reached),
        "none" if best is None else
        f"lr {best.lr:.4g}, momentum {best.momentum:.4g} in {best.steps} steps",
    )
