"""Where the files in resources/ are, installed, in a source checkout or frozen."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["resource_path"]


def resource_path(name: str) -> Path:
    """The path of ``resources/<name>``.

    An installed or frozen app finds it as the package ``momentum_desktop.resources``;
    a source checkout, run without installing, finds the folder beside the package.
    """
    try:
        candidate = Path(str(files("momentum_desktop.resources") / name))
    except ModuleNotFoundError:
        candidate = None
    if candidate is not None and candidate.exists():
        return candidate

    return Path(__file__).resolve().parent.parent / "resources" / name
