"""A session: the surface, the runs and the playback, the single source of truth."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from .optimizers import OPTIMIZERS, check_hyperparameters
from .parameters import Parameter, ParameterError
from .simulation import RunSpec
from .surfaces import Surface, make_surface

DEFAULT_DOMAIN = (-5.0, 5.0, -5.0, 5.0)
"""Where a custom expression is drawn unless the session says otherwise."""

__all__ = [
    "LAYOUTS",
    "MAX_RUNS",
    "NOISE",
    "RUN_COLORS",
    "SEED",
    "SPEED",
    "STEPS",
    "RunConfig",
    "Session",
    "check_session",
    "default_session",
    "momentum_comparison",
    "suggested_hyperparameters",
]

STEPS = Parameter(
    "steps", "number of steps", 60, 1, 1_000_000, integer=True,
    description="How many optimizer steps each run takes (every point is kept for "
                "export: eight runs of a million steps hold about 450 MB).",
)
SPEED = Parameter(
    "speed", "speed", 30.0, 1.0, 5000.0,
    description="Animation speed in steps per second, or 'max' to play as fast as "
                "it can.",
)

RUN_COLORS = (
    "#ff8c1a", "#ff3d8b", "#ffffff", "#ff2e2e",
    "#c77dff", "#a0ff4d", "#ff9e80", "#b0b0b0",
)
"""One colour per run slot, chosen to stand out on the viridis contour map; none
is the cyan or the yellow of the gradient and velocity arrows."""


@dataclass(frozen=True)
class RunConfig:
    """One run: an optimizer with its hyperparameters, and how it is shown.

    ``start`` of None means the session's shared start. ``noise`` is the standard
    deviation of Gaussian noise added to each gradient component, seeded by ``seed``.
    """

    optimizer: str
    hyperparameters: Mapping[str, object] = field(default_factory=dict)
    label: str = ""
    color: str = ""
    start: tuple[float, float] | None = None
    noise: float = 0.0
    seed: int = 0

    def title(self) -> str:
        """The label, or one made from the optimizer and its hyperparameters."""
        if self.label:
            return self.label
        cls = OPTIMIZERS[self.optimizer]
        settings = check_hyperparameters(self.optimizer, self.hyperparameters)
        always = _ALWAYS_SHOWN.get(self.optimizer, ("lr",))
        shown = [
            _describe(p.name, settings[p.name]) for p in cls.hyperparameters
            if p.name in always or settings[p.name] != p.default
        ]
        if self.noise > 0:
            shown.append(f"noise={self.noise:g}")
        return f"{cls.title} ({', '.join(s for s in shown if s)})"


_ALWAYS_SHOWN = {"momentum": ("lr", "momentum"), "nesterov": ("lr", "momentum")}
"""Settings named in a run's title even at their defaults; others only when changed."""
_SYMBOLS = {"momentum": "beta", "weight_decay": "wd"}


def _describe(name: str, value: object) -> str:
    """``lr=0.01``, ``betas=(0.9, 0.99)``, ``nesterov``; empty for a flag that is off."""
    if isinstance(value, bool):
        return name if value else ""
    if isinstance(value, tuple):
        return f"{name}=({', '.join(f'{v:g}' for v in value)})"
    return f"{_SYMBOLS.get(name, name)}={value:g}"


NOISE = Parameter(
    "noise", "gradient noise", 0.0, 0.0, 1e6,
    description="Standard deviation of Gaussian noise added to each gradient "
                "component: 0 for exact gradients.",
)
SEED = Parameter(
    "seed", "noise seed", 0, 0, 2**32 - 1, integer=True,
    description="Seed of the noise, so that a stochastic run repeats exactly.",
)
LAYOUTS = ("side_by_side", "overlay")
"""One pane per run, views linked; or every run in one pane with a legend."""

MAX_RUNS = 8


