"""The rate map dock: background computation, cancel, shutdown, clicks and drags."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPointF, Qt

from momentum_desktop.core.rate_map import MapRequest, default_grid, rate_map
from momentum_desktop.core.session import RunConfig, default_session
from momentum_desktop.gui.map_dock import DIVERGED_COLOR, NOT_REACHED_COLOR, RateMapDock

MOMENTUM_RUN = 1
"""The default session's momentum run."""

VALLEY = default_session().make_surface()


@pytest.fixture
def dock(qtbot):
    """A dock on the default session; its thread is shut down after the test."""
    map_dock = RateMapDock()
    qtbot.addWidget(map_dock)
    map_dock.resize(520, 640)
    map_dock.show_session(default_session())
    yield map_dock
    assert map_dock.shutdown()


def type_into(field, text: str) -> None:
    """Type into a number field and press Enter."""
    field.edit.setText(text)
    field.commit()


def set_grid(dock: RateMapDock, lrs: int, momenta: int, steps: int) -> None:
    type_into(dock.lr_count, str(lrs))
    type_into(dock.momentum_count, str(momenta))
    type_into(dock.steps, str(steps))


def direct_request(lrs: int, momenta: int, steps: int) -> MapRequest:
    """The request the dock should build for the default session's momentum run."""
    session = default_session()
    surface = session.make_surface()
    spec = session.run_specs()[MOMENTUM_RUN]
    lr_axis, momentum_axis = default_grid(surface, spec.optimizer, lrs, momenta,
                                          spec.hyperparameters)
    return MapRequest(surface, spec.optimizer, spec.hyperparameters, spec.start,
                      lr_axis, momentum_axis, steps, 1e-8)


def start_long_map(qtbot, dock: RateMapDock) -> list[int]:
    """Start a map that takes many seconds; returns progress values as they come."""
    set_grid(dock, 300, 300, 100_000)
    values: list[int] = []
    dock.runner.progressed.connect(lambda p: values.append(round(100 * p.fraction)))
    dock.compute()
    qtbot.waitUntil(lambda: len(values) >= 2, timeout=10_000)
    return values


def test_a_small_map_matches_the_core_and_marks_its_best_cell(qtbot, dock):
    set_grid(dock, 20, 20, 300)
    seen: list[int] = []
    dock.progress_bar.valueChanged.connect(seen.append)

    with qtbot.waitSignal(dock.computed, timeout=20_000):
        dock.compute()

    expected = rate_map(direct_request(20, 20, 300))
    assert dock.image.image.shape == (20, 20, 4)
    assert dock.result.complete and dock.result.reached.any()
    assert np.array_equal(dock.result.steps_to_tolerance, expected.steps_to_tolerance)
    assert dock.result.best == expected.best

    star_x, star_y = dock.best_marker.getData()
    assert star_x[0] == pytest.approx(math.log10(expected.best.lr))
    assert star_y[0] == pytest.approx(expected.best.momentum)
    assert seen[-1] == 100 and seen == sorted(seen)
    assert not dock.is_computing and not dock.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: not dock.runner.busy, timeout=2000)


def test_cells_that_did_not_reach_or_diverged_have_their_own_colours(qtbot, dock):
    set_grid(dock, 30, 30, 200)
    with qtbot.waitSignal(dock.computed, timeout=20_000):
        dock.compute()

    result, pixels = dock.result, dock.image.image
    assert result.diverged.any() and result.not_reached.any()
    diverged = np.array(pg.mkColor(DIVERGED_COLOR).getRgb())
    not_reached = np.array(pg.mkColor(NOT_REACHED_COLOR).getRgb())
    assert (pixels[result.diverged] == diverged).all()
    assert (pixels[result.not_reached] == not_reached).all()
    reached = pixels[result.reached]
    assert not (reached == diverged).all(axis=1).any()
    assert not (reached == not_reached).all(axis=1).any()
    assert "diverged" in dock.legend.text() and "not reached" in dock.legend.text()


def test_cancel_mid_way_stops_the_updates_and_idles_the_thread(qtbot, dock):
    values = start_long_map(qtbot, dock)
    computed: list[object] = []
    dock.computed.connect(computed.append)

    dock.cancel()
    qtbot.waitUntil(lambda: not dock.runner.busy, timeout=2000)
    count = len(values)
    qtbot.wait(300)

    assert len(values) == count and values[-1] < 100
    assert not computed and not dock.result.complete
    assert not dock.is_computing and not dock.cancel_button.isEnabled()
    assert "Cancelled" in dock.message
    assert dock.runner.running  # idle, waiting for the next map


