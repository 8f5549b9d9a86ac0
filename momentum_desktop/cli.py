"""The command line: no sub-command opens the window; ``run`` and ``list`` work headless."""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import math
import os
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from . import __version__
from .core.animation import FPS, HEIGHT, STEPS_PER_FRAME, WIDTH, AnimationSettings
from .core.files import check_output_path, write_atomically
from .core.optimizers import OPTIMIZERS, check_hyperparameters
from .core.parameters import Parameter, ParameterError
from .core.presets import LESSONS, PRESETS, load_preset
from .core.session import NOISE, SEED, STEPS, Session, default_session
from .core.session_file import load_session
from .core.simulation import RunSpec
from .core.surfaces import SURFACES, Surface, make_surface
from .core.trajectory import Trajectory, record

__all__ = ["build_parser", "main"]

log = logging.getLogger(__name__)

IMAGE_WIDTH = Parameter("width", "picture width", 1600, 16, 7680, integer=True)

HYPERPARAMETERS: dict[str, Parameter] = {
    p.name: p for cls in OPTIMIZERS.values() for p in cls.hyperparameters
}
"""Every optimizer's hyperparameters by name; each becomes a ``run`` option."""


class UsageError(Exception):
    """A command-line argument was refused; the message is the one line shown."""


NEGATIVE_EXAMPLES = {"--start": "--start=-1.5,2", "--domain": "--domain=-1,1,-1,1"}
"""How to write a negative value for the flags that take several numbers."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line: what is wrong, then exit 2."""

    def error(self, message: str) -> NoReturn:
        if message.endswith("expected one argument"):
            flag = message.removeprefix("argument ").split(":")[0].split("/")[-1]
            example = NEGATIVE_EXAMPLES.get(flag, f"{flag}=-1")
            message += f"; a value that starts with '-' needs '=', as in {example}"
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``momentum-desktop``."""
    parser = _Parser(
        prog="momentum-desktop",
        description="Watch gradient descent and momentum move on a loss surface. "
                    "`momentum-desktop [SESSION_OR_PRESET]` opens the window; these "
                    "commands work without one.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="log more: -v for runs and files, -vv for everything")

    commands = parser.add_subparsers(dest="command", metavar="COMMAND",
                                     parser_class=_Parser)
    _add_run_command(commands)
    listing = commands.add_parser("list", help="list the surfaces, optimizers and presets",
                                  description="List the surfaces, optimizers and presets.")
    listing.add_argument("--json", action="store_true", help="print JSON for machines")
    _add_export_command(commands)
    return parser


# ----- export ------------------------------------------------------------------------

EXPORT_KINDS = ("png", "svg", "gif", "mp4", "csv", "json")


def _add_export_command(commands: argparse._SubParsersAction) -> None:
    export = commands.add_parser(
        "export", help="write pictures, animations and data of a session, headless",
        description="Play a session or preset to its end without a window and write "
                    "the files asked for. Pictures are the canvas, as File > Export "
                    "image makes it.",
    )
    export.add_argument("session", nargs="?", metavar="SESSION_OR_PRESET",
                        help="a session file or a preset's name (default: the first "
                             "lesson)")
    for kind in EXPORT_KINDS:
        export.add_argument(f"--{kind}", metavar="FILE",
                            help=f"write a {kind.upper()} file")
    export.add_argument("--width", metavar="PIXELS", default="1600",
                        help="width of PNG and SVG pictures (default 1600)")
    export.add_argument("--steps", metavar="N", help="steps per run (default: the "
                                                     "session's)")
    export.add_argument("--fps", metavar="N", default=str(FPS.default),
                        help="animation frames per second")
    export.add_argument("--steps-per-frame", metavar="N",
                        help="optimizer steps between animation frames (default: "
                             "about 150 frames in all)")
    export.add_argument("--size", metavar="WxH", default="960x540",
                        help="animation size in pixels (default 960x540)")


def _export(args: argparse.Namespace) -> int:
    session = default_session() if args.session is None else \
        _session_argument(args.session)[0]
    if args.steps is not None:
        session = _replace_session(session, steps=_checked(STEPS, args.steps, "--steps"))

    outputs = {kind: _export_path(getattr(args, kind), kind)
               for kind in EXPORT_KINDS if getattr(args, kind)}
    if not outputs:
        raise UsageError("say what to write: one or more of "
                         + ", ".join(f"--{k} FILE" for k in EXPORT_KINDS))
    width = _checked(IMAGE_WIDTH, args.width, "--width")
    animation = _animation_settings(args, session.steps)
    if "gif" in outputs or "mp4" in outputs:
        try:
            animation.check_length(session.steps)
        except ParameterError as error:
            raise UsageError(f"--steps-per-frame: {error}") from None

    from .gui.export import ExportError
    from .gui.headless import export_session  # Qt is loaded only to draw

    try:
        for path in export_session(session, outputs, width, animation):
            print(f"wrote {path}", file=sys.stderr)
    except (ExportError, OSError, RuntimeError) as error:  # a full disk, say
        reason = getattr(error, "strerror", None) or error
        raise UsageError(f"cannot write the files: {reason}") from None
    return 0


def _export_path(text: str, kind: str) -> Path:
    try:
        return check_output_path(text, (f".{kind}",))
    except ParameterError as error:
        raise UsageError(f"--{kind}: {error}") from None


def _animation_settings(args: argparse.Namespace, steps: int) -> AnimationSettings:
    width, x, height = args.size.lower().partition("x")
    if not x:
        raise UsageError(f"--size takes WIDTHxHEIGHT in pixels, as in 960x540; got "
                         f"{args.size!r}")
    per_frame = args.steps_per_frame or str(max(1, round(steps / 150)))
    return AnimationSettings(
        fps=_checked(FPS, args.fps, "--fps"),
        steps_per_frame=_checked(STEPS_PER_FRAME, per_frame, "--steps-per-frame"),
        width=_checked(WIDTH, width, "--size (width)"),
        height=_checked(HEIGHT, height, "--size (height)"),
    )


COMMANDS = ("run", "list", "export")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    words = [a for a in argv if not a.startswith("-")]
    if words and words[0] in COMMANDS:
        parser = build_parser()
    else:
        parser = build_window_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)

    try:
        return _command(args, parser)
    except _OutputGone as gone:
        # Nothing more can reach standard output; let Python's exit not try either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        if not isinstance(gone.__cause__, BrokenPipeError):  # `| head` just stopped
            print(f"momentum-desktop: error: cannot write to standard output: "
                  f"{gone.__cause__.strerror or gone.__cause__}", file=sys.stderr)
        return 1


class _OutputGone(Exception):
    """Standard output refused what was written: a closed pipe, a full disk."""


def _write_out(text: str) -> None:
    """Write ``text`` to standard output now, or raise _OutputGone."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as error:
        raise _OutputGone() from error


