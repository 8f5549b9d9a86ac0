"""A session: the surface, the runs and the playback, the single source of truth."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from .optimizers import OPTIMIZERS, check_hyperparameters
from .parameters import Parameter, ParameterError
from .simulation import RunSpec
from .surfaces import Surface, make_surface

__all__ = [
    "RUN_COLORS",
    "SPEED",
    "STEPS",
    "RunConfig",
    "Session",
    "check_session",
    "default_session",
]

STEPS = Parameter(
    "steps", "number of steps", 60, 1, 10_000_000, integer=True,
    description="How many optimizer steps each run takes.",
)
SPEED = Parameter(
    "speed", "speed", 30.0, 0.0, math.inf, min_inclusive=False,
    description="Animation speed in steps per second; 'max' plays as fast as it can.",
)

RUN_COLORS = (
    "#ff8c1a", "#ff3d8b", "#ffffff", "#ff2e2e",
    "#c77dff", "#ffd60a", "#00e5ff", "#a0ff4d",
)
"""One colour per run slot, chosen to stand out on the viridis contour map."""


@dataclass(frozen=True)
class RunConfig:
    """One run: an optimizer with its hyperparameters, and how it is shown."""

    optimizer: str
    hyperparameters: Mapping[str, float] = field(default_factory=dict)
    label: str = ""
    color: str = ""

    def title(self) -> str:
        """The label, or one made from the optimizer and its hyperparameters."""
        if self.label:
            return self.label
        cls = OPTIMIZERS[self.optimizer]
        settings = check_hyperparameters(self.optimizer, self.hyperparameters)
        shown = [
            _describe(p.name, settings[p.name]) for p in cls.hyperparameters
            if p.name in _ALWAYS_SHOWN or settings[p.name] != p.default
        ]
        return f"{cls.title} ({', '.join(s for s in shown if s)})"


_ALWAYS_SHOWN = ("lr", "momentum")
_SYMBOLS = {"momentum": "beta", "weight_decay": "wd"}


def _describe(name: str, value: object) -> str:
    """``lr=0.01``, ``betas=(0.9, 0.99)``, ``nesterov``; empty for a flag that is off."""
    if isinstance(value, bool):
        return name if value else ""
    if isinstance(value, tuple):
        return f"{name}=({', '.join(f'{v:g}' for v in value)})"
    return f"{_SYMBOLS.get(name, name)}={value:g}"


@dataclass(frozen=True)
class Session:
    """Everything that decides what the panes show.

    ``start`` of None means the surface's default start. ``speed`` is in steps per
    second; ``math.inf`` plays as fast as the machine allows.
    """

    surface: str = "valley"
    surface_params: Mapping[str, float] = field(default_factory=dict)
    start: tuple[float, float] | None = None
    runs: tuple[RunConfig, ...] = ()
    steps: int = int(STEPS.default)
    speed: float = SPEED.default

    def make_surface(self) -> Surface:
        """Build the surface this session shows."""
        return make_surface(self.surface, **self.surface_params)

    def start_point(self) -> tuple[float, float]:
        """The start every run shares."""
        return self.start if self.start is not None else self.make_surface().default_start

    def run_specs(self) -> list[RunSpec]:
        """What the simulation needs for each run."""
        start = self.start_point()
        return [RunSpec(r.optimizer, dict(r.hyperparameters), start) for r in self.runs]

    def color_of(self, index: int) -> str:
        """The colour run ``index`` is drawn in."""
        return self.runs[index].color or RUN_COLORS[index % len(RUN_COLORS)]

    def edited(self, **changes: object) -> Session:
        """A validated copy with ``changes``; raises ParameterError and changes nothing."""
        return check_session(replace(self, **changes))


def check_session(session: Session) -> Session:
    """Return the session if every part of it is allowed, else raise ParameterError."""
    surface = session.make_surface()
    if session.start is not None:
        surface.check_start(*session.start)

    if not 1 <= len(session.runs) <= 8:
        raise ParameterError(f"a session holds 1 to 8 runs; got {len(session.runs)}")
    for run in session.runs:
        check_hyperparameters(run.optimizer, run.hyperparameters)

    STEPS.validate(session.steps)
    if session.speed != math.inf:
        SPEED.validate(session.speed)
    return session


def default_session() -> Session:
    """The first thing a user sees: GD and momentum on an elongated valley.

    With the same learning rate, gradient descent zig-zags across the valley and is
    still about a tenth of the way from the minimum after 60 steps; momentum 0.7
    damps the zig-zag and is within 1e-4 of it.
    """
    lr = 0.036
    return Session(
        surface="valley",
        runs=(
            RunConfig("gd", {"lr": lr}),
            RunConfig("momentum", {"lr": lr, "momentum": 0.7}),
        ),
        steps=60,
        speed=30.0,
    )