def test_a_new_compute_replaces_the_one_running(qtbot, dock):
    start_long_map(qtbot, dock)
    set_grid(dock, 12, 8, 200)

    with qtbot.waitSignal(dock.computed, timeout=20_000) as signal:
        dock.compute()

    assert signal.args[0].steps_to_tolerance.shape == (8, 12)
    qtbot.wait(200)  # anything of the old map still queued must not arrive
    assert dock.result.steps_to_tolerance.shape == (8, 12)
    assert dock.image.image.shape[:2] == (8, 12)


def test_shutdown_mid_computation_ends_the_thread(qtbot, dock):
    start_long_map(qtbot, dock)

    assert dock.shutdown(timeout_ms=2000)
    assert not dock.runner.running and not dock.is_computing


def test_closing_the_dock_window_mid_computation_ends_the_thread(qtbot, dock):
    dock.show()
    start_long_map(qtbot, dock)

    dock.close()

    assert not dock.runner.running


def test_deleting_the_dock_mid_computation_ends_the_thread(qtbot):
    map_dock = RateMapDock()
    map_dock.show_session(default_session())
    start_long_map(qtbot, map_dock)
    runner = map_dock.runner

    map_dock.deleteLater()
    qtbot.waitUntil(lambda: not runner.running, timeout=5000)


def test_clicking_a_cell_applies_its_settings(qtbot, dock):
    set_grid(dock, 20, 20, 300)
    dock.show()
    qtbot.waitExposed(dock)
    lrs, momenta = default_grid(VALLEY, "momentum", 20, 20)
    row, column = 4, 15
    box = dock.plot.getPlotItem().vb
    scene = box.mapViewToScene(QPointF(math.log10(lrs[column]), momenta[row]))
    where = dock.plot.mapFromScene(scene)

    def is_that_cell(run: int, lr: float, momentum: float) -> bool:
        return (run == MOMENTUM_RUN and lr == pytest.approx(lrs[column])
                and momentum == pytest.approx(momenta[row]))

    with qtbot.waitSignal(dock.settings_chosen, check_params_cb=is_that_cell,
                          timeout=2000):
        qtbot.mouseClick(dock.plot.viewport(), Qt.MouseButton.LeftButton, pos=where)


def test_choose_point_snaps_to_the_cell_centre(qtbot, dock):
    set_grid(dock, 10, 10, 100)
    lrs, momenta = default_grid(VALLEY, "momentum", 10, 10)
    x = math.log10(lrs[2]) + 0.3 * (math.log10(lrs[3]) - math.log10(lrs[2]))

    with qtbot.waitSignal(dock.settings_chosen, timeout=1000) as signal:
        dock.choose_point(x, momenta[7] - 0.004)

    assert signal.args == [MOMENTUM_RUN, pytest.approx(lrs[2]),
                           pytest.approx(momenta[7])]
    with qtbot.assertNotEmitted(dock.settings_chosen):
        dock.choose_point(5.0, 0.5)  # far right of the map


def test_dragging_the_marker_applies_its_position(qtbot, dock):
    x, y = dock.marker.pos()
    assert 10**x == pytest.approx(0.036) and y == pytest.approx(0.7)

    def is_dropped_setting(run: int, lr: float, momentum: float) -> bool:
        return run == MOMENTUM_RUN and lr == 0.0501 and momentum == 0.55

    with qtbot.waitSignal(dock.settings_chosen, check_params_cb=is_dropped_setting,
                          timeout=1000):
        dock.marker.setPos(math.log10(0.05012), 0.5503)
        dock.marker.sigPositionChangeFinished.emit(dock.marker)


def test_a_marker_dropped_off_the_map_is_kept_inside_it(qtbot, dock):
    lrs, momenta = default_grid(VALLEY, "momentum", 100, 100)

    with qtbot.waitSignal(dock.settings_chosen, timeout=1000) as signal:
        dock.marker.setPos(3.0, 1.4)
        dock.marker.sigPositionChangeFinished.emit(dock.marker)

    run, lr, momentum = signal.args
    assert lr == pytest.approx(lrs[-1]) and momentum == pytest.approx(momenta[-1])
    assert momentum < 1