def _command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "list":
            return _list(args.json)
        if args.command == "export":
            return _export(args)
        return _open_window(args, parser)
    except UsageError as error:
        command = f" {args.command}" if args.command else ""
        parser.exit(2, f"momentum-desktop{command}: error: {error}\n")


def build_window_parser() -> argparse.ArgumentParser:
    """The parser for ``momentum-desktop [SESSION_OR_PRESET] [window options]``."""
    parser = _Parser(
        prog="momentum-desktop",
        description="Watch gradient descent and momentum move on a loss surface. "
                    "Opens the window; `momentum-desktop run`, `list` and `export` "
                    "work without one (see `momentum-desktop run --help`).",
    )
    parser.add_argument("session", nargs="?", metavar="SESSION_OR_PRESET",
                        help="a session file (.toml, or a PNG this app exported) or a "
                             "preset's name (see `list`); default: the last session")
    _add_window_options(parser)
    parser.set_defaults(command=None)
    return parser


def _add_window_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--screenshot", metavar="OUT.png", type=_picture_path,
        help="play the session (by default the first lesson) to its end, save the "
             "window to OUT.png (or .svg) and exit",
    )
    parser.add_argument("--play", action="store_true",
                        help="start playing as soon as the window opens")
    parser.add_argument("--quit-after", metavar="SECONDS", type=_seconds,
                        help="close the window after SECONDS (for smoke tests)")
    parser.add_argument("--check-menus", action="store_true",
                        help="open pyqtgraph's context menus and export dialog, then "
                             "exit 0 if they work (a smoke test of a frozen build)")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="log more: -v for runs and files, -vv for everything")


