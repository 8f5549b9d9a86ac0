"""Benchmark: how smoothly Momentum Desktop animates, against matplotlib; its memory.

Run it from the repository root, with the project installed with the ``bench`` extra::

    pip install -e '.[bench]'
    python benchmarks/bench_animation.py                 # all three parts
    python benchmarks/bench_animation.py --no-million    # skip the 1,000,000-step run

The 1,000,000-step run dominates: it lasts a million divided by the steps per
second per run that the 20,000-step line reports (half its "run-steps/s"). On 2
cores that was 3,300 to 4,400, so 4 to 5 minutes, and the whole script 4 to 5.5
minutes; a slower simulation makes it longer (``--million-steps`` shortens it).
Without it the script takes about half a minute.

It prints one table and exits 0 whether or not the targets are met; it fails only
if something crashes. Qt runs offscreen (``QT_QPA_PLATFORM=offscreen`` unless set).

Workload
--------
The default session (gradient descent lr 0.036 and momentum lr 0.036 / beta 0.7 from
the default start on the quadratic valley) at full speed (``speed=math.inf``), with
one change: the valley's ``eigenvalue_along`` is 1e-5 instead of 1. With the default
floor both runs converge (tolerance 1e-8) at steps 544 and 116, far too short to
measure; Rosenbrock at lr 1e-3 with momentum 0.9 stops early too (momentum converges
near step 4,260). The nearly flat floor keeps both runs stepping for 20,000 and for
1,000,000 steps while the window does the same drawing work as usual (each path is
thinned to at most 4,000 drawn points). The statuses and lengths are printed, so a
run that stops early shows.

1. The app
    A ``MainWindow`` is shown, left to settle, then ``restart(play=True)``; the clock
    runs until ``playback_finished`` while ``QApplication.exec()`` drives everything.

    * frames/s: *displayed frames* over the wall time. A batch from
      ``w.runner.batch_ready`` counts as one displayed frame when a ``QEvent.Paint``
      reaches ``w.canvas.viewport()`` (event filter) after it. A batch overtaken by
      the next one before any paint is not counted, nor is a repaint with no new
      data (layout, labels). Raw batches and paint events are reported too, and
      the rate between the first and the last displayed frame, which leaves out
      the start-up and the wait before the last batch. The target is judged on
      the whole playback. The worker sends at most one batch per 1/60 s, so
      neither figure can go much above 60.
    * longest event-loop gap: a 1 ms ``Qt.PreciseTimer`` on the GUI thread records
      ``time.perf_counter()`` at each timeout; the largest interval is reported.
      The probe itself costs the GUI thread a little time; ``--probe-ms`` changes it.
    * "canvas only" row, a diagnostic: the same trajectories fed to
      ``w.canvas.show_trajectories`` in batches of the same size, each followed by
      one ``processEvents()`` (layout and paint), counted the same way, with no
      worker thread. It is the frame rate the drawing alone allows.

2. matplotlib, as a user would otherwise write it
    The same 20,000-step trajectories, precomputed with ``simulate`` and
    ``Trajectory``, in a ``FuncAnimation`` (``blit=False``) on a figure of the
    canvas's pixel size: one axes per run with a ``contourf`` of the surface, a line
    for the path and a marker for the current point, and a title with the step and
    loss. Each frame adds as many steps as the app drew per displayed frame on
    average. It runs headless through ``FuncAnimation.save`` with a writer that
    keeps nothing: every frame is a full Agg draw (``draw_idle`` draws at once on
    Agg; the draw count is checked), but no encoding and no copy to a screen, so it
    flatters matplotlib. At most ``--mpl-frames`` frames (150) are drawn.

3. Memory
    The same window measurement with 1,000,000 steps per run (``--million``, on by
    default; it runs right after the 20,000-step one, before matplotlib is
    imported). Peak RSS (``VmHWM`` from ``/proc/self/status``) is reset just
    before each playback by writing 5 to ``/proc/self/clear_refs``, so each peak
    is that playback's own; where the reset is refused, the process's peak so far
    is shown and flagged. *Growth* is that peak minus RSS just before playing.
    Trajectory bytes are those the points use (x, y, the loss, the gradient and
    the velocity: 7 float64 per point) and those the doubling buffers hold. The target counts as met when both runs take every step
    and the 1M playback grows by no more than the 20k one plus twice the bytes
    its trajectories hold (one doubling copy in flight): nothing else grows with
    the number of steps.

Targets (from the issue): >= 60 displayed frames/s, no event-loop gap over 50 ms,
>= 10x matplotlib's frame rate, memory bounded on 1,000,000 steps.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import platform
import re
import resource
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from PySide6 import __version__ as pyside_version
from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QMessageLogContext,
    QObject,
    Qt,
    QTimer,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication

from momentum_desktop.core.session import Session, default_session
from momentum_desktop.core.simulation import simulate
from momentum_desktop.core.surfaces import Surface
from momentum_desktop.core.trajectory import Trajectory
from momentum_desktop.gui.garbage import collect_garbage_on_gui_thread
from momentum_desktop.gui.main_window import MainWindow

MIB = 1024 * 1024

TARGET_FPS = 60.0
TARGET_GAP_MS = 50.0
TARGET_RATIO = 10.0


def progress(message: str) -> None:
    """Say what runs now, on stderr, so that the table stays clean on stdout."""
    print(message, file=sys.stderr, flush=True)


def _qt_message(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """Pass Qt's messages on, less the offscreen plugin's harmless size-hint one."""
    if "propagateSizeHints" not in message:
        print(message, file=sys.stderr, flush=True)


# ----- workload ----------------------------------------------------------------


def benchmark_session(steps: int) -> Session:
    """The default session at full speed on a valley whose floor is nearly flat."""
    session = default_session()
    return dataclasses.replace(
        session,
        surface_params={"eigenvalue_along": 1e-5},
        steps=steps,
        speed=math.inf,
    )


def precompute(session: Session) -> list[Trajectory]:
    """Every run's trajectory, stepped by the core alone."""
    trajectories = [Trajectory() for _ in session.runs]
    for chunk in simulate(session.make_surface(), session.run_specs(), session.steps):
        for run, trajectory in enumerate(trajectories):
            trajectory.append_chunk(chunk, run)
    return trajectories


