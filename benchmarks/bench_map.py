"""Benchmark: the (learning rate, momentum rate) map, vectorized against run by run.

Run it from the repository root, with the project installed::

    python benchmarks/bench_map.py                      # 200 x 200 cells, 1000 steps
    python benchmarks/bench_map.py --lrs 50 --momenta 50 --sample 50

It prints one table and exits 0 whether or not the targets are met; it fails only
if something crashes, or exits 1 if a sampled cell's step count differs from the map.

Workload
--------
Momentum on the default quadratic valley from its default start, over
``default_grid``'s learning rates (log-spaced, 0.01 to 10 times the surface's
default) and momentum rates (0 to 0.99), up to ``--steps`` steps per cell, a cell
stopping once its loss is within ``--tolerance`` of the minimum's or once it
diverges.

1. The map
    ``rate_map(MapRequest(...))``, request validation included, timed
    ``--repeat`` times; the best time is the figure. A second row times the same
    grid with a tolerance of 1e-300, which only cells whose loss underflows to 0
    reach, so nearly every cell that does not diverge steps to the end: about the
    worst case for this grid.

2. One run at a time
    Stepping all 40,000 cells one at a time takes far too long to wait for, so a
    random sample of ``--sample`` cells (seeded) runs one at a time through
    ``record``, the code path of the app's single runs, and the total is
    extrapolated: the mean time per sampled cell times the number of cells.

    * "as the app runs them": ``record`` with the same tolerance and step budget.
      A single run does not stop when its loss gap reaches the tolerance: it stops
      only at the budget, on divergence, or once its gradient and step are both
      below the tolerance, so it takes more steps than the map needed.
    * "stopping where the map stopped": ``record`` given, as its step budget, the
      step at which the map stopped that cell (the full budget where it never
      reached the tolerance), so the loop steps no more than the map did. This is
      the fairer ratio.

    Each sampled cell's first step within the tolerance, and its divergence, are
    checked against the map's.

Targets (from the issue): the map within 2 s on this machine; the map at least 50x
faster than the loop.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from momentum_desktop.core.rate_map import MapRequest, MapResult, default_grid, rate_map
from momentum_desktop.core.simulation import RunSpec, RunState
from momentum_desktop.core.surfaces import make_surface
from momentum_desktop.core.trajectory import record

TARGET_MAP_S = 2.0
TARGET_RATIO = 50.0
UNREACHABLE = 1e-300
"""A tolerance almost no cell reaches, for the worst-case row."""


def progress(message: str) -> None:
    """Say what runs now, on stderr, so that the table stays clean on stdout."""
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class LoopResult:
    """Sampled cells stepped one at a time."""

    seconds: list[float]
    steps_taken: list[int]
    mismatches: list[str]

    @property
    def mean_s(self) -> float:
        """Mean wall time per cell."""
        return statistics.fmean(self.seconds)


def make_request(args: argparse.Namespace, tolerance: float) -> MapRequest:
    """The benchmark's map on the default valley."""
    surface = make_surface("valley")
    lrs, momenta = default_grid(surface, "momentum", args.lrs, args.momenta)
    return MapRequest(surface, "momentum", {}, surface.default_start, lrs, momenta,
                      steps=args.steps, tolerance=tolerance)


def time_map(args: argparse.Namespace, tolerance: float,
             repeat: int) -> tuple[list[float], MapResult]:
    """Wall times of building and computing the map, and its result."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        result = rate_map(make_request(args, tolerance))
        times.append(time.perf_counter() - began)
    return times, result


def time_loop(request: MapRequest, result: MapResult, cells: np.ndarray,
              to_map_step: bool) -> LoopResult:
    """Step the sampled cells one at a time with ``record``, checking each."""
    seconds, steps_taken, mismatches = [], [], []
    for flat in cells:
        row, column = np.unravel_index(flat, request.shape)
        run = RunSpec("momentum", request.cell_hyperparameters(row, column),
                      request.start)
        budget = request.steps
        if to_map_step and result.steps_to_tolerance[row, column] >= 0:
            budget = max(1, int(result.steps_to_tolerance[row, column]))

        began = time.perf_counter()
        (trajectory,) = record(request.surface, [run], budget,
                               tolerance=request.tolerance)
        seconds.append(time.perf_counter() - began)
        steps_taken.append(len(trajectory) - 1)

        found = _check_cell(request, result, row, column, trajectory)
        if found:
            mismatches.append(found)
    return LoopResult(seconds, steps_taken, mismatches)


def _check_cell(request: MapRequest, result: MapResult, row: int, column: int,
                trajectory: object) -> str:
    """Words for a disagreement between a single run and its map cell, or ''."""
    hits = np.flatnonzero(trajectory.losses - 0.0 <= request.tolerance)
    steps = int(hits[0]) if len(hits) else -1
    diverged = not len(hits) and trajectory.status.state is RunState.DIVERGED

    expected = int(result.steps_to_tolerance[row, column])
    if steps == expected and diverged == bool(result.diverged[row, column]):
        return ""
    return (f"cell ({row}, {column}): single run {steps} steps, diverged {diverged}; "
            f"map {expected} steps, diverged {bool(result.diverged[row, column])}")


def machine_line() -> str:
    """Where the figures come from."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    return (f"machine: {platform.machine()} {platform.system()} {platform.release()}, "
            f"nproc {cores or os.cpu_count()}, load average {load}; "
            f"python {platform.python_version()}, numpy {np.__version__}")