def _open_window(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.screenshot and args.quit_after is not None:
        parser.error("--screenshot quits by itself when the picture is saved; "
                     "leave out --quit-after")
    if args.screenshot and args.check_menus:
        parser.error("--screenshot and --check-menus each quit when done; give one")
    session, path = (None, None)
    if args.session is not None:
        session, path = _session_argument(args.session)

    if not _has_display():
        if args.screenshot or args.check_menus:
            os.environ["QT_QPA_PLATFORM"] = "offscreen"  # a picture needs no screen
        else:
            raise UsageError(
                "no display to open the window on (DISPLAY and WAYLAND_DISPLAY are "
                "not set): run it on a desktop or under xvfb-run; --screenshot and "
                "`momentum-desktop export` work without one")

    from .gui.app import run_app  # Qt is loaded only when a window is wanted

    return run_app(screenshot=args.screenshot, quit_after=args.quit_after,
                   play=args.play, session=session, session_path=path,
                   check_menus=args.check_menus)


def _has_display() -> bool:
    """Whether Qt can open a window: a platform chosen, a display, or not Linux."""
    if os.environ.get("QT_QPA_PLATFORM") or not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _session_argument(text: str) -> tuple[Session, str | None]:
    """A preset's name or a session file, or UsageError saying which it is not."""
    if text in PRESETS:
        return load_preset(text), None
    if not text.strip():
        raise UsageError(f"an empty name is neither a session file nor a preset; the "
                         f"presets are {', '.join(PRESETS)}")
    if not Path(text).exists():
        raise UsageError(f"{text!r} is neither a session file nor a preset; the presets "
                         f"are {', '.join(PRESETS)}")
    try:
        return load_session(text), str(Path(text).resolve())
    except ParameterError as error:
        raise UsageError(str(error)) from None


# ----- run ---------------------------------------------------------------------------

def _add_run_command(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser(
        "run", help="compute one trajectory and write it as CSV or JSON",
        description="Compute one run's trajectory without opening a window. CSV has "
                    "the header step,x,y,loss; step 0 is the start. The run's final "
                    "status goes to standard error.",
    )
    where = run.add_mutually_exclusive_group()
    where.add_argument("--surface", choices=list(SURFACES), default="valley",
                       help="a surface from `list` (default: valley)")
    where.add_argument("--expression", metavar="TEXT",
                       help="a custom surface in x and y, e.g. 'x**2 + 10*sin(y)'")
    run.add_argument("--domain", metavar="XMIN,XMAX,YMIN,YMAX",
                     help="with --expression: where it is defined for starts "
                          "(default -5,5,-5,5)")
    run.add_argument("--surface-param", metavar="NAME=VALUE", action="append",
                     default=[], help="a surface parameter; repeat for more")
    run.add_argument("--optimizer", choices=list(OPTIMIZERS), default="gd",
                     help="the update rule (default: gd)")
    run.add_argument("--start", metavar="X,Y", help="start point (default: the "
                     "surface's suggested start); write --start=-1.5,2 when X is "
                     "negative")
    run.add_argument("--steps", metavar="N", default="100",
                     help="optimizer steps (default 100)")
    run.add_argument("--noise", metavar="STD", default="0",
                     help="standard deviation of Gaussian gradient noise (default 0)")
    run.add_argument("--seed", metavar="N", default="0", help="noise seed (default 0)")
    run.add_argument("--format", choices=("csv", "json"), default="csv")
    run.add_argument("--output", metavar="FILE",
                     help="write here instead of standard output")

    group = run.add_argument_group("hyperparameters (as torch.optim names them; "
                                   "each applies to the optimizers that have it)")
    for name, parameter in HYPERPARAMETERS.items():
        flag = "--" + name.replace("_", "-")
        if parameter.kind == "flag":
            group.add_argument(flag, dest=f"hp_{name}", action="store_true",
                               default=None, help=parameter.description)
        else:
            metavar = "B1,B2" if parameter.kind == "pair" else "VALUE"
            group.add_argument(flag, dest=f"hp_{name}", metavar=metavar,
                               help=parameter.description)


def _run(args: argparse.Namespace) -> int:
    surface = _surface(args)
    spec = RunSpec(
        optimizer=args.optimizer,
        hyperparameters=_hyperparameters(args),
        start=_start(args.start, surface),
        noise=_checked(NOISE, args.noise, "--noise"),
        seed=_checked(SEED, args.seed, "--seed"),
    )
    steps = _checked(STEPS, args.steps, "--steps")
    output = _output_path(args.output)

    log.info("run: %s with %s for %d steps", surface.describe(), spec.optimizer, steps)
    (trajectory,) = record(surface, [spec], steps)
    text = _format_trajectory(trajectory, args.format, surface, spec)

    if output is None:
        _write_out(text)
    else:
        try:
            write_atomically(output, text)
        except OSError as error:
            raise UsageError(f"--output: cannot write {output}: "
                             f"{error.strerror or error}") from None
        log.info("wrote %s", output)
    print(f"{spec.optimizer}: {trajectory.status.describe()}", file=sys.stderr)
    return 0


def _replace_session(session: Session, **changes: object) -> Session:
    try:
        return session.edited(**changes)
    except ParameterError as error:
        raise UsageError(str(error)) from None


def _surface(args: argparse.Namespace) -> Surface:
    try:
        if args.expression is not None:
            if args.surface_param:
                raise UsageError("--surface-param goes with --surface, not --expression")
            from .core.expressions import ExpressionSurface

            domain = _numbers(args.domain, 4, "--domain") if args.domain else (
                -5.0, 5.0, -5.0, 5.0)
            return ExpressionSurface(args.expression, domain)

        if args.domain:
            raise UsageError("--domain goes with --expression; a listed surface has "
                             "its own")
        return make_surface(args.surface, **_surface_params(args.surface_param))
    except ParameterError as error:
        raise UsageError(str(error)) from None


def _surface_params(items: list[str]) -> dict[str, float]:
    params = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--surface-param takes NAME=VALUE; got {item!r}")
        try:
            params[name.strip()] = float(value)
        except ValueError:
            raise UsageError(
                f"--surface-param {name.strip()} must be a number; got {value!r}"
            ) from None
    return params


def _hyperparameters(args: argparse.Namespace) -> dict[str, object]:
    accepted = {p.name: p for p in OPTIMIZERS[args.optimizer].hyperparameters}
    given = {name: getattr(args, f"hp_{name}") for name in HYPERPARAMETERS
             if getattr(args, f"hp_{name}") is not None}

    settings: dict[str, object] = {}
    for name, raw in given.items():
        flag = "--" + name.replace("_", "-")
        if name not in accepted:
            allowed = ", ".join("--" + n.replace("_", "-") for n in accepted)
            raise UsageError(f"{flag} does not apply to {args.optimizer}; it takes "
                             f"{allowed}")
        settings[name] = raw if isinstance(raw, bool) else _checked(accepted[name], raw,
                                                                    flag)
    try:
        return check_hyperparameters(args.optimizer, settings)
    except ParameterError as error:
        raise UsageError(str(error)) from None


def _start(text: str | None, surface: Surface) -> tuple[float, float]:
    if text is None:
        return surface.default_start
    x, y = _numbers(text, 2, "--start")
    try:
        return surface.check_start(x, y)
    except ParameterError as error:
        raise UsageError(str(error)) from None


def _numbers(text: str, count: int, flag: str) -> tuple[float, ...]:
    parts = text.split(",")
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) != count or not all(math.isfinite(v) for v in values):
        raise UsageError(f"{flag} takes {count} finite numbers separated by commas; "
                         f"got {text!r}")
    return values


def _checked(parameter: Parameter, text: str, flag: str) -> object:
    try:
        return parameter.parse(text)
    except ParameterError as error:
        raise UsageError(f"{flag}: {error}") from None


def _output_path(text: str | None) -> Path | None:
    if text is None or text in ("-", "/dev/stdout"):
        return None  # standard output, as without --output
    try:
        return check_output_path(text, None)
    except ParameterError as error:
        raise UsageError(f"--output: {error}") from None


def _format_trajectory(trajectory: Trajectory, form: str, surface: Surface,
                       spec: RunSpec) -> str:
    rows = zip(trajectory.steps.tolist(), trajectory.positions[:, 0].tolist(),
               trajectory.positions[:, 1].tolist(), trajectory.losses.tolist())
    if form == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["step", "x", "y", "loss"])
        writer.writerows((step, repr(x), repr(y), repr(loss)) for step, x, y, loss in rows)
        return buffer.getvalue()

    document = {
        "surface": surface.describe(),
        "optimizer": spec.optimizer,
        "hyperparameters": dict(spec.hyperparameters),
        "start": list(spec.start),
        "noise": spec.noise,
        "seed": spec.seed,
        "status": trajectory.status.describe(),
        "trajectory": [
            {"step": step, "x": x, "y": y, "loss": loss if math.isfinite(loss) else None}
            for step, x, y, loss in rows
        ],
    }
    return json.dumps(document, indent=1) + "\n"