def trajectory_bytes(trajectories: Sequence[Trajectory]) -> tuple[int, int]:
    """Bytes the recorded points use, and bytes the trajectories' buffers hold.

    Counts every numpy array a trajectory keeps (positions, losses, gradients and
    velocities, and any per-step buffer it may gain), rather than assuming floats
    per point.
    """
    used = held = 0
    for trajectory in trajectories:
        for array in vars(trajectory).values():
            if isinstance(array, np.ndarray) and array.ndim >= 1:
                held += array.nbytes
                used += array[: len(trajectory)].nbytes
    return used, held


# ----- memory ------------------------------------------------------------------


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark for this process; False where refused."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        return False
    return True


def _status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status") as handle:
            found = re.search(rf"^{field}:\s+(\d+) kB", handle.read(), re.MULTILINE)
    except OSError:
        return None
    return int(found.group(1)) if found else None


def peak_rss_mib() -> float:
    """Peak RSS since the last reset (VmHWM), else the process's peak so far."""
    kb = _status_kb("VmHWM")
    if kb is None:
        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024


def current_rss_mib() -> float:
    """Resident memory now (VmRSS), or nan where /proc is missing."""
    kb = _status_kb("VmRSS")
    return math.nan if kb is None else kb / 1024


# ----- probes on the GUI thread ------------------------------------------------


