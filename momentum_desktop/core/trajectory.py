"""A run's recorded path: positions and losses in growable numpy arrays."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .simulation import DEFAULT_TOLERANCE, Chunk, RunSpec, RunState, RunStatus, simulate
from .surfaces import Surface

__all__ = ["Trajectory", "decimate", "decimated_indices", "record"]


class Trajectory:
    """Every point of one run, step 0 first, with room to grow.

    Besides positions and losses it keeps the gradient at each point and the
    optimizer's velocity after each step (NaN where the rule keeps none), for the
    arrows and the loss plot. Appending is amortized O(1) per point: storage doubles
    when full, so a run of a million steps costs about 56 MB and no Python object
    per point.
    """

    def __init__(self, capacity: int = 1024) -> None:
        self._positions = np.empty((capacity, 2))
        self._losses = np.empty(capacity)
        self._gradients = np.empty((capacity, 2))
        self._velocities = np.empty((capacity, 2))
        self._length = 0
        self.status = RunStatus(RunState.RUNNING, 0)

    def __len__(self) -> int:
        return self._length

    @property
    def positions(self) -> np.ndarray:
        """Shape ``(len, 2)``: x and y of each step (a view, do not modify)."""
        return self._positions[: self._length]

    @property
    def losses(self) -> np.ndarray:
        """Shape ``(len,)``: the loss at each step (a view, do not modify)."""
        return self._losses[: self._length]

    @property
    def gradients(self) -> np.ndarray:
        """Shape ``(len, 2)``: the gradient at each point (a view, do not modify)."""
        return self._gradients[: self._length]

    @property
    def velocities(self) -> np.ndarray:
        """Shape ``(len, 2)``: the optimizer's velocity after each step; NaN where
        the rule keeps none, and at step 0 (a view, do not modify)."""
        return self._velocities[: self._length]

    @property
    def steps(self) -> np.ndarray:
        """Step numbers 0, 1, ... of the recorded points."""
        return np.arange(self._length)

    def head(self, count: int) -> Trajectory:
        """The first ``count`` points as a trajectory of their own (no copy).

        Its status is this one's if it holds every point, else running at its last
        step: what the run looked like at that moment. It shares this trajectory's
        storage, so it is for reading only: never append to it.
        """
        count = max(0, min(count, self._length))
        part = Trajectory.__new__(Trajectory)
        part._positions, part._losses = self._positions, self._losses
        part._gradients, part._velocities = self._gradients, self._velocities
        part._length = count
        part.status = self.status if count == self._length else RunStatus(
            RunState.RUNNING, max(0, count - 1))
        return part

    def append(self, positions: np.ndarray, losses: np.ndarray,
               gradients: np.ndarray | None = None,
               velocities: np.ndarray | None = None) -> None:
        """Add points in step order (gradients and velocities NaN if not given)."""
        count = len(losses)
        self._reserve(self._length + count)
        span = slice(self._length, self._length + count)
        self._positions[span] = positions
        self._losses[span] = losses
        self._gradients[span] = np.nan if gradients is None else gradients
        self._velocities[span] = np.nan if velocities is None else velocities
        self._length += count

    def append_chunk(self, chunk: Chunk, run: int) -> None:
        """Add run ``run``'s new points from a simulation chunk and take its status."""
        length = int(chunk.lengths[run])
        self.append(
            chunk.positions[run, :length], chunk.losses[run, :length],
            None if chunk.gradients is None else chunk.gradients[run, :length],
            None if chunk.velocities is None else chunk.velocities[run, :length],
        )
        self.status = chunk.statuses[run]

    def _reserve(self, needed: int) -> None:
        # Known cost: growing copies every point, about 40 ms at half a million, so
        # a million-step playback pauses the window briefly a few times as it grows.
        capacity = len(self._losses)
        if needed <= capacity:
            return

        while capacity < needed:
            capacity *= 2
        for name in ("_positions", "_losses", "_gradients", "_velocities"):
            old = getattr(self, name)
            grown = np.empty((capacity,) + old.shape[1:])
            grown[: self._length] = old[: self._length]
            setattr(self, name, grown)


def decimate(points: np.ndarray, most: int) -> np.ndarray:
    """Every k-th point, with the last always kept, so at most about ``most`` remain.

    Used for drawing only: exports always take the full trajectory.
    """
    count = len(points)
    if count <= most:
        return points
    return points[decimated_indices(count, most)]


def decimated_indices(count: int, most: int) -> np.ndarray:
    """The indices :func:`decimate` keeps of ``count`` points: a view that needs one
    value per drawn point can work out just those, not all ``count``."""
    if count <= most:
        return np.arange(count)

    stride = -(-count // most)
    kept = np.arange(0, count, stride)
    if (count - 1) % stride:
        kept = np.append(kept, count - 1)
    return kept


def record(surface: Surface, runs: Sequence[RunSpec], steps: int,
           tolerance: float = DEFAULT_TOLERANCE) -> list[Trajectory]:
    """Step every run to its end and return the whole trajectories (no pacing)."""
    trajectories = [Trajectory() for _ in runs]
    for chunk in simulate(surface, runs, steps, chunk_steps=4096, tolerance=tolerance):
        for index, trajectory in enumerate(trajectories):
            trajectory.append_chunk(chunk, index)
    return trajectories
