"""The background thread that steps the runs and paces them for the animation."""

from __future__ import annotations

import logging
import math
import sys
import threading
import time
from collections.abc import Sequence

from PySide6.QtCore import QObject, QThread, Signal, Slot

from ..core.simulation import Chunk, RunSpec, merge_chunks, simulate
from ..core.surfaces import Surface

__all__ = ["SimulationRunner", "SimulationWorker"]

log = logging.getLogger(__name__)

FRAME_SECONDS = 1.0 / 60.0
"""Batches are merged so that at most one reaches the GUI per frame."""

MAX_CHUNK_STEPS = 16
"""Largest chunk the worker asks for: a few milliseconds of stepping, so that a batch
is ready for every frame and a cancel is noticed at once."""

DRAW_WAIT_SECONDS = 0.1
"""Longest the worker waits for a batch to be drawn (a hidden window draws nothing)."""

GIL_SWITCH_SECONDS = 0.0005
"""How often Python offers the GIL to the other thread while both want it."""

STOPPED = -1
"""The generation that no run has: setting it stops whatever runs."""


class SimulationWorker(QObject):
    """Drives the core's simulation generator inside a QThread.

    The GUI thread talks to it only through queued signals and three plain
    attributes it may set at any time: the wanted generation, the pause flag and a
    wake-up event. A run whose generation is no longer wanted stops between chunks.
    """

    batch_ready = Signal(int, object)
    run_finished = Signal(int)
    run_failed = Signal(int, str)

    def __init__(self) -> None:
        super().__init__()
        self.wanted_generation = STOPPED
        self.paused = False
        self.wake = threading.Event()
        self.drawn = threading.Event()

    @Slot(int, object, object, int, float)
    def run(self, generation: int, surface: Surface, specs: Sequence[RunSpec],
            steps: int, speed: float) -> None:
        """Stream one simulation, paced to ``speed`` steps per second."""
        self.wake.clear()
        if generation != self.wanted_generation:
            return

        log.info("run %d started: %d runs, %d steps, speed %s", generation,
                 len(specs), steps, speed)
        try:
            finished = self._stream(generation, surface, specs, steps, speed)
        except Exception as error:  # a bug in a surface or an optimizer
            log.exception("run %d failed", generation)
            self.run_failed.emit(generation, f"{type(error).__name__}: {error}")
            return

        if finished:
            log.info("run %d finished", generation)
            self.run_finished.emit(generation)
        else:
            log.info("run %d cancelled", generation)

    def _stream(self, generation: int, surface: Surface, specs: Sequence[RunSpec],
                steps: int, speed: float) -> bool:
        chunk_steps = MAX_CHUNK_STEPS if math.isinf(speed) else int(
            min(MAX_CHUNK_STEPS, max(1, speed * FRAME_SECONDS / 2))
        )
        clock = _PlaybackClock(speed)
        pending: list[Chunk] = []
        last_emit = next_emit = -math.inf

        for chunk in simulate(surface, specs, steps, chunk_steps):
            pending.append(chunk)
            last_step = chunk.first_step + chunk.positions.shape[1] - 1
            if not self._wait_until(generation, clock, last_step):
                return False

            now = time.monotonic()
            if now >= next_emit:
                # Frames on a fixed 60 Hz grid: a late batch makes the next one come
                # sooner, so the average is one per frame, not one per frame + delay.
                next_emit = max(next_emit + FRAME_SECONDS, now + FRAME_SECONDS / 2)
                last_emit = self._hand_over(generation, merge_chunks(pending))
                pending = []

        if pending:
            if not self._sleep(generation, last_emit + FRAME_SECONDS - time.monotonic()):
                return False
            self.batch_ready.emit(generation, merge_chunks(pending))
        return True

    def _hand_over(self, generation: int, chunk: Chunk) -> float:
        """Send a batch, then wait (briefly) until the GUI has drawn it.

        Stepping two points in pure Python holds the GIL nearly all the time, and a
        frame calls back and forth between Qt and Python hundreds of times, each
        call waiting for the GIL: drawing while the worker steps took ten times
        longer than drawing alone. So the worker pauses while a frame is drawn and
        steps while the GUI is idle between frames. Returns when the batch was sent,
        so that frames stay one frame apart however long the drawing took.
        """
        self.drawn.clear()
        sent = time.monotonic()
        self.batch_ready.emit(generation, chunk)
        self.drawn.wait(DRAW_WAIT_SECONDS)
        return sent

    def _wait_until(self, generation: int, clock: _PlaybackClock, step: int) -> bool:
        """Wait until ``step`` is due, holding while paused; False once unwanted."""
        while True:
            if generation != self.wanted_generation:
                return False
            if self.paused and step > 0:  # the starts show even before Play
                clock.hold()
                self.wake.wait(0.1)
                self.wake.clear()
                continue

            clock.resume()
            delay = clock.due(step) - time.monotonic()
            if delay <= 0:
                return True
            self.wake.wait(delay)
            self.wake.clear()

    def _sleep(self, generation: int, seconds: float) -> bool:
        if seconds > 0:
            self.wake.wait(seconds)
        return generation == self.wanted_generation