# ----- list --------------------------------------------------------------------------

def _list(as_json: bool) -> int:
    catalogue = {
        "surfaces": [_surface_entry(cls()) for cls in SURFACES.values()],
        "optimizers": [_optimizer_entry(cls) for cls in OPTIMIZERS.values()],
        "presets": [{"name": name, "title": title, "lesson": LESSONS[name]}
                    for name, title in PRESETS.items()],
    }
    if as_json:
        _write_out(json.dumps(catalogue, indent=1) + "\n")
        return 0

    lines: list[str] = []
    say = lines.append  # gathered, then written at once

    say("Surfaces (--surface NAME, parameters with --surface-param NAME=VALUE):")
    for entry in catalogue["surfaces"]:
        say(f"  {entry['name']:18} {entry['title']}: {entry['formula']}")
        say(f"  {'':18} domain {entry['domain_text']}; start {entry['start']}; "
              f"suggested lr {entry['learning_rate']:g}")
        for minimum in entry["minima"]:
            say(f"  {'':18} minimum f({minimum['x']:.6g}, {minimum['y']:.6g}) = "
                  f"{minimum['value']:.6g}")
        for p in entry["parameters"]:
            say(f"  {'':18} parameter {p['name']} = {p['default']:g} ({p['allowed']})")
    say("")
    say("Optimizers (--optimizer NAME):")
    for entry in catalogue["optimizers"]:
        say(f"  {entry['name']:18} {entry['title']}: {entry['rule']}")
        for p in entry["hyperparameters"]:
            flag = "--" + p["name"].replace("_", "-")
            if isinstance(p["default"], bool):
                state = "on" if p["default"] else "off"
                say(f"  {'':18} {flag} (a flag, {state} unless given)")
                continue
            default = ",".join(f"{v:g}" for v in p["default"]) \
                if isinstance(p["default"], list) else f"{p['default']:g}"
            say(f"  {'':18} {flag} default {default} ({p['allowed']})")
    say("")
    say("Presets (momentum-desktop NAME, or momentum-desktop export NAME ...):")
    for entry in catalogue["presets"]:
        say(f"  {entry['name']:26} {entry['title']}")
        for line in textwrap.wrap(entry["lesson"], 60):
            say(f"  {'':26} {line}")
    _write_out("\n".join(lines) + "\n")
    return 0


