"""Every run's trajectory as one CSV or JSON file: label, optimizer, settings, path."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence

from .session import Session
from .session_file import session_to_toml
from .trajectory import Trajectory

__all__ = ["trajectories_csv", "trajectories_json"]

CSV_HEADER = ("run", "label", "optimizer", "hyperparameters", "step", "x", "y", "loss")


def trajectories_csv(session: Session, trajectories: Sequence[Trajectory]) -> str:
    """One row per run and step; every number at full float64 precision.

    The hyperparameters column holds the run's settings as compact JSON, so that one
    file holds runs of different optimizers.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)

    for index, (run, trajectory) in enumerate(zip(session.runs, trajectories)):
        settings = json.dumps(_plain(run.hyperparameters), separators=(",", ":"))
        title = _inert(run.title())
        for step, (x, y), loss in zip(trajectory.steps.tolist(),
                                      trajectory.positions.tolist(),
                                      trajectory.losses.tolist()):
            writer.writerow((index + 1, title, run.optimizer, settings, step,
                             repr(x), repr(y), repr(loss)))
    return buffer.getvalue()


def trajectories_json(session: Session, trajectories: Sequence[Trajectory]) -> str:
    """The runs with their settings, statuses and columns of steps, x, y and loss."""
    runs = []
    for run, trajectory in zip(session.runs, trajectories):
        runs.append({
            "label": run.title(),
            "optimizer": run.optimizer,
            "hyperparameters": _plain(run.hyperparameters),
            "noise": run.noise,
            "seed": run.seed,
            "status": trajectory.status.describe(),
            "step": trajectory.steps.tolist(),
            "x": trajectory.positions[:, 0].tolist(),
            "y": trajectory.positions[:, 1].tolist(),
            "loss": [v if math.isfinite(v) else None for v in trajectory.losses.tolist()],
        })
    document = {"surface": session.make_surface().describe(),
                "session": session_to_toml(session), "runs": runs}
    return json.dumps(document, indent=1) + "\n"


def _inert(text: str) -> str:
    """A label a spreadsheet shows as text: one starting with = + - @ would be read
    as a formula (``=HYPERLINK(...)``), so it gets a leading apostrophe."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _plain(settings: object) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dict(settings).items()}