def test_show_session_moves_the_marker_and_marks_a_changed_map_stale(qtbot, dock):
    set_grid(dock, 10, 10, 100)
    with qtbot.waitSignal(dock.computed, timeout=20_000):
        dock.compute()
    assert dock.message == ""

    session = default_session().with_run(MOMENTUM_RUN, hyperparameters={
        "lr": 0.05, "momentum": 0.6})
    dock.show_session(session)
    x, y = dock.marker.pos()
    assert 10**x == pytest.approx(0.05) and y == pytest.approx(0.6)
    assert dock.message == ""

    dock.show_session(session.edited(start=(2.0, 2.0)))
    assert "press Compute" in dock.message
    assert dock.result is not None and not dock.is_computing


def test_a_session_without_a_momentum_run_disables_compute(qtbot, dock):
    session = default_session().edited(runs=(RunConfig("gd", {"lr": 0.03}),))

    dock.show_session(session)

    assert not dock.compute_button.isEnabled()
    assert "No run has a momentum rate" in dock.message
    assert dock.run_choice.count() == 0 and not dock.marker.isVisible()
    dock.compute()
    assert not dock.is_computing and not dock.runner.running


def test_a_surface_without_a_minimum_disables_compute(qtbot, dock):
    session = default_session().edited(surface="expression", expression="x^2 + y",
                                       domain=(-5.0, 5.0, -5.0, 5.0))

    dock.show_session(session)

    assert not dock.compute_button.isEnabled()
    assert "lists no minimum" in dock.message


def test_bad_grid_values_are_refused_with_a_message(qtbot, dock):
    type_into(dock.lr_count, "1")
    assert "learning rates must be a whole number in [2, 500]" in \
        dock.lr_count.error_text.lower()
    assert dock.lr_count.value == 100

    type_into(dock.tolerance, "-1")
    assert "tolerance must be" in dock.tolerance.error_text.lower()

    dock.steps.edit.setText("many")  # typed, never committed
    dock.compute()
    assert "must be" in dock.steps.error_text
    assert not dock.is_computing and "Fix the grid settings" in dock.message


def test_before_compute_the_empty_map_says_how_to_fill_it(qtbot, dock):
    assert dock.image.image is None
    assert "Press Compute to run all 10,000 cells" in dock.legend.text()

    with qtbot.waitSignal(dock.computed, timeout=20_000):
        set_grid(dock, 10, 10, 100)
        dock.compute()
    assert "Press Compute" not in dock.legend.text()


def test_the_predicted_rate_shows_without_computing(qtbot, dock):
    set_grid(dock, 20, 10, 100)

    dock.color_choice.setCurrentIndex(dock.color_choice.findData("predicted"))

    assert dock.image.image.shape == (10, 20, 4)
    assert "lowest rate" in dock.legend.text()
    assert not dock.is_computing and dock.message == ""


def test_without_a_theory_the_predicted_rate_says_so(qtbot, dock):
    session = default_session().edited(runs=(RunConfig("adam", {"lr": 0.05}),))
    dock.show_session(session)

    dock.color_choice.setCurrentIndex(dock.color_choice.findData("predicted"))

    assert "No predicted rate for Adam" in dock.message
    assert dock.compute_button.isEnabled()


def test_the_theory_optimum_is_marked_beside_the_best_cell(qtbot, dock):
    from momentum_desktop.core.theory import theory_for

    theory = theory_for(VALLEY, default_session().run_specs()[MOMENTUM_RUN].start)

    x, y = dock.theory_marker.getData()
    assert 10 ** x[0] == pytest.approx(theory.momentum_best_lr)
    assert y[0] == pytest.approx(theory.momentum_best_momentum)
    assert f"theory's optimum: lr {theory.momentum_best_lr:.4g}" in dock.legend.text()

    nesterov = default_session().with_run(MOMENTUM_RUN, hyperparameters={
        "lr": 0.03, "momentum": 0.7, "nesterov": True})
    dock.show_session(nesterov)
    assert len(dock.theory_marker.getData()[0]) == 0
    assert "theory's optimum" not in dock.legend.text()