class FrameCounter(QObject):
    """Counts batches, paint events, and batches that a paint put on screen."""

    def __init__(self) -> None:
        super().__init__()
        self.batches = 0
        self.paints = 0
        self.frames = 0
        self.first_frame_at = self.last_frame_at = math.nan
        self._unpainted = False

    def on_batch(self, _chunk: object) -> None:
        """Slot for ``runner.batch_ready``: new data waits for a paint."""
        self.batches += 1
        self._unpainted = True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Count a paint, and a displayed frame if new data waited for it."""
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
            if self._unpainted:
                self.frames += 1
                self._unpainted = False
                self.last_frame_at = time.perf_counter()
                if self.frames == 1:
                    self.first_frame_at = self.last_frame_at
        return False


class GapProbe:
    """A fast timer on the GUI thread; the longest wait between its ticks.

    Keeps only a maximum and a count, so that it adds no memory per tick.
    """

    def __init__(self, interval_ms: int, limit_ms: float) -> None:
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._limit = limit_ms / 1e3
        self._last = 0.0
        self.longest = 0.0
        self.over_limit = 0

    def start(self) -> None:
        """Start timing from now."""
        self.longest, self.over_limit = 0.0, 0
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        """Stop, counting the wait up to now as a gap too."""
        self._tick()
        self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        gap, self._last = now - self._last, now
        self.longest = max(self.longest, gap)
        self.over_limit += gap > self._limit


# ----- 1: the app --------------------------------------------------------------


@dataclass
class AppResult:
    """One playback through the window."""

    steps: int
    wall_s: float
    cpu_s: float
    timed_out: bool
    batches: int
    paints: int
    frames: int
    frames_span_s: float
    max_gap_ms: float
    gaps_over_target: int
    statuses: list[str]
    lengths: list[int]
    bytes_used: int
    bytes_held: int
    rss_before_mib: float
    peak_rss_mib: float
    rss_after_mib: float
    canvas_px: tuple[int, int]
    trajectories: list[Trajectory]

    @property
    def fps(self) -> float:
        """Displayed frames per second."""
        return self.frames / self.wall_s

    @property
    def steady_fps(self) -> float:
        """Frames per second from the first displayed frame to the last one."""
        return (self.frames - 1) / self.frames_span_s if self.frames > 1 else math.nan

    @property
    def steps_per_frame(self) -> float:
        """Steps each displayed frame added, on average."""
        return self.steps / max(self.frames, 1)

    @property
    def growth_mib(self) -> float:
        """How far RSS rose above its level just before playing."""
        return self.peak_rss_mib - self.rss_before_mib

    @property
    def complete(self) -> bool:
        """Whether every run took every step."""
        return not self.timed_out and all(n == self.steps + 1 for n in self.lengths)


def _cpu_seconds() -> float:
    """CPU time this process has used, all threads, user and system."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def settle(app: QApplication, seconds: float) -> None:
    """Let the event loop run (layout, first paints) for a while."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.005)


def dispose(app: QApplication, window: MainWindow) -> None:
    """Close the window (stopping its worker) and free it."""
    window.close()
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.processEvents()


def measure_app(app: QApplication, steps: int, probe_ms: int,
                timeout_s: float) -> AppResult:
    """Play ``steps`` steps of both runs at full speed and time the window."""
    window = MainWindow(benchmark_session(steps))
    window.show()
    settle(app, 0.5)

    counter = FrameCounter()
    window.canvas.viewport().installEventFilter(counter)
    window.runner.batch_ready.connect(counter.on_batch)
    window.playback_finished.connect(app.quit)
    window.runner.failed.connect(app.quit)
    outcome = {"timed_out": False}

    def give_up() -> None:
        outcome["timed_out"] = True
        app.quit()

    watchdog = QTimer()
    watchdog.setSingleShot(True)
    watchdog.timeout.connect(give_up)

    probe = GapProbe(probe_ms, TARGET_GAP_MS)
    reset_peak_rss()
    rss_before = current_rss_mib()
    cpu_started = _cpu_seconds()
    started = time.perf_counter()
    probe.start()
    watchdog.start(int(timeout_s * 1000))
    window.restart(play=True)
    app.exec()
    wall = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_started
    probe.stop()
    watchdog.stop()

    trajectories = list(window.trajectories)
    used, held = trajectory_bytes(trajectories)
    result = AppResult(
        steps=steps, wall_s=wall, cpu_s=cpu, timed_out=outcome["timed_out"],
        batches=counter.batches, paints=counter.paints, frames=counter.frames,
        frames_span_s=counter.last_frame_at - counter.first_frame_at,
        max_gap_ms=1e3 * probe.longest, gaps_over_target=probe.over_limit,
        statuses=[t.status.describe() for t in trajectories],
        lengths=[len(t) for t in trajectories],
        bytes_used=used, bytes_held=held,
        rss_before_mib=rss_before, peak_rss_mib=peak_rss_mib(),
        rss_after_mib=current_rss_mib(),
        canvas_px=(window.canvas.width(), window.canvas.height()),
        trajectories=trajectories,
    )
    window.canvas.viewport().removeEventFilter(counter)
    dispose(app, window)
    return result


def measure_canvas_only(app: QApplication, reference: Sequence[Trajectory],
                        steps_per_frame: int) -> float:
    """Displayed frames per second of the canvas alone, with no worker thread.

    Each frame hands the grown trajectories to ``show_trajectories`` and runs the
    event loop once, which lays out and paints as it would while playing.
    """
    window = MainWindow(benchmark_session(len(reference[0]) - 1))
    window.show()
    settle(app, 0.5)
    counter = FrameCounter()
    window.canvas.viewport().installEventFilter(counter)
    grown = [Trajectory() for _ in reference]

    started = time.perf_counter()
    for end in _frame_ends(len(reference[0]), steps_per_frame):
        for trajectory, full in zip(grown, reference, strict=True):
            start = len(trajectory)
            trajectory.append(full.positions[start:end], full.losses[start:end])
        window.canvas.show_trajectories(grown)
        counter.on_batch(None)
        app.processEvents()
    wall = time.perf_counter() - started

    window.canvas.viewport().removeEventFilter(counter)
    dispose(app, window)
    return counter.frames / wall


def _frame_ends(points: int, per_frame: int) -> list[int]:
    """How many points each frame shows: step 0 first, then ``per_frame`` more."""
    return [*range(1, points, per_frame), points]


# ----- 2: matplotlib -----------------------------------------------------------


@dataclass
class MplResult:
    """One FuncAnimation run."""

    frames: int
    draws: int
    wall_s: float

    @property
    def fps(self) -> float:
        """Frames per second."""
        return self.frames / self.wall_s


def measure_matplotlib(surface: Surface, trajectories: Sequence[Trajectory],
                       titles: Sequence[str], colors: Sequence[str],
                       steps_per_frame: int, max_frames: int,
                       size_px: tuple[int, int]) -> MplResult:
    """Time a typical FuncAnimation of the same runs over a contourf background."""
    from matplotlib.animation import AbstractMovieWriter, FuncAnimation
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    class DrawOnlyWriter(AbstractMovieWriter):
        """Keeps no frames: FuncAnimation has already drawn each one on Agg."""

        def setup(self, fig: Figure, outfile: str, dpi: float | None = None) -> None:
            self.fig, self.outfile, self.dpi = fig, outfile, dpi

        def grab_frame(self, **savefig_kwargs: object) -> None:
            self.fig.canvas.buffer_rgba()

        def finish(self) -> None:
            pass

    width, height = size_px
    fig = Figure(figsize=(width / 100, height / 100), dpi=100)
    FigureCanvasAgg(fig)
    draws = {"count": 0}
    fig.canvas.mpl_connect("draw_event", lambda _event: draws.update(
        count=draws["count"] + 1))

    update = _mpl_scene(fig, surface, trajectories, titles, colors)
    ends = _frame_ends(len(trajectories[0]), steps_per_frame)[:max_frames]
    anim = FuncAnimation(fig, lambda i: update(ends[i]), frames=len(ends),
                         blit=False, repeat=False, cache_frame_data=False)

    fig.canvas.draw()  # the first draw (contourf, ticks) happens before playing
    draws["count"] = 0
    started = time.perf_counter()
    anim.save("unused", writer=DrawOnlyWriter())
    wall = time.perf_counter() - started
    return MplResult(frames=len(ends), draws=draws["count"], wall_s=wall)


def _mpl_scene(fig: object, surface: Surface, trajectories: Sequence[Trajectory],
               titles: Sequence[str], colors: Sequence[str]) -> Callable[[int], list]:
    """Lay out one axes per run; return the per-frame update function."""
    domain = surface.domain
    x = np.linspace(domain.x_min, domain.x_max, 200)
    y = np.linspace(domain.y_min, domain.y_max, 200)
    grid_x, grid_y = np.meshgrid(x, y)
    grid_z = surface.value(grid_x, grid_y)

    axes = fig.subplots(1, len(trajectories))
    lines, markers, labels = [], [], []
    for ax, title, color in zip(np.atleast_1d(axes), titles, colors, strict=True):
        ax.contourf(grid_x, grid_y, grid_z, levels=30, cmap="viridis")
        ax.set_aspect("equal")
        (line,) = ax.plot([], [], color=color, lw=2)
        (marker,) = ax.plot([], [], "o", color=color, mec="w", ms=8)
        lines.append(line)
        markers.append(marker)
        labels.append(ax.set_title(title, color=color))

    def update(end: int) -> list:
        for trajectory, line, marker, label in zip(trajectories, lines, markers,
                                                   labels, strict=True):
            points = trajectory.positions[:end]
            line.set_data(points[:, 0], points[:, 1])
            marker.set_data(points[-1:, 0], points[-1:, 1])
            label.set_text(f"step {end - 1}  loss = {trajectory.losses[end - 1]:.4g}")
        return lines + markers + labels

    return update


# ----- report ------------------------------------------------------------------


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as text."""
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