def _surface_entry(surface: Surface) -> dict:
    d = surface.domain
    return {
        "name": surface.key,
        "title": surface.title,
        "formula": surface.formula,
        "domain": {"x_min": d.x_min, "x_max": d.x_max, "y_min": d.y_min, "y_max": d.y_max},
        "domain_text": d.describe(),
        "minima": [{"x": m.x, "y": m.y, "value": m.value} for m in surface.minima],
        "start": list(surface.default_start),
        "learning_rate": surface.default_learning_rate,
        "parameters": [_parameter_entry(p) for p in surface.parameters],
    }


def _optimizer_entry(cls: type) -> dict:
    return {
        "name": cls.key,
        "title": cls.title,
        "rule": cls.summary,
        "hyperparameters": [_parameter_entry(p) for p in cls.hyperparameters],
    }


def _parameter_entry(parameter: Parameter) -> dict:
    default = parameter.default
    return {
        "name": parameter.name,
        "default": list(default) if isinstance(default, tuple) else default,
        "allowed": parameter.allowed(),
        "description": parameter.description,
    }


# ----- window options ----------------------------------------------------------------

def _picture_path(text: str) -> str:
    path = Path(text)
    if "\0" in text or len(path.name.encode()) > 255:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a usable file name")
    if path.suffix.lower() not in (".png", ".svg"):
        raise argparse.ArgumentTypeError(f"{text!r} must end in .png or .svg")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(
            f"cannot write {text!r}: the folder {str(path.parent)!r} does not exist"
        )
    if path.is_dir() or not os.access(path.parent, os.W_OK) \
            or str(path.resolve()).startswith(("/proc/", "/sys/")):
        raise argparse.ArgumentTypeError(f"cannot write {text!r} there")
    return text


MAX_QUIT_AFTER = 86_400.0
"""A day: Qt's timers cannot wait much longer than 24 days, and no test needs more."""


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not 0 <= value <= MAX_QUIT_AFTER:
        raise argparse.ArgumentTypeError(
            f"must be a number of seconds from 0 to {MAX_QUIT_AFTER:g}; got {text!r}"
        )
    return value


def _configure_logging(verbosity: int) -> None:
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbosity, 2)]
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="momentum-desktop: %(levelname)s: %(name)s: %(message)s")
