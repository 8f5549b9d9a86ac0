"""How an animation export is cut: frame rate, steps per frame, size (no Qt here)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .parameters import Parameter, ParameterError

__all__ = ["FPS", "HEIGHT", "MAX_FRAMES", "STEPS_PER_FRAME", "WIDTH", "AnimationSettings"]

FPS = Parameter("fps", "frames per second", 20, 1, 60, integer=True,
                description="How many frames each second of the animation shows.")
STEPS_PER_FRAME = Parameter("steps_per_frame", "steps per frame", 2, 1, 100_000,
                            integer=True, description="Optimizer steps between frames.")
WIDTH = Parameter("width", "width", 960, 64, 3840, integer=True,
                  description="Width of the animation in pixels.")
HEIGHT = Parameter("height", "height", 540, 64, 2160, integer=True,
                   description="Height of the animation in pixels.")
MAX_FRAMES = 5000
"""Longest animation made: more frames than this are refused with a message."""


@dataclass(frozen=True)
class AnimationSettings:
    """How an animation is cut: frame rate, steps per frame and picture size."""

    fps: int = int(FPS.default)
    steps_per_frame: int = int(STEPS_PER_FRAME.default)
    width: int = int(WIDTH.default)
    height: int = int(HEIGHT.default)
    hold_seconds: float = 1.0

    def checked(self) -> AnimationSettings:
        """These settings if every value is allowed, else ParameterError."""
        for parameter in (FPS, STEPS_PER_FRAME, WIDTH, HEIGHT):
            parameter.validate(getattr(self, parameter.name))
        return self

    def check_length(self, steps: int) -> None:
        """Raise ParameterError if ``steps`` steps would make more than MAX_FRAMES."""
        frames = self.frame_count(steps)
        if frames > MAX_FRAMES:
            raise ParameterError(
                f"the animation would have {frames:,} frames; at most {MAX_FRAMES:,}: "
                f"raise the steps per frame to {math.ceil(steps / (MAX_FRAMES - 100))} "
                f"or more"
            )

    def frame_count(self, steps: int) -> int:
        """Frames for ``steps`` steps: step 0, then every steps_per_frame, then a hold."""
        moving = math.ceil(steps / self.steps_per_frame) + 1
        return moving + round(self.hold_seconds * self.fps)
