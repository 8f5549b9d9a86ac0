"""The preset sessions shipped in resources/presets: the lessons, ready to play."""

from __future__ import annotations

from pathlib import Path

from ..data_files import resource_path
from .parameters import ParameterError
from .session import Session
from .session_file import load_session

__all__ = ["LESSONS", "PRESETS", "load_preset", "preset_path"]

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

LESSONS = {
    "valley-gd-vs-momentum": "Same learning rate: gradient descent zig-zags across "
                             "the valley and is still short of the minimum after 60 "
                             "steps; momentum averages the zig-zag away and arrives.",
    "momentum-too-small": "Momentum rate 0.2 barely helps: it creeps along the valley "
                          "like gradient descent while 0.9 reaches the minimum.",
    "momentum-too-large": "Momentum rate 0.99 overshoots: it swings back and forth "
                          "across the minimum long after 0.9 has settled there.",
    "four-momentum-rates": "One learning rate, four momentum rates: 0 and 0.5 are "
                           "slow, 0.9 arrives, 0.99 overshoots.",
    "rosenbrock-race": "Every optimizer down the banana valley: Nesterov and momentum "
                       "reach (1, 1), Adam nearly, RMSProp and AdaGrad lag, gradient "
                       "descent crawls.",
    "escaping-a-saddle": "Started a hair off the ridge: gradient descent lingers at "
                         "the saddle point, momentum speeds up and leaves, Adam leaves "
                         "at a steady pace.",
    "adam-vs-momentum-on-beale": "Momentum's learning rate must suit the steepest "
                                 "wall: 0.01 flies off, 0.003 arrives. Adam's steps are "
                                 "about lr long whatever the gradient: easier to tune, "
                                 "not faster here.",
    "stochastic-gradients": "Noisy gradients, as from minibatches: gradient descent "
                            "jitters, momentum averages much of the noise away; the "
                            "same seed repeats exactly.",
}
"""What each preset shows, in a sentence or two: the menu's tooltips, the status bar
when it opens, and ``list``."""


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
