"""The preset sessions shipped in resources/presets: the lessons, ready to play."""

from __future__ import annotations

from pathlib import Path

from ..data_files import resource_path
from .parameters import ParameterError
from .session import Session
from .session_file import load_session

__all__ = ["PRESETS", "load_preset", "preset_path"]

PRESETS = {
    "valley-gd-vs-momentum": "The valley: gradient descent vs momentum",
    "momentum-too-small": "Momentum too small",
    "momentum-too-large": "Momentum too large",
    "four-momentum-rates": "Four momentum rates side by side",
    "rosenbrock-race": "Rosenbrock race of all optimizers",
    "escaping-a-saddle": "Escaping a saddle",
    "adam-vs-momentum-on-beale": "Adam vs momentum on Beale",
    "stochastic-gradients": "Stochastic gradients",
}
"""Preset names (their file names) and their titles, in menu order."""


def preset_path(name: str) -> Path:
    """The file of preset ``name``; ParameterError names the presets if unknown."""
    if name not in PRESETS:
        raise ParameterError(
            f"unknown preset {name!r}; the presets are: {', '.join(PRESETS)}"
        )
    return resource_path(f"presets/{name}.toml")


def load_preset(name: str) -> Session:
    """Read preset ``name``."""
    return load_session(preset_path(name))