class _PlaybackClock:
    """When each step is due on screen, with pauses taken out."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self.origin = time.monotonic()
        self.held_since: float | None = None

    def due(self, step: int) -> float:
        if math.isinf(self.speed):
            return self.origin
        return self.origin + step / self.speed

    def hold(self) -> None:
        if self.held_since is None:
            self.held_since = time.monotonic()

    def resume(self) -> None:
        if self.held_since is not None:
            self.origin += time.monotonic() - self.held_since
            self.held_since = None


class SimulationRunner(QObject):
    """The GUI thread's handle on the worker: start, pause, cancel, shut down.

    Every start gets a new generation number; batches of older generations are
    dropped here, so the window only ever sees the run it asked for last.
    """

    batch_ready = Signal(object)
    finished = Signal()
    failed = Signal(str)
    _start_requested = Signal(int, object, object, int, float)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.generation = 0
        # The worker steps small arrays in pure Python and so holds the GIL almost
        # all the time; the GUI thread takes it back many times per frame (each
        # call between Python and Qt), and by default waits up to 5 ms each time.
        # A shorter switch interval keeps frames short while a run streams.
        sys.setswitchinterval(min(sys.getswitchinterval(), GIL_SWITCH_SECONDS))

        self._thread = QThread()
        self._thread.setObjectName("simulation")
        self._worker = SimulationWorker()
        self._worker.moveToThread(self._thread)

        self._start_requested.connect(self._worker.run)
        self._worker.batch_ready.connect(self._on_batch)
        self._worker.run_finished.connect(self._on_finished)
        self._worker.run_failed.connect(self._on_failed)
        self._thread.start()

    @property
    def running(self) -> bool:
        """Whether the worker thread is alive."""
        return self._thread.isRunning()

    def start(self, surface: Surface, specs: Sequence[RunSpec], steps: int,
              speed: float, paused: bool = False) -> int:
        """Cancel whatever runs and stream a new simulation; returns its generation."""
        self.generation += 1
        self._worker.paused = paused
        self._worker.wanted_generation = self.generation
        self._worker.wake.set()
        self._worker.drawn.set()

        self._start_requested.emit(self.generation, surface, list(specs), steps, speed)
        return self.generation

    def frame_drawn(self) -> None:
        """Tell the worker the last batch is on screen, so it may step on."""
        self._worker.drawn.set()

    def set_paused(self, paused: bool) -> None:
        """Hold or resume the current run where it is."""
        self._worker.paused = paused
        self._worker.wake.set()

    def cancel(self) -> None:
        """Stop the current run; nothing more of it arrives."""
        self.generation += 1
        self._worker.wanted_generation = STOPPED
        self._worker.wake.set()
        self._worker.drawn.set()

    def shutdown(self, timeout_ms: int = 2000) -> bool:
        """Cancel, end the thread and wait for it; True if it ended in time.

        Called only when the window closes: the worker notices a cancel within one
        chunk (a few milliseconds), so the wait is short.
        """
        if not self._thread.isRunning():
            return True

        self.cancel()
        self._worker.batch_ready.disconnect(self._on_batch)
        self._thread.quit()
        ended = self._thread.wait(timeout_ms)
        if not ended:
            log.error("simulation thread did not stop within %d ms", timeout_ms)
        return ended

    @Slot(int, object)
    def _on_batch(self, generation: int, chunk: Chunk) -> None:
        if generation == self.generation:
            self.batch_ready.emit(chunk)

    @Slot(int)
    def _on_finished(self, generation: int) -> None:
        if generation == self.generation:
            self.finished.emit()

    @Slot(int, str)
    def _on_failed(self, generation: int, message: str) -> None:
        if generation == self.generation:
            self.failed.emit(message)
