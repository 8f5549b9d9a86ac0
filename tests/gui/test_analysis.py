"""The views that show why: loss curves, arrows, the timeline, results and theory."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QGuiApplication

from momentum_desktop.core.theory import theory_for

from .conftest import play_to_end


def test_loss_curves_fall_and_the_marker_follows_the_step(fast_window, qtbot):
    play_to_end(qtbot, fast_window)
    dock = fast_window.loss_dock
    gd_curve, momentum_curve = dock.curves

    x, y = momentum_curve.getData()
    assert x[0] == 0 and x[-1] == 60
    # pyqtgraph holds log10 of the values in log mode.
    assert y[-1] < y[0] - 6  # momentum: eight decades down the loss gap
    assert gd_curve.getData()[1][-1] > y[-1] + 3
    assert dock.marker.value() == 60

    fast_window.show_step(20)
    assert dock.marker.value() == 20
    dock.metric_choice.setCurrentIndex(dock.metric_choice.findData("gradient"))
    assert dock.plot.getPlotItem().getAxis("left").labelText == "gradient norm"


def test_the_loss_legend_follows_the_runs_settings(fast_window, qtbot):
    dock = fast_window.loss_dock
    legend = dock.plot.getPlotItem().legend

    def legend_words() -> list[str]:
        return [label.text for _, label in legend.items]

    assert legend_words() == [run.title() for run in fast_window.session.runs]
    fast_window._apply_run_change(0, {"hyperparameters": {"lr": 0.02}})

    assert legend_words()[0] == "Gradient descent (lr=0.02)"
    assert len(dock.curves) == 2 and len(legend.items) == 2


def test_before_play_the_loss_plot_spans_the_steps_to_come(window):
    view = window.loss_dock.plot.getPlotItem().vb

    (x_min, x_max), (y_min, y_max) = view.viewRange()
    assert x_min <= 0 and x_max == pytest.approx(60, rel=0.05)
    assert y_max - y_min >= 6  # decades to fall through, not a sliver round the start


def test_the_timeline_shows_any_computed_step_and_steps_one_at_a_time(fast_window,
                                                                      qtbot):
    play_to_end(qtbot, fast_window)
    playback = fast_window.playback_dock

    playback.step_chosen.emit(10)
    gd_artist = fast_window.canvas.artists[0]
    assert len(gd_artist.path.xData) == 11
    assert gd_artist.current.data["x"][0] == fast_window.trajectories[0].positions[10, 0]
    assert "step 10" in fast_window.canvas.panes[0].readout.text
    assert playback.timeline.value() == 10

    playback._nudge(1)
    assert fast_window.shown_step == 11 and "step 11" in fast_window.canvas.panes[0].readout.text
    playback._nudge(-5)
    assert fast_window.shown_step == 6
    fast_window.show_step(500)  # past the end: held at the last computed step
    assert fast_window.shown_step == 60


def test_arrows_show_the_gradient_step_and_the_velocity(fast_window, qtbot):
    play_to_end(qtbot, fast_window)
    fast_window.show_step(15)
    heavy = fast_window.canvas.artists[1]
    trajectory = fast_window.trajectories[1]

    for name, vector in (("gradient", -trajectory.gradients[15]),
                         ("velocity", -trajectory.velocities[15])):
        arrow = heavy.arrows[name]
        assert arrow.shaft.isVisible()
        xs, ys = arrow.shaft.getData()
        drawn = np.array([xs[1] - xs[0], ys[1] - ys[0]])
        cosine = drawn @ vector / np.linalg.norm(drawn) / np.linalg.norm(vector)
        assert cosine == pytest.approx(1.0, abs=1e-9)  # same direction
    assert "velocity" in fast_window.canvas.panes[1].readout.text

    # Gradient descent keeps no velocity: only its gradient arrow shows.
    assert not fast_window.canvas.artists[0].arrows["velocity"].shaft.isVisible()
    fast_window.arrows_action.setChecked(False)
    assert not heavy.arrows["gradient"].shaft.isVisible()


def test_arrows_keep_one_scale_so_they_shrink_as_the_run_settles(fast_window, qtbot):
    play_to_end(qtbot, fast_window)
    heavy = fast_window.canvas.artists[1]

    def drawn(step: int, name: str) -> np.ndarray:
        fast_window.show_step(step)
        arrow = heavy.arrows[name]
        if not arrow.shaft.isVisible():
            return np.zeros(2)
        xs, ys = arrow.shaft.getData()
        return np.array([xs[1] - xs[0], ys[1] - ys[0]])

    first = np.linalg.norm(drawn(0, "gradient"))
    assert first == pytest.approx(0.12 * 10)  # the valley's domain spans 10
    along = np.array([np.cos(np.radians(20)), np.sin(np.radians(20))])
    assert drawn(5, "velocity") @ along > 2 * drawn(1, "velocity") @ along  # builds up
    assert np.linalg.norm(drawn(60, "velocity")) < 0.05 * first  # settled


def test_results_table_counts_steps_to_the_tolerance_and_copies(fast_window, qtbot):
    play_to_end(qtbot, fast_window)
    dock = fast_window.results_dock
    rows = {row[0]: row for row in dock.rows()}
    heavy = rows["Momentum (lr=0.036, beta=0.7)"]
    losses = fast_window.trajectories[1].losses
    assert heavy[2] == int(np.flatnonzero(losses <= 1e-8)[0])
    assert rows["Gradient descent (lr=0.036)"][2] is None  # never within 1e-8

    dock.tolerance.edit.setText("0.5")
    dock.tolerance.edit.editingFinished.emit()
    assert dock.rows()[0][2] == int(np.flatnonzero(fast_window.trajectories[0].losses
                                                   <= 0.5)[0])
    text = dock.copy_all()
    assert QGuiApplication.clipboard().text() == text
    assert text.splitlines()[0].startswith("run\tstatus\tsteps to tolerance")
    assert dock.table.isSortingEnabled()


def test_theory_panel_and_apply_optimal(fast_window, qtbot):
    play_to_end(qtbot, fast_window)
    dock = fast_window.theory_dock
    theory = theory_for(fast_window.session.make_surface(),
                        fast_window.session.start_point())
    assert dock.theory == theory
    assert f"{theory.momentum_best_momentum:.4g}" in dock.summary.text()
    assert "measured" in dock.rate_labels[1].text()

    with qtbot.waitSignal(fast_window.playback_finished, timeout=20_000):
        dock.buttons[1].click()
    settings = fast_window.session.runs[1].hyperparameters
    assert settings["lr"] == pytest.approx(theory.momentum_best_lr)
    assert settings["momentum"] == pytest.approx(theory.momentum_best_momentum)
    with qtbot.waitSignal(fast_window.playback_finished, timeout=20_000):
        dock.buttons[0].click()
    assert fast_window.session.runs[0].hyperparameters["lr"] == pytest.approx(
        theory.gd_best_lr)


def test_measured_rate_agrees_with_the_predicted_rate(fast_window, qtbot):
    import re

    play_to_end(qtbot, fast_window)
    text = fast_window.theory_dock.rate_labels[0].text()  # gradient descent
    predicted, measured = (float(v) for v in re.findall(r"([0-9.]+(?:e-?\d+)?)", text))
    assert measured == pytest.approx(predicted, abs=2e-3)


def test_the_loss_plot_grid_looks_as_pyqtgraph_draws_it(qtbot):
    """The opaque grid (fast to paint) puts the same lines, as bright, as pyqtgraph's."""
    import pyqtgraph as pg

    from momentum_desktop.gui.analysis_docks import (
        PLOT_BACKGROUND,
        SolidGridAxis,
        under_the_curves,
    )

    def render(axis_type):
        plot = pg.PlotWidget(background=PLOT_BACKGROUND, axisItems={
            side: axis_type(side) for side in ("left", "bottom")})
        qtbot.addWidget(plot)
        if axis_type is SolidGridAxis:
            under_the_curves(plot)
        plot.setLogMode(y=True)
        plot.showGrid(x=True, y=True, alpha=0.2)
        plot.plot(np.arange(500), np.exp(-np.arange(500) / 40.0) + 1e-12)
        plot.resize(600, 240)
        plot.show()
        qtbot.waitExposed(plot)
        image = plot.grab().toImage()
        return np.array([[image.pixelColor(x, y).getRgb()[:3]
                          for x in range(image.width())]
                         for y in range(image.height())], dtype=float)

    translucent, solid = render(pg.AxisItem), render(SolidGridAxis)

    # Each column's and row's typical colour is its grid line's (or the background):
    # crossings and the curve, where the two ways differ, are a minority.
    columns = np.median(translucent, axis=0)
    assert len(np.unique(columns.astype(int), axis=0)) >= 3  # lines of several levels
    assert np.abs(columns - np.median(solid, axis=0)).max() <= 2
    assert np.abs(np.median(translucent, axis=1) - np.median(solid, axis=1)).max() <= 2


def test_the_loss_legend_moves_to_a_corner_its_curves_leave_free(qtbot):
    from momentum_desktop.core.session import default_session
    from momentum_desktop.core.trajectory import Trajectory
    from momentum_desktop.gui.analysis_docks import LossDock

    dock = LossDock()
    qtbot.addWidget(dock)
    dock.resize(600, 320)
    dock.show()
    session = default_session()
    # Low for the first half, high for the second: the bottom left and the top
    # right are taken, the other two corners free.
    steps = np.arange(101)
    losses = np.where(steps < 50, 1e-8, 10.0)
    runs = []
    for _ in session.runs:
        trajectory = Trajectory()
        trajectory.append(np.zeros((101, 2)), losses)
        runs.append(trajectory)
    dock.frame_steps(100)  # as a restart does, before the curves come
    dock.show_runs(session, session.make_surface(), runs, 100)
    qtbot.wait(50)

    dock.place_legend()
    qtbot.wait(50)

    item = dock.plot.getPlotItem()
    legend, area = item.legend.sceneBoundingRect(), item.vb.sceneBoundingRect()
    left, low = legend.center().x() < area.center().x(), \
        legend.center().y() > area.center().y()
    assert left != low  # top left or bottom right
