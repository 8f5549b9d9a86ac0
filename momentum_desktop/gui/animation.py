"""Animations of the runs as GIF (imageio with Pillow) or MP4 (imageio-ffmpeg).

Frames are drawn by an offscreen canvas of their own from trajectories computed
beforehand, so an export never depends on where the window's animation is. Drawing
must happen on the GUI thread; encoding runs in a thread of its own, fed through a
short queue, so the window stays responsive.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import queue
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPainter

from ..core.animation import AnimationSettings
from ..core.contours import contour_field
from ..core.session import Session
from ..core.trajectory import Trajectory
from .canvas import Canvas
from .garbage import collect_garbage_now

__all__ = [
    "ANIMATION_FORMATS",
    "AnimationJob",
    "FrameRenderer",
    "offscreen_canvas",
    "write_animation",
]

log = logging.getLogger(__name__)

ANIMATION_FORMATS = (".gif", ".mp4")

class FrameRenderer:
    """Draws frame after frame of a session's finished trajectories, offscreen."""

    def __init__(self, session: Session, trajectories: Sequence[Trajectory],
                 settings: AnimationSettings) -> None:
        self.settings = settings
        self.trajectories = list(trajectories)
        self.steps = max(len(t) for t in self.trajectories) - 1
        settings.check_length(self.steps)
        self.frame_count = settings.frame_count(self.steps)

        # Even sizes: H.264's colour format needs them.
        self.size = QSize(settings.width // 2 * 2, settings.height // 2 * 2)
        self.canvas = offscreen_canvas(session, self.size)

    def render(self, frame: int) -> np.ndarray:
        """Frame ``frame`` as an RGB array of shape (height, width, 3)."""
        count = min(frame * self.settings.steps_per_frame, self.steps) + 1
        self.canvas.show_trajectories([t.head(count) for t in self.trajectories])
        # No event loop runs between frames: lay the panes out for the readouts'
        # new text now, or the first frame's layout (no readouts yet) cuts them off.
        self.canvas.ci.layout.activate()

        image = QImage(self.size, QImage.Format.Format_RGB888)
        image.fill(Qt.GlobalColor.black)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.canvas.render(painter, QRectF(0, 0, self.size.width(), self.size.height()),
                           self.canvas.viewport().rect())
        painter.end()

        pixels = np.frombuffer(image.constBits(), dtype=np.uint8)
        rows = pixels.reshape(self.size.height(), image.bytesPerLine())
        return rows[:, : 3 * self.size.width()].reshape(
            self.size.height(), self.size.width(), 3).copy()

    def close(self) -> None:
        """Let the offscreen canvas go."""
        self.canvas.close()
        self.canvas.deleteLater()


def write_animation(session: Session, trajectories: Sequence[Trajectory], path: Path,
                    settings: AnimationSettings) -> int:
    """Draw and encode the whole animation to ``path``; returns the frames written.

    For the command line: it blocks until done. The window uses :class:`AnimationJob`.
    """
    renderer = FrameRenderer(session, trajectories, settings.checked())
    encoder = _Encoder(path, settings.fps)
    try:
        for frame in range(renderer.frame_count):
            encoder.put(renderer.render(frame))
            collect_garbage_now()  # no event loop runs here to do it
        encoder.put(None)
        encoder.finish()
    except BaseException:
        encoder.cancel()
        encoder.thread.join(timeout=10)  # the command line may wait; its exit must not
        raise
    finally:
        renderer.close()
    log.info("wrote %d frames to %s", renderer.frame_count, path)
    return renderer.frame_count


class AnimationJob(QObject):
    """Draws frames a few at a time on the GUI thread while a thread encodes them.

    Signals ``progress(done, total)``, then ``finished(path)``, ``failed(message)`` or
    ``cancelled()``; ``total`` is the frames plus one for finishing the file. The
    GUI thread never waits on the encoder: a frame the encoder has no room for is
    offered again on a later tick, and the end of the file is polled for.
    :meth:`cancel` returns at once and the unfinished file is removed; an earlier
    file at the path is left as it was.
    """

    progress = Signal(int, int)
    finished = Signal(str)
    failed = Signal(str)
    cancelled = Signal()

    FRAMES_PER_TICK = 2
    WAIT_MS = 10
    """Ticks come this far apart while the encoder is behind or finishing the file."""

    def __init__(self, session: Session, trajectories: Sequence[Trajectory], path: str,
                 settings: AnimationSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = Path(path)
        self.renderer = FrameRenderer(session, trajectories, settings.checked())
        self.encoder = _Encoder(self.path, settings.fps)
        self.frame = 0
        self._drawn: np.ndarray | None = None
        self._finishing = False
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)

    @property
    def total(self) -> int:
        """Units of progress: every frame, and finishing the file."""
        return self.renderer.frame_count + 1

    def start(self) -> None:
        """Begin drawing; returns at once."""
        log.info("animation export started: %d frames to %s", self.renderer.frame_count,
                 self.path)
        self.timer.start(0)

    def cancel(self) -> None:
        """Stop, have the unfinished file deleted, and say so; returns at once."""
        if not self.timer.isActive():
            return
        self._stop()
        self.encoder.cancel()
        log.info("animation export to %s cancelled", self.path)
        self.cancelled.emit()

    def _tick(self) -> None:
        try:
            if self._finishing:
                self._finish_when_written()
                return
            self.timer.setInterval(0)
            for _ in range(self.FRAMES_PER_TICK):
                if not self._feed_one():
                    self.timer.setInterval(self.WAIT_MS)
                    break
        except (OSError, RuntimeError, ValueError) as error:
            self._stop()
            self.encoder.cancel()
            log.error("animation export to %s failed: %s", self.path, error)
            self.failed.emit(f"cannot write {self.path}: {error}")
            return
        self.progress.emit(self.frame, self.total)

    def _feed_one(self) -> bool:
        """Hand the encoder the next frame (or the end); False if it had no room."""
        if self.frame >= self.renderer.frame_count:
            if not self.encoder.offer(None):
                return False
            self._finishing = True
            return False

        if self._drawn is None:
            self._drawn = self.renderer.render(self.frame)
        if not self.encoder.offer(self._drawn):
            return False
        self._drawn = None
        self.frame += 1
        return True

    def _finish_when_written(self) -> None:
        if not self.encoder.done:
            return
        self._stop()
        self.encoder.finish()
        log.info("animation written to %s", self.path)
        self.progress.emit(self.total, self.total)
        self.finished.emit(str(self.path))

    def _stop(self) -> None:
        self.timer.stop()
        self.renderer.close()


class _Encoder:
    """Feeds frames to imageio in a thread; writes a temporary file, renamed at the end."""

    def __init__(self, path: Path, fps: int) -> None:
        self.path = path
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:50]}.",
                                             suffix=path.suffix)
        os.close(handle)
        self.temporary = Path(temporary)
        _UNFINISHED.add(self.temporary)
        self.frames: queue.Queue = queue.Queue(maxsize=8)
        self.error: BaseException | None = None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._encode, args=(fps,),
                                       name="animation-encoder", daemon=True)
        self.thread.start()

    @property
    def done(self) -> bool:
        """Whether the encoding thread has ended (finished, failed or cancelled)."""
        return not self.thread.is_alive()

    def offer(self, frame: np.ndarray | None) -> bool:
        """Queue one frame (None: the end) if there is room; never waits.

        Raises the encoder's error if it has failed.
        """
        if self.error is not None:
            raise RuntimeError(str(self.error))
        try:
            self.frames.put_nowait(frame)
        except queue.Full:
            return False
        return True

    def put(self, frame: np.ndarray | None) -> None:
        """Queue one frame (None: the end), waiting for room: for the command line."""
        while not self.offer(frame):
            self.thread.join(timeout=0.01)

    def finish(self) -> None:
        """Once the end is queued, wait for the encoder and move the file into place.

        The window calls it only when :attr:`done`, so it does not wait there.
        """
        self.thread.join()
        _UNFINISHED.discard(self.temporary)
        if self.error is not None:
            self.temporary.unlink(missing_ok=True)
            raise RuntimeError(str(self.error))
        os.chmod(self.temporary, 0o666 & ~_umask())
        os.replace(self.temporary, self.path)

    def cancel(self) -> None:
        """Stop encoding; the unfinished file is deleted once the thread lets go of it."""
        self.stop.set()
        try:
            self.frames.put_nowait(None)
        except queue.Full:
            pass  # the thread sees the stop before its next frame
        if self.done:
            self.temporary.unlink(missing_ok=True)
            _UNFINISHED.discard(self.temporary)

    def _encode(self, fps: int) -> None:
        import imageio.v2 as imageio  # loads Pillow or the bundled ffmpeg on first use

        writer = None
        try:
            if self.path.suffix.lower() == ".gif":
                writer = imageio.get_writer(self.temporary, format="GIF", mode="I",
                                            duration=1000 / fps, loop=0)
            else:
                writer = imageio.get_writer(self.temporary, format="FFMPEG", mode="I",
                                            fps=fps, codec="libx264", quality=8,
                                            pixelformat="yuv420p", macro_block_size=2)
            # Closing the writer writes out what it holds (all of a GIF's frames),
            # which can take seconds; after a cancel it happens here, unwaited for.
            with writer:
                while not self.stop.is_set():
                    frame = self.frames.get()
                    if frame is None:
                        break
                    writer.append_data(frame)
        except Exception as error:  # reported to the GUI thread by offer and finish
            lines = str(error).strip().splitlines() or [type(error).__name__]
            if "Broken pipe" in lines[0]:  # ffmpeg stopped; it said why on stderr
                lines[0] = "ffmpeg stopped encoding (a full disk?)"
            self.error = RuntimeError(lines[0])
            _forget(writer)
        finally:
            if self.stop.is_set():
                self.temporary.unlink(missing_ok=True)
                _UNFINISHED.discard(self.temporary)