def machine_lines(load_before: str) -> list[str]:
    """Where the figures come from, and how busy the machine was."""
    import matplotlib
    import pyqtgraph

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    machine = (f"machine: {platform.machine()} {platform.system()} "
               f"{platform.release()}, nproc {cores or os.cpu_count()}; load average "
               f"{load_before} before, {load_average()} after (this benchmark "
               f"itself keeps about 1 core busy)")
    versions = (f"python {platform.python_version()}, PySide6 {pyside_version}, "
                f"pyqtgraph {pyqtgraph.__version__}, numpy {np.__version__}, "
                f"matplotlib {matplotlib.__version__}, "
                f"QPA {os.environ['QT_QPA_PLATFORM']}")
    return [machine, versions]


def app_lines(label: str, result: AppResult) -> list[str]:
    """One app run: speed, smoothness, runs, memory."""
    state = "TIMED OUT, " if result.timed_out else ""
    speed = result.steps * len(result.lengths) / result.wall_s
    runs = "; ".join(f"{n:,} points, {s}"
                     for n, s in zip(result.lengths, result.statuses, strict=True))
    return [
        (f"{label}: {state}{result.wall_s:.2f} s wall ({result.cpu_s:.2f} s CPU, "
         f"{speed:,.0f} run-steps/s), {result.fps:.1f} displayed frames/s"),
        (f"    {result.frames} frames, {result.batches} batches, {result.paints} "
         f"paint events, {result.steps_per_frame:.0f} steps/frame; "
         f"{result.steady_fps:.1f} frames/s between the first and last frame"),
        (f"    event-loop gap: max {result.max_gap_ms:.1f} ms, "
         f"{result.gaps_over_target} gaps over {TARGET_GAP_MS:.0f} ms"),
        f"    runs: {runs}",
        (f"    memory (MiB): RSS {result.rss_before_mib:.1f} before playing, peak "
         f"{result.peak_rss_mib:.1f} (+{result.growth_mib:.1f}), "
         f"{result.rss_after_mib:.1f} after; trajectories "
         f"{result.bytes_used / MIB:.1f} used / {result.bytes_held / MIB:.1f} held"),
    ]


