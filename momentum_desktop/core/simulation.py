"""Stepping runs over a surface: a generator that yields chunks of new points."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from .optimizers import Optimizer, make_optimizer
from .surfaces import Surface

__all__ = ["Chunk", "RunSpec", "RunState", "RunStatus", "merge_chunks", "simulate"]

log = logging.getLogger(__name__)

DEFAULT_TOLERANCE = 1e-8
"""A run converges when its gradient norm and its last step are both below this."""

RUNAWAY_FACTOR = 1e3
"""A run diverges once a coordinate is this many domain spans from the origin."""


class RunState(Enum):
    """Where a run stands."""

    RUNNING = "running"
    CONVERGED = "converged"
    DIVERGED = "diverged"
    FINISHED = "finished"


@dataclass(frozen=True)
class RunStatus:
    """A run's state and the step it refers to (the last step taken, or the end)."""

    state: RunState
    step: int

    @property
    def stopped(self) -> bool:
        """Whether the run will take no more steps."""
        return self.state is not RunState.RUNNING

    def describe(self) -> str:
        """Words for a readout, e.g. ``diverged at step 12``."""
        if self.state is RunState.RUNNING:
            return "running"
        if self.state is RunState.FINISHED:
            return f"finished after {self.step} steps"
        return f"{self.state.value} at step {self.step}"


@dataclass(frozen=True)
class RunSpec:
    """What one run needs: an optimizer, its hyperparameters and a start.

    ``noise`` is the standard deviation of Gaussian noise added to each gradient
    component the optimizer sees, drawn from a generator seeded with ``seed``, so a
    stochastic run repeats exactly.
    """

    optimizer: str
    hyperparameters: Mapping[str, object] = field(default_factory=dict)
    start: tuple[float, float] = (0.0, 0.0)
    noise: float = 0.0
    seed: int = 0


@dataclass(frozen=True)
class Chunk:
    """New points of every run since the previous chunk.

    Run ``i`` gained ``lengths[i]`` points, ``positions[i, :lengths[i]]`` with losses
    ``losses[i, :lengths[i]]``, for steps ``first_step, first_step + 1, ...``. Rows
    past a run's length are NaN. ``statuses`` hold after the chunk.
    """

    first_step: int
    positions: np.ndarray
    losses: np.ndarray
    lengths: np.ndarray
    statuses: tuple[RunStatus, ...]
    gradients: np.ndarray | None = None
    velocities: np.ndarray | None = None


def simulate(
    surface: Surface,
    runs: Sequence[RunSpec],
    steps: int,
    chunk_steps: int = 64,
    tolerance: float = DEFAULT_TOLERANCE,
) -> Iterator[Chunk]:
    """Step every run for up to ``steps`` steps, yielding chunks of new points.

    The first chunk holds step 0, the starts. Runs stepping with the same optimizer
    advance together in one numpy call. A run stops early when it converges (gradient
    norm and step length below ``tolerance``) or diverges (a non-finite value, or a
    position far outside the domain); a diverging step is not recorded.

    Parameters
    ----------
    surface : Surface
        The loss surface.
    runs : sequence of RunSpec
        The runs; their hyperparameters are validated here.
    steps : int
        Optimizer steps per run.
    chunk_steps : int
        Most steps in one chunk after the first.
    tolerance : float
        Convergence threshold on gradient norm and step length.

    Yields
    ------
    Chunk
        New points and the statuses after them.
    """
    groups = _group_by_optimizer(runs)
    noisy = [(i, run.noise, np.random.default_rng(run.seed))
             for i, run in enumerate(runs) if run.noise > 0]
    count = len(runs)
    bound = RUNAWAY_FACTOR * surface.domain.span

    position = np.array([run.start for run in runs], dtype=float).reshape(count, 2)
    with np.errstate(all="ignore"):
        loss, gradient = _evaluate(surface, position)
        usable = _usable(position, loss, gradient, bound)
        at_rest = usable & (np.linalg.norm(gradient, axis=1) < tolerance)
    statuses = [
        RunStatus(RunState.CONVERGED, 0) if rest
        else RunStatus(RunState.RUNNING, 0) if ok else RunStatus(RunState.DIVERGED, 0)
        for ok, rest in zip(usable, at_rest)
    ]
    active = usable & ~at_rest
    log.info("simulation started: %d runs, %d steps on %s", count, steps, surface.key)

    yield Chunk(0, position[:, None, :].copy(), loss[:, None].copy(),
                np.ones(count, dtype=int), tuple(statuses),
                gradient[:, None, :].copy(), np.full((count, 1, 2), np.nan))

    step = 0
    while step < steps and active.any():
        size = min(chunk_steps, steps - step)
        new_positions = np.full((count, size, 2), np.nan)
        new_losses = np.full((count, size), np.nan)
        new_gradients = np.full((count, size, 2), np.nan)
        new_velocities = np.full((count, size, 2), np.nan)
        lengths = np.zeros(count, dtype=int)
        first_step = step + 1

        with np.errstate(all="ignore"):
            for row in range(size):
                step += 1
                seen = gradient.copy() if noisy else gradient
                for i, deviation, generator in noisy:
                    seen[i] += deviation * generator.standard_normal(2)
                proposed = _step_all(groups, position, seen)
                new_loss, new_gradient = _evaluate(surface, proposed)

                ok = _usable(proposed, new_loss, new_gradient, bound)
                keep = active & ok
                if keep.all():  # the common case: every run steps
                    moved_from = position
                    position, loss, gradient = proposed, new_loss, new_gradient
                    new_positions[:, row] = proposed
                    new_losses[:, row] = new_loss
                    new_gradients[:, row] = new_gradient
                else:
                    moved_from = position.copy()
                    position[keep] = proposed[keep]
                    loss[keep] = new_loss[keep]
                    gradient[keep] = new_gradient[keep]
                    new_positions[keep, row] = proposed[keep]
                    new_losses[keep, row] = new_loss[keep]
                    new_gradients[keep, row] = new_gradient[keep]
                for optimizer, rows in groups:
                    velocity = optimizer.velocity_buffer()
                    if velocity is not None:
                        new_velocities[rows, row] = velocity
                lengths[keep] += 1

                settled = keep & (_norm(new_gradient) < tolerance)
                if settled.any():
                    converged = settled & (_norm(proposed - moved_from) < tolerance)
                else:
                    converged = settled
                diverged = active & ~ok
                if converged.any() or diverged.any():
                    _mark(statuses, converged, RunState.CONVERGED, step)
                    _mark(statuses, diverged, RunState.DIVERGED, step)
                    active &= ~(converged | diverged)
                    if not active.any():
                        break

        if step >= steps:
            _mark(statuses, active, RunState.FINISHED, step)
        else:
            _mark(statuses, active, RunState.RUNNING, step)

        used = row + 1
        yield Chunk(first_step, new_positions[:, :used], new_losses[:, :used],
                    lengths, tuple(statuses), new_gradients[:, :used],
                    new_velocities[:, :used])

    log.info("simulation ended at step %d: %s", step,
             "; ".join(s.describe() for s in statuses))


