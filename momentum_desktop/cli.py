"""The command line: ``momentum-desktop`` opens the window; options script it."""

from __future__ import annotations

import argparse
import logging
import math
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__

__all__ = ["build_parser", "main"]

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``momentum-desktop``."""
    parser = argparse.ArgumentParser(
        prog="momentum-desktop",
        description="Watch gradient descent and momentum move on a loss surface.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--screenshot", metavar="OUT.png", type=_picture_path,
        help="play the default scenario to its end, save the window to OUT.png "
             "(or .svg) and exit",
    )
    parser.add_argument(
        "--play", action="store_true", help="start playing as soon as the window opens"
    )
    parser.add_argument(
        "--quit-after", metavar="SECONDS", type=_seconds,
        help="close the window after SECONDS (for smoke tests)",
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0,
        help="log more: -v for runs and files, -vv for everything",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    args = build_parser().parse_args(argv)
    _configure_logging(args.verbose)

    from .gui.app import run_app  # Qt is loaded only when a window is wanted

    return run_app(screenshot=args.screenshot, quit_after=args.quit_after, play=args.play)


def _picture_path(text: str) -> str:
    path = Path(text)
    if path.suffix.lower() not in (".png", ".svg"):
        raise argparse.ArgumentTypeError(
            f"{text!r} must end in .png or .svg"
        )
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(
            f"cannot write {text!r}: the folder {str(path.parent)!r} does not exist"
        )
    return text


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 0; got {text!r}")
    return value


def _configure_logging(verbosity: int) -> None:
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbosity, 2)]
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="momentum-desktop: %(levelname)s: %(name)s: %(message)s")