def verdict(met: bool) -> str:
    """The word for a target."""
    return "met" if met else "MISSED"


def print_report(args: argparse.Namespace, request: MapRequest, map_times: list[float],
                 result: MapResult, worst_times: list[float], worst_reached: int,
                 app_loop: LoopResult,
                 fair_loop: LoopResult, command: str) -> None:
    """The results table and the targets."""
    cells = request.shape[0] * request.shape[1]
    best = result.best
    map_s, worst_s = min(map_times), min(worst_times)
    app_total = app_loop.mean_s * cells
    fair_total = fair_loop.mean_s * cells
    sample = len(app_loop.seconds)

    lines = [machine_line(), "",
             f"workload: momentum on {request.surface.describe()} from "
             f"{request.start}, {request.shape[0]} momentum rates "
             f"({request.momenta[0]:g} .. {request.momenta[-1]:g}) x "
             f"{request.shape[1]} learning rates ({request.lrs[0]:.3g} .. "
             f"{request.lrs[-1]:.3g}), up to {request.steps} steps, "
             f"tolerance {request.tolerance:g}",
             f"map: {np.count_nonzero(result.reached):,} cells reached the tolerance, "
             f"{np.count_nonzero(result.diverged):,} diverged, "
             f"{np.count_nonzero(result.not_reached):,} did not reach it; best "
             + ("none" if best is None else
                f"lr {best.lr:.4g}, momentum {best.momentum:.4g}, {best.steps} steps"),
             "",
             f"{'':56s} {'wall s':>9s} {'cells/s':>11s} {'ratio':>8s}"]

    def row(label: str, seconds: float, ratio: str = "") -> None:
        lines.append(f"{label:56s} {seconds:9.3f} {cells / seconds:11,.0f} {ratio:>8s}")

    row(f"map, vectorized (best of {len(map_times)})", map_s, "1.0x")
    row(f"map, tolerance {UNREACHABLE:g} ({worst_reached:,} cells reach it)", worst_s,
        f"{worst_s / map_s:.1f}x")
    row("one at a time, as the app runs them (extrapolated)", app_total,
        f"{app_total / map_s:.0f}x")
    row("one at a time, stopping where the map stopped (extr.)", fair_total,
        f"{fair_total / map_s:.0f}x")

    lines += [
        "",
        "map times (s): " + ", ".join(f"{t:.3f}" for t in map_times)
        + "; worst case: " + ", ".join(f"{t:.3f}" for t in worst_times),
        f"loop: extrapolated from {sample} random cells (seed {args.seed}) timed one "
        f"at a time with record(): {app_loop.mean_s * 1e3:.2f} ms per cell as the app "
        f"runs them (mean {statistics.fmean(app_loop.steps_taken):.0f} steps), "
        f"{fair_loop.mean_s * 1e3:.2f} ms stopping where the map stopped (mean "
        f"{statistics.fmean(fair_loop.steps_taken):.0f} steps); times {cells:,} cells",
        f"sampled cells whose step count and divergence equal the map's: "
        f"{sample - len(app_loop.mismatches)}/{sample} (full budget), "
        f"{sample - len(fair_loop.mismatches)}/{sample} (map's step)",
    ]
    lines += ["    " + m for m in (app_loop.mismatches + fair_loop.mismatches)[:10]]

    fair_ratio = fair_total / map_s
    lines += ["", f"{'target':40s} {'measured':>12s}   verdict",
              f"{f'map <= {TARGET_MAP_S:g} s':40s} {map_s:11.3f}s   "
              f"{verdict(map_s <= TARGET_MAP_S)}",
              f"{f'map >= {TARGET_RATIO:g}x the loop (fairer ratio)':40s} "
              f"{fair_ratio:11.0f}x   {verdict(fair_ratio >= TARGET_RATIO)}",
              "", f"command: {command}"]
    print("\n".join(lines), flush=True)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lrs", type=int, default=200,
                        help="learning rates, the map's columns (default 200)")
    parser.add_argument("--momenta", type=int, default=200,
                        help="momentum rates, the map's rows (default 200)")
    parser.add_argument("--steps", type=int, default=1000,
                        help="most steps per cell (default 1000)")
    parser.add_argument("--tolerance", type=float, default=1e-8,
                        help="loss gap a cell must reach (default 1e-8)")
    parser.add_argument("--sample", type=int, default=200,
                        help="cells stepped one at a time (default 200)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the random sample (default 0)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="times the map is computed; the best counts (default 3)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Time the map and the loop and print the table."""
    raw = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(raw)
    command = " ".join(["python benchmarks/bench_map.py", *raw])

    progress(f"map: {args.momenta} x {args.lrs} cells, {args.steps} steps ...")
    map_times, result = time_map(args, args.tolerance, args.repeat)
    worst_times, worst = time_map(args, UNREACHABLE, args.repeat)

    request = make_request(args, args.tolerance)
    cells = request.shape[0] * request.shape[1]
    rng = np.random.default_rng(args.seed)
    sample = rng.choice(cells, size=min(args.sample, cells), replace=False)

    progress(f"loop: {len(sample)} cells one at a time, twice ...")
    app_loop = time_loop(request, result, sample, to_map_step=False)
    fair_loop = time_loop(request, result, sample, to_map_step=True)

    print_report(args, request, map_times, result, worst_times,
                 int(np.count_nonzero(worst.reached)), app_loop, fair_loop, command)
    return 1 if app_loop.mismatches or fair_loop.mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