def verdict(met: bool) -> str:
    """The word for a target."""
    return "met" if met else "MISSED"


def memory_bounded(small: AppResult, large: AppResult) -> bool:
    """Both runs complete and the long run grows at most twice its trajectories more.

    Growth is peak RSS over RSS just before playing; the short run's growth is the
    fixed cost of playing, subtracted.
    """
    extra = (large.growth_mib - small.growth_mib) * MIB
    return large.complete and extra <= 2 * large.bytes_held


def print_report(small: AppResult, canvas_fps: float, mpl: MplResult,
                 large: AppResult | None, peak_resettable: bool,
                 load_before: str) -> None:
    """The results table and the targets."""
    ratio = small.fps / mpl.fps
    lines = [*machine_lines(load_before), ""]
    lines += app_lines(f"app, {small.steps:,} steps", small)
    lines.append(f"app canvas only (no worker, {small.steps_per_frame:.0f} "
                 f"steps/frame): {canvas_fps:.1f} frames/s")
    lines.append(f"matplotlib FuncAnimation (Agg, blit=False): {mpl.fps:.1f} frames/s "
                 f"({mpl.frames} frames, {mpl.draws} draws, {mpl.wall_s:.2f} s)")
    lines.append(f"ratio canvas only / matplotlib (drawing capacity): "
                 f"{canvas_fps / mpl.fps:.2f}x")
    if large is not None:
        lines += app_lines(f"app, {large.steps:,} steps", large)
        if not peak_resettable:
            lines.append("    (peak RSS could not be reset: process-lifetime peaks)")

    lines += ["", "target                          measured        verdict"]
    rows = [
        (f">= {TARGET_FPS:.0f} frames/s", f"{small.fps:.2f}",
         small.fps >= TARGET_FPS),
        (f"event-loop gap <= {TARGET_GAP_MS:.0f} ms", f"{small.max_gap_ms:.1f} ms",
         small.max_gap_ms <= TARGET_GAP_MS),
        (f">= {TARGET_RATIO:.0f}x matplotlib", f"{ratio:.2f}x",
         ratio >= TARGET_RATIO),
    ]
    if large is not None:
        extra = large.growth_mib - small.growth_mib
        rows.append(("memory bounded on 1M steps", f"+{extra:.1f} MiB peak",
                     memory_bounded(small, large)))
    else:
        rows.append(("memory bounded on 1M steps", "not run", None))
    for name, value, met in rows:
        word = "skipped" if met is None else verdict(met)
        lines.append(f"{name:31s} {value:15s} {word}")
    print("\n".join(lines), flush=True)