def _forget(writer: object) -> None:
    """Keep a writer whose closing failed (a full disk) from trying again later.

    imageio closes a writer again when it is garbage collected, and Pillow then
    tries to write the GIF's frames a second time: at exit that printed tracebacks
    after the one-line error.
    """
    if writer is None:
        return
    frames = getattr(getattr(writer, "instance", None), "images_to_write", None)
    if isinstance(frames, list):
        frames.clear()  # nothing left for a later close to write
    for _ in range(2):  # the first may fail on the full disk; the file is shut then
        with contextlib.suppress(Exception):
            writer.close()


_UNFINISHED: set[Path] = set()
"""Temporary files of encoders still at work, removed if the app exits first."""


@atexit.register
def _remove_unfinished() -> None:
    for temporary in list(_UNFINISHED):
        temporary.unlink(missing_ok=True)


def offscreen_canvas(session: Session, size: QSize) -> Canvas:
    """A canvas never shown on screen, set up to draw ``session`` at ``size``."""
    canvas = Canvas()
    canvas.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
    canvas.resize(size)
    canvas.show()

    surface = session.make_surface()
    canvas.set_runs([r.title() for r in session.runs],
                    [session.color_of(i) for i in range(len(session.runs))],
                    session.layout)
    canvas.set_surface(surface, contour_field(surface))
    canvas.set_starts([spec.start for spec in session.run_specs()])
    if session.view is not None:
        canvas.set_view(session.view)
    return canvas


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
