"""The worker's signals: order and payload, stale runs dropped, cancel and shutdown."""

import math

import numpy as np

from momentum_desktop.core.simulation import RunSpec
from momentum_desktop.core.surfaces import make_surface
from momentum_desktop.gui.worker import SimulationRunner


def drawing(runner):
    """Acknowledge every batch at once, as the window does once it has drawn one."""
    runner.batch_ready.connect(lambda chunk: runner.frame_drawn())
    return runner


def test_batches_arrive_in_order_and_cover_every_step(qtbot):
    runner = drawing(SimulationRunner())
    chunks = []
    runner.batch_ready.connect(chunks.append)
    specs = [RunSpec("gd", {"lr": 0.01}, (1.0, 1.0)),
             RunSpec("momentum", {"lr": 0.01, "momentum": 0.9}, (1.0, 1.0))]

    with qtbot.waitSignal(runner.finished, timeout=10_000):
        runner.start(make_surface("valley"), specs, 3000, math.inf)
    runner.shutdown()

    assert chunks[0].first_step == 0
    for before, after in zip(chunks, chunks[1:]):
        assert after.first_step == before.first_step + before.positions.shape[1]
    assert sum(int(c.lengths[0]) for c in chunks) <= 3001
    assert chunks[-1].statuses[0].stopped


def test_a_new_start_drops_the_old_runs_batches(qtbot):
    runner = drawing(SimulationRunner())
    starts = []
    runner.batch_ready.connect(lambda c: starts.append(c.positions[0, 0].copy())
                               if c.first_step == 0 else None)
    surface = make_surface("valley")
    old = [RunSpec("gd", {"lr": 0.01}, (1.0, 1.0))]
    new = [RunSpec("gd", {"lr": 0.01}, (-2.0, 3.0))]

    runner.start(surface, old, 1000, 5.0)
    with qtbot.waitSignal(runner.finished, timeout=10_000):
        runner.start(surface, new, 50, math.inf)
    runner.shutdown()

    assert all(np.array_equal(s, [-2.0, 3.0]) for s in starts) and starts


def test_shutdown_mid_run_ends_the_thread(qtbot):
    runner = drawing(SimulationRunner())
    seen = []
    runner.batch_ready.connect(seen.append)
    runner.start(make_surface("rosenbrock"),
                 [RunSpec("gd", {"lr": 1e-4}, (-1.5, 2.5))], 10_000_000, math.inf)
    qtbot.waitUntil(lambda: len(seen) > 3, timeout=10_000)

    assert runner.shutdown(timeout_ms=1000)
    assert not runner.running


def test_the_worker_waits_for_each_batch_to_be_drawn(qtbot):
    import time

    runner = SimulationRunner()
    arrivals = []
    runner.batch_ready.connect(lambda chunk: arrivals.append(time.monotonic()))
    runner.start(make_surface("valley"), [RunSpec("gd", {"lr": 0.01}, (1.0, 1.0))],
                 100_000, math.inf)
    qtbot.waitUntil(lambda: len(arrivals) >= 4, timeout=10_000)
    runner.shutdown()

    # Unacknowledged, each batch holds the worker for its longest wait (0.1 s).
    gaps = np.diff(arrivals[1:4])
    assert gaps.min() > 0.08