# ----- main --------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20_000,
                        help="steps per run for the frame-rate part (default 20000)")
    parser.add_argument("--million", action=argparse.BooleanOptionalAction,
                        default=True, help="also stream --million-steps steps to "
                        "check memory (default on; takes minutes)")
    parser.add_argument("--million-steps", type=int, default=1_000_000,
                        help="steps per run for the memory part (default 1000000)")
    parser.add_argument("--mpl-frames", type=int, default=150,
                        help="most frames matplotlib draws (default 150)")
    parser.add_argument("--probe-ms", type=int, default=1,
                        help="interval of the event-loop probe timer (default 1)")
    parser.add_argument("--timeout", type=float, default=1800.0,
                        help="give up on one app run after this many seconds")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run every part and print the table."""
    args = parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # read by QApplication()
    qInstallMessageHandler(_qt_message)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    collect_garbage_on_gui_thread()  # as the app does
    peak_resettable = reset_peak_rss()
    load_before = load_average()
    session = benchmark_session(args.steps)

    progress(f"app: {args.steps:,} steps per run ...")
    small = measure_app(app, args.steps, args.probe_ms, args.timeout)
    large = None
    if args.million:  # before matplotlib, whose memory would count in its baseline
        progress(f"app: {args.million_steps:,} steps per run (minutes) ...")
        large = measure_app(app, args.million_steps, args.probe_ms, args.timeout)

    progress("canvas alone, then matplotlib ...")
    reference = precompute(session)
    for ours, theirs in zip(small.trajectories, reference, strict=True):
        if not np.array_equal(ours.positions, theirs.positions):
            print("warning: the window's trajectory differs from simulate()'s")

    per_frame = max(1, round(small.steps_per_frame))
    canvas_fps = measure_canvas_only(app, reference, per_frame)
    mpl = measure_matplotlib(
        session.make_surface(), reference,
        [run.title() for run in session.runs],
        [session.color_of(i) for i in range(len(session.runs))],
        per_frame, args.mpl_frames, small.canvas_px,
    )
    print_report(small, canvas_fps, mpl, large, peak_resettable, load_before)
    return 0


if __name__ == "__main__":
    sys.exit(main())
