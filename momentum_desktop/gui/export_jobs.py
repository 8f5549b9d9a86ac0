"""Exports that need whole trajectories: computed in the background, then written.

The window's own animation may be half played; an export computes the session's runs
from the start in a worker thread of its own, so what it writes is always complete
and consistent, whatever the window shows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from ..core.session import Session
from ..core.simulation import Chunk
from ..core.trajectory import Trajectory
from ..core.animation import FPS, HEIGHT, STEPS_PER_FRAME, WIDTH, AnimationSettings
from .worker import SimulationRunner

__all__ = ["AnimationDialog", "TrajectoryComputation"]

log = logging.getLogger(__name__)


class TrajectoryComputation(QObject):
    """Steps a session's runs to their end in a worker thread; ``done`` brings them."""

    done = Signal(object)
    failed = Signal(str)

    def __init__(self, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.trajectories = [Trajectory() for _ in session.runs]
        self.runner = SimulationRunner(self)
        self.runner.batch_ready.connect(self._on_batch)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(self._fail)

    def start(self) -> None:
        """Begin; returns at once."""
        self.runner.start(self.session.make_surface(), self.session.run_specs(),
                          self.session.steps, float("inf"))

    def stop(self) -> None:
        """Cancel and end the worker thread."""
        self.runner.shutdown()

    def _on_batch(self, chunk: Chunk) -> None:
        for run, trajectory in enumerate(self.trajectories):
            trajectory.append_chunk(chunk, run)

    def _on_finished(self) -> None:
        self.runner.shutdown()
        self.done.emit(self.trajectories)

    def _fail(self, message: str) -> None:
        self.runner.shutdown()
        self.failed.emit(message)


class AnimationDialog(QDialog):
    """Asks for the animation's file, frame rate, steps per frame and size."""

    def __init__(self, folder: str, steps: int,
                 export: Callable[[str, AnimationSettings], bool],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export animation")
        self._export = export

        self.fps = _spin(FPS)
        self.steps_per_frame = _spin(STEPS_PER_FRAME)
        self.steps_per_frame.setValue(max(1, round(steps / 150)))
        self.width_box = _spin(WIDTH, " px")
        self.height_box = _spin(HEIGHT, " px")
        self.path_edit = QLineEdit(str(Path(folder) / "momentum.gif"))
        browse = QPushButton("Browse...")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path_edit)
        row.addWidget(browse)
        self.length = QLabel()
        for box in (self.fps, self.steps_per_frame):
            box.valueChanged.connect(lambda _=0, s=steps: self._show_length(s))
        self._show_length(steps)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("File (.gif or .mp4)", row)
        form.addRow("Frames per second", self.fps)
        form.addRow("Steps per frame", self.steps_per_frame)
        form.addRow("Width", self.width_box)
        form.addRow("Height", self.height_box)
        form.addRow("", self.length)
        form.addRow(buttons)

    @property
    def settings(self) -> AnimationSettings:
        """The settings chosen."""
        return AnimationSettings(self.fps.value(), self.steps_per_frame.value(),
                                 self.width_box.value(), self.height_box.value())

    def accept(self) -> None:
        """Start the export; the dialog stays open if it is refused."""
        if self._export(self.path_edit.text().strip(), self.settings):
            super().accept()

    def _show_length(self, steps: int) -> None:
        frames = self.settings.frame_count(steps)
        self.length.setText(f"{frames} frames, {frames / self.fps.value():.1f} s")

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export animation",
                                              self.path_edit.text(),
                                              "GIF (*.gif);;MP4 video (*.mp4)")
        if path:
            self.path_edit.setText(path)


def _spin(parameter: object, suffix: str = "") -> QSpinBox:
    box = QSpinBox()
    box.setRange(int(parameter.minimum), int(parameter.maximum))
    box.setValue(int(parameter.default))
    box.setSuffix(suffix)
    box.setToolTip(parameter.description)
    return box
