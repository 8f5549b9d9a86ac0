"""The window as a user meets it: panes, Play, clicks, edits, closing mid-run."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor

from momentum_desktop.core.session import default_session
from momentum_desktop.gui.main_window import MainWindow

from .conftest import play_to_end


def widget_point(window: MainWindow, pane_index: int, x: float, y: float):
    """Where the view coordinate (x, y) of a pane is on the canvas widget."""
    box = window.canvas.panes[pane_index].plot.vb
    return window.canvas.mapFromScene(box.mapViewToScene(QPointF(x, y)))


def color_at(window: MainWindow, pane_index: int, x: float, y: float) -> QColor:
    image = window.canvas.grab().toImage()
    point = widget_point(window, pane_index, x, y)
    return image.pixelColor(point)


def expected_color(window: MainWindow, x: float, y: float) -> tuple[int, int, int]:
    """The colour the colour map gives f(x, y)."""
    field = window._field
    shade = field.shade_of(window.session.make_surface().value(np.array(x), np.array(y)))
    low, high = field.shade_range()
    lookup = window.canvas.panes[0].image.lut
    index = int(np.clip((shade - low) / (high - low) * (len(lookup) - 1), 0, len(lookup) - 1))
    return tuple(int(c) for c in lookup[index][:3])


def test_two_panes_show_the_same_surface_colour_scale_and_minimum(window, qtbot):
    left, right = window.canvas.panes

    assert "Gradient descent" in left.title.text
    assert "Momentum" in right.title.text
    assert np.array_equal(left.image.image, right.image.image, equal_nan=True)
    assert left.image.levels.tolist() == right.image.levels.tolist()
    assert len(left.isolines.xData) > 100
    assert left.minima.data["x"].tolist() == [0.0] and left.minima.data["y"].tolist() == [0.0]
    assert left.plot.vb.state["autoRange"] == [False, False]

    # The valley floor is drawn dark and the walls bright: viridis on a log scale,
    # each pixel the colour of f where it is (isolines may tint it a little).
    floor = color_at(window, 0, 1.0, 0.364)  # on the floor, 20 degrees up
    wall = color_at(window, 0, -4.5, 4.5)
    assert floor.lightness() + 30 < wall.lightness()
    for (x, y), seen in [((1.0, 0.364), floor), ((-4.5, 4.5), wall)]:
        expected = expected_color(window, x, y)
        assert all(abs(a - b) < 40 for a, b in zip(seen.getRgb()[:3], expected)), (
            seen.getRgb(), expected)

    # Before Play, each pane already shows its run at step 0.
    qtbot.waitUntil(lambda: all(len(t) == 1 for t in window.trajectories))
    assert left.readout.text.startswith("step 0")
    assert "ready: press Play" in left.readout.text


def test_play_runs_both_runs_to_the_end_and_tells_the_story(fast_window, qtbot):
    play_to_end(qtbot, fast_window)
    gd, heavy = fast_window.trajectories
    steps = fast_window.session.steps

    assert len(gd) == len(heavy) == steps + 1
    assert np.linalg.norm(gd.positions[-1]) > 0.3  # still short of the minimum
    assert np.linalg.norm(heavy.positions[-1]) < 1e-3  # at it
    for pane, artist in zip(fast_window.canvas.panes, fast_window.canvas.artists):
        assert f"step {steps}" in pane.readout.text
        assert "finished after 60 steps" in pane.readout.text
        assert len(artist.path.xData) == steps + 1

    # What is drawn is where the run ended.
    assert fast_window.canvas.artists[0].path.xData[-1] == gd.positions[-1, 0]
    assert fast_window.playback_dock.play_button.text() == "Replay"


def test_pause_holds_and_play_resumes(window, qtbot):
    window.playback_dock.play_button.click()
    qtbot.waitUntil(lambda: len(window.trajectories[0]) > 3, timeout=5000)

    window.playback_dock.play_button.click()  # pause
    assert window.playback_dock.play_button.text() == "Play"
    assert "paused" in window.canvas.panes[0].readout.text
    qtbot.wait(150)
    held = len(window.trajectories[0])
    qtbot.wait(300)
    assert len(window.trajectories[0]) == held

    window.playback_dock.play_button.click()  # resume where it was
    qtbot.waitUntil(lambda: len(window.trajectories[0]) > held + 2, timeout=5000)
    assert window.trajectories[0].positions[0].tolist() == list(window.session.start_point())


def test_a_click_on_a_pane_sets_the_start_and_replays(fast_window, qtbot):
    point = widget_point(fast_window, 1, 2.0, 1.0)
    with qtbot.waitSignal(fast_window.playback_finished, timeout=20_000):
        qtbot.mouseClick(fast_window.canvas.viewport(), Qt.MouseButton.LeftButton,
                         pos=point)

    x, y = fast_window.session.start
    assert x == pytest.approx(2.0, abs=0.05) and y == pytest.approx(1.0, abs=0.05)
    assert fast_window.surface_dock.start_x.value == x
    for trajectory in fast_window.trajectories:
        assert trajectory.positions[0].tolist() == [x, y]
    assert fast_window.canvas.artists[0].start.data["x"].tolist() == [x]


def test_a_parameter_change_restarts_at_once_with_the_new_value(window, qtbot):
    window.playback_dock.play_button.click()
    qtbot.waitUntil(lambda: len(window.trajectories[0]) > 5, timeout=5000)
    generation = window.runner.generation

    field = window.runs_dock.fields[0]["lr"]
    field.edit.setText("0.01")
    field.edit.editingFinished.emit()

    assert window.runner.generation == generation + 1
    assert window.session.runs[0].hyperparameters["lr"] == 0.01
    assert window.playing
    qtbot.waitUntil(lambda: len(window.trajectories[0]) >= 2, timeout=5000)

    surface = window.session.make_surface()
    start = np.array(window.session.start_point())
    gradient = np.array([g for g in surface.gradient(start[0], start[1])])
    np.testing.assert_allclose(window.trajectories[0].positions[1], start - 0.01 * gradient)
    assert "lr=0.01" in window.canvas.panes[0].title.text


@pytest.mark.parametrize(
    ("field_name", "text", "message"),
    [
        ("lr", "-1", "Learning rate must be a number >= 0; got '-1'."),
        ("lr", "fast", "Learning rate must be a number >= 0; got 'fast'."),
        ("momentum", "1", "Momentum rate must be a number in [0, 1); got '1'."),
        ("momentum", "nan", "Momentum rate must be a number in [0, 1); got 'nan'."),
    ],
)
def test_bad_hyperparameters_are_refused_at_the_field(window, field_name, text, message):
    before, generation = window.session, window.runner.generation
    field = window.runs_dock.fields[1][field_name]

    field.edit.setText(text)
    field.edit.editingFinished.emit()

    assert field.error_text == message
    assert field.error.isVisible()
    assert window.session == before and window.runner.generation == generation

    field.edit.setText("0.5")  # a good value clears the message and applies
    field.edit.editingFinished.emit()
    assert field.error_text == ""
    assert window.session.runs[1].hyperparameters[field_name] == 0.5


def test_zero_steps_and_a_start_off_the_surface_are_refused(window):
    before = window.session
    steps = window.playback_dock.steps
    steps.edit.setText("0")
    steps.edit.editingFinished.emit()
    assert steps.error_text.startswith("Number of steps must be a whole number in [1,")

    start_x = window.surface_dock.start_x
    start_x.edit.setText("12")
    start_x.edit.editingFinished.emit()
    assert "outside the surface's domain: allowed x in [-5, 5]" in start_x.error_text
    assert window.session == before


def test_changing_the_surface_redraws_and_restarts(fast_window, qtbot):
    dock = fast_window.surface_dock
    with qtbot.waitSignal(fast_window.playback_finished, timeout=20_000):
        dock.choice.setCurrentIndex(dock.choice.findData("rosenbrock"))

    assert fast_window.session.surface == "rosenbrock"
    assert set(dock.fields) == {"a", "b"}
    # The learning rate and steps follow the surface, so the first animation works.
    assert fast_window.session.runs[0].hyperparameters["lr"] == 1e-3
    assert fast_window.session.steps == 1000
    assert not any(t.status.describe().startswith("diverged")
                   for t in fast_window.trajectories)
    assert fast_window.canvas.panes[0].minima.data["x"].tolist() == [1.0]
    assert fast_window.trajectories[0].positions[0].tolist() == [-1.5, 2.5]

    with qtbot.waitSignal(fast_window.playback_finished, timeout=20_000):
        dock.fields["a"].edit.setText("0.5")
        dock.fields["a"].edit.editingFinished.emit()
    assert fast_window.canvas.panes[1].minima.data["y"].tolist() == [0.25]


@pytest.mark.parametrize("speed", [30.0, math.inf])
def test_divergence_is_reported_and_the_view_stays_on_the_surface(qtbot, speed):
    main = MainWindow(dataclasses.replace(default_session(), speed=speed))
    qtbot.addWidget(main)
    main.show()
    field = main.runs_dock.fields[0]["lr"]
    with qtbot.waitSignal(main.playback_finished, timeout=20_000):
        field.edit.setText("0.05")
        field.edit.editingFinished.emit()
    qtbot.wait(50)  # let any pending range change happen

    status = main.trajectories[0].status
    assert status.describe().startswith("diverged at step")
    assert status.describe() in main.canvas.panes[0].readout.text
    for pane in main.canvas.panes:
        (x_low, x_high), (y_low, y_high) = pane.plot.vb.viewRange()
        assert x_low >= -7 and x_high <= 7 and y_high - y_low < 20
    main.close()


def test_closing_mid_run_stops_the_worker(qtbot):
    # Rosenbrock's flat valley keeps both runs stepping for many thousand steps.
    session = dataclasses.replace(default_session(), surface="rosenbrock",
                                  steps=1_000_000, speed=math.inf)
    session = session.edited(runs=tuple(
        dataclasses.replace(run, hyperparameters=dict(run.hyperparameters, lr=1e-3))
        for run in session.runs
    ))
    main = MainWindow(session)
    qtbot.addWidget(main)
    main.show()
    main.playback_dock.play_button.click()
    qtbot.waitUntil(lambda: len(main.trajectories[0]) > 2000, timeout=10_000)

    assert not main.finished
    assert main.close()
    assert not main.runner.running


def test_panning_one_pane_moves_the_others(window):
    left, right = window.canvas.panes
    left.plot.vb.setRange(xRange=(-2.0, 1.0), yRange=(-1.0, 2.0), padding=0)
    left.plot.vb.sigRangeChangedManually.emit([True, True])  # as a drag or wheel does

    (x_low, x_high), (y_low, y_high) = right.plot.vb.viewRange()
    assert x_low <= -2.0 + 1e-6 and x_high >= 1.0 - 1e-6
    assert y_low <= -1.0 + 1e-6 and y_high >= 2.0 - 1e-6
    assert x_high - x_low < 8 and y_high - y_low < 8  # not the whole domain (10 x 10)


def test_the_view_stays_framed_across_many_edits_and_divergences(fast_window, qtbot):
    field = fast_window.runs_dock.fields[0]["lr"]
    for value in ("0.5", "0.036", "0.05", "0.02", "0.5", "0.036"):
        with qtbot.waitSignal(fast_window.playback_finished, timeout=20_000):
            field.edit.setText(value)
            field.edit.editingFinished.emit()
    qtbot.wait(50)

    for pane in fast_window.canvas.panes:
        (x_low, x_high), (y_low, y_high) = pane.plot.vb.viewRange()
        assert -5.01 <= x_low and x_high <= 5.01 and y_high - y_low < 20


def test_a_run_started_at_the_minimum_has_converged_at_step_0(fast_window, qtbot):
    with qtbot.waitSignal(fast_window.playback_finished, timeout=20_000):
        fast_window.edit_session(start=(0.0, 0.0))
    for trajectory in fast_window.trajectories:
        assert len(trajectory) == 1
        assert trajectory.status.describe() == "converged at step 0"


def test_deleting_the_window_without_closing_it_stops_the_worker(qtbot):
    main = MainWindow()
    main.show()
    runner = main.runner
    main.deleteLater()
    qtbot.waitUntil(lambda: not runner.running, timeout=5000)


def test_zooming_out_stops_at_twenty_domains(window, qtbot):
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    view = window.canvas.viewport()
    where = QPointF(view.width() / 4, view.height() / 2)
    for notch in range(600):
        QApplication.sendEvent(view, QWheelEvent(
            where, view.mapToGlobal(where), QPoint(), QPoint(0, -120),
            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase, False))

    x_min, x_max, y_min, y_max = window.canvas.view_range()
    assert x_max - x_min <= 20 * 10 * 1.01 and y_max - y_min <= 20 * 10 * 1.01
    assert x_min < -5 and x_max > 5 and y_min < -5 and y_max > 5  # the valley in view