def merge_chunks(chunks: Sequence[Chunk]) -> Chunk:
    """Join consecutive chunks into one, as if they had been yielded together.

    A run's points stay a prefix of its rows: a run that stopped in one chunk adds
    no points in the next.
    """
    if len(chunks) == 1:
        return chunks[0]

    return Chunk(
        first_step=chunks[0].first_step,
        positions=np.concatenate([c.positions for c in chunks], axis=1),
        losses=np.concatenate([c.losses for c in chunks], axis=1),
        lengths=np.sum([c.lengths for c in chunks], axis=0),
        statuses=chunks[-1].statuses,
        gradients=np.concatenate([c.gradients for c in chunks], axis=1),
        velocities=np.concatenate([c.velocities for c in chunks], axis=1),
    )


def _group_by_optimizer(runs: Sequence[RunSpec]) -> list[tuple[Optimizer, np.ndarray]]:
    """One optimizer instance per optimizer kind, holding all runs of that kind."""
    indices: dict[str, list[int]] = {}
    for i, run in enumerate(runs):
        indices.setdefault(run.optimizer, []).append(i)

    return [
        (make_optimizer(key, [runs[i].hyperparameters for i in rows]), np.array(rows))
        for key, rows in indices.items()
    ]


def _evaluate(surface: Surface, position: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = position[:, 0], position[:, 1]
    loss = np.empty(len(position))
    loss[:] = surface.value(x, y)
    gradient = np.empty_like(position, dtype=float)
    gradient[:, 0], gradient[:, 1] = surface.gradient(x, y)
    return loss, gradient


def _norm(rows: np.ndarray) -> np.ndarray:
    """Euclidean norm of each row, as np.linalg.norm(rows, axis=1) computes it."""
    return np.sqrt((rows * rows).sum(axis=1))


def _step_all(groups: list[tuple[Optimizer, np.ndarray]], position: np.ndarray,
              gradient: np.ndarray) -> np.ndarray:
    proposed = np.empty_like(position)
    for optimizer, rows in groups:
        proposed[rows] = optimizer.step(position[rows], gradient[rows])
    return proposed


def _usable(position: np.ndarray, loss: np.ndarray, gradient: np.ndarray,
            bound: float) -> np.ndarray:
    """Rows that are finite everywhere and not run away."""
    # NaN and infinite positions fail the bound test below too.
    finite = np.isfinite(loss) & np.isfinite(gradient).all(axis=1)
    return finite & (np.abs(position) <= bound).all(axis=1)


def _mark(statuses: list[RunStatus], rows: np.ndarray, state: RunState,
          step: int) -> None:
    for i in np.flatnonzero(rows):
        if not statuses[i].stopped:
            statuses[i] = RunStatus(state, step)
        if state in (RunState.CONVERGED, RunState.DIVERGED):
            log.info("run %d %s at step %d", i, state.value, step)