@dataclass(frozen=True)
class Session:
    """Everything that decides what the panes show.

    ``surface`` is a key of ``SURFACES`` or ``"expression"``, in which case
    ``expression`` and ``domain`` (x min, x max, y min, y max) say what to draw.
    ``start`` of None means the surface's default start. ``speed`` is in steps per
    second; ``math.inf`` plays as fast as the machine allows. ``view`` is the part of
    the plane the panes show (x min, x max, y min, y max); None frames the domain.
    """

    surface: str = "valley"
    surface_params: Mapping[str, float] = field(default_factory=dict)
    expression: str = ""
    domain: tuple[float, float, float, float] | None = None
    start: tuple[float, float] | None = None
    runs: tuple[RunConfig, ...] = ()
    steps: int = int(STEPS.default)
    speed: float = SPEED.default
    layout: str = "side_by_side"
    view: tuple[float, float, float, float] | None = None

    def make_surface(self) -> Surface:
        """Build the surface this session shows."""
        if self.surface == "expression":
            from .expressions import ExpressionSurface  # loads sympy only when needed

            return ExpressionSurface(self.expression, self.domain or DEFAULT_DOMAIN)
        return make_surface(self.surface, **self.surface_params)

    def start_point(self) -> tuple[float, float]:
        """The start every run shares unless it has its own."""
        return self.start if self.start is not None else self.make_surface().default_start

    def run_specs(self) -> list[RunSpec]:
        """What the simulation needs for each run."""
        shared = self.start_point()
        return [
            RunSpec(r.optimizer, dict(r.hyperparameters), r.start or shared,
                    r.noise, r.seed)
            for r in self.runs
        ]

    def color_of(self, index: int) -> str:
        """The colour run ``index`` is drawn in."""
        return self.runs[index].color or RUN_COLORS[index % len(RUN_COLORS)]

    def edited(self, **changes: object) -> Session:
        """A validated copy with ``changes``; raises ParameterError and changes nothing."""
        return check_session(replace(self, **changes))

    def with_run(self, index: int, **changes: object) -> Session:
        """A validated copy in which run ``index`` has ``changes``."""
        runs = list(self.runs)
        runs[index] = replace(runs[index], **changes)
        return self.edited(runs=tuple(runs))


def check_session(session: Session) -> Session:
    """Return the session if every part of it is allowed, else raise ParameterError."""
    surface = session.make_surface()
    if session.start is not None:
        surface.check_start(*session.start)

    if not 1 <= len(session.runs) <= MAX_RUNS:
        raise ParameterError(
            f"a session holds 1 to {MAX_RUNS} runs; got {len(session.runs)}"
        )
    for run in session.runs:
        _check_run(run, surface)

    STEPS.validate(session.steps)
    if session.speed != math.inf:
        SPEED.validate(session.speed)
    if session.view is not None:
        _check_view(session.view)
    if session.layout not in LAYOUTS:
        raise ParameterError(
            f"layout must be one of {', '.join(LAYOUTS)}; got {session.layout!r}"
        )
    return session


def _check_view(view: tuple) -> None:
    try:
        x_min, x_max, y_min, y_max = (float(v) for v in view)
    except (TypeError, ValueError):
        raise ParameterError("a view is four numbers: x min, x max, y min, y max") \
            from None
    if not all(math.isfinite(v) for v in (x_min, x_max, y_min, y_max)) \
            or not (x_min < x_max and y_min < y_max):
        raise ParameterError("a view must be finite, with x min < x max and "
                             "y min < y max")


def _check_run(run: RunConfig, surface: Surface) -> None:
    check_hyperparameters(run.optimizer, run.hyperparameters)
    if run.start is not None:
        surface.check_start(*run.start)
    NOISE.validate(run.noise)
    SEED.validate(run.seed)

    if not isinstance(run.label, str) or len(run.label) > 80:
        raise ParameterError("a run's label must be text of at most 80 characters")
    if run.color and not _is_color(run.color):
        raise ParameterError(
            f"a run's colour must be written #rrggbb, like #ff8c1a; got {run.color!r}"
        )


def _is_color(text: str) -> bool:
    hex_digits = set("0123456789abcdefABCDEF")
    return (isinstance(text, str) and len(text) == 7 and text[0] == "#"
            and set(text[1:]) <= hex_digits)


def suggested_hyperparameters(surface: Surface, optimizer: str) -> dict[str, object]:
    """Hyperparameters that make a good first animation of ``optimizer`` on ``surface``.

    The SGD family takes the surface's learning rate; the adaptive optimizers, whose
    steps are about lr long whatever the gradient, take a hundredth of the domain.
    """
    if optimizer in ("gd", "momentum", "nesterov"):
        return {"lr": surface.default_learning_rate}
    step = surface.domain.span / 100
    return {"lr": float(f"{step * (10 if optimizer == 'adagrad' else 1):.2g}")}


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


COMPARISON_RATES = (
    (0.0, "beta = 0: plain gradient descent"),
    (0.5, "beta = 0.5: too small, slow"),
    (0.9, "beta = 0.9: about right"),
    (0.99, "beta = 0.99: too large, overshoots"),
)
"""The momentum rates of the classic comparison, and what each one shows."""


def momentum_comparison() -> Session:
    """Four momentum rates on the valley, the classic lesson in one picture.

    With lr 0.004 for 150 steps: beta 0 and 0.5 are slow and still far from the
    minimum, 0.9 reaches it, 0.99 overshoots and swings back and forth across it.
    """
    return Session(
        surface="valley",
        runs=tuple(RunConfig("momentum", {"lr": 0.004, "momentum": rate}, label=label)
                   for rate, label in COMPARISON_RATES),
        steps=150,
        speed=60.0,
        layout="side_by_side",
    )
