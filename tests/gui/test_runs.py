"""Many runs in the window: adding, editing, layouts, the comparison, custom surfaces."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt, QTimer

from momentum_desktop.core.session import MAX_RUNS

from .test_window import widget_point


def finish(qtbot, window, action):
    with qtbot.waitSignal(window.playback_finished, timeout=30_000):
        action()


def commit(field, text):
    field.edit.setText(text)
    field.edit.editingFinished.emit()


def test_adding_and_removing_runs_changes_the_panes(fast_window, qtbot):
    dock = fast_window.runs_dock
    finish(qtbot, fast_window, dock.add_button.click)
    assert len(fast_window.session.runs) == 3
    assert len(fast_window.canvas.panes) == 3 and len(dock.editors) == 3
    assert fast_window.session.runs[2].optimizer == "momentum"
    qtbot.wait(20)
    heights = [pane.plot.vb.height() for pane in fast_window.canvas.panes]
    assert min(heights) > 0.5 * fast_window.canvas.height()  # the panes fill the canvas

    for _ in range(MAX_RUNS - 3):
        finish(qtbot, fast_window, dock.add_button.click)
    assert len(fast_window.canvas.panes) == MAX_RUNS
    assert not dock.add_button.isEnabled()

    finish(qtbot, fast_window, lambda: dock.run_removed.emit(0))
    assert len(fast_window.session.runs) == MAX_RUNS - 1
    assert fast_window.session.runs[0].optimizer == "momentum"


def test_switching_a_runs_optimizer_shows_its_hyperparameters(fast_window, qtbot):
    editor = fast_window.runs_dock.editors[0]
    finish(qtbot, fast_window,
           lambda: editor.optimizer.setCurrentIndex(editor.optimizer.findData("adam")))

    run = fast_window.session.runs[0]
    assert run.optimizer == "adam"
    fields = fast_window.runs_dock.fields[0]
    assert set(fields) == {"lr", "betas", "eps", "weight_decay", "amsgrad"}
    assert "Adam" in fast_window.canvas.panes[0].title.text

    before = fast_window.session
    commit(fields["betas"], "0.9")
    assert "like 0.9,0.999" in fields["betas"].error_text
    commit(fields["betas"], "0.9, 1")
    assert "each in [0, 1)" in fields["betas"].error_text
    assert fast_window.session == before

    finish(qtbot, fast_window, lambda: commit(fields["betas"], "0.8, 0.99"))
    assert fast_window.session.runs[0].hyperparameters["betas"] == (0.8, 0.99)
    assert fields["betas"].error_text == ""


def test_a_flag_that_does_not_go_with_the_others_is_refused_and_unticked(fast_window,
                                                                         qtbot):
    fields = fast_window.runs_dock.fields[1]
    finish(qtbot, fast_window, lambda: commit(fields["dampening"], "0.3"))
    before = fast_window.session

    fields["nesterov"].setChecked(True)

    assert fast_window.session == before
    assert not fields["nesterov"].isChecked()
    editor = fast_window.runs_dock.editors[1]
    assert "Nesterov momentum needs" in editor.message.text()


def test_overlaid_layout_draws_every_run_in_one_pane_with_a_legend(fast_window, qtbot):
    dock = fast_window.runs_dock
    finish(qtbot, fast_window, lambda: dock.layout_choice.setCurrentIndex(
        dock.layout_choice.findData("overlay")))

    assert len(fast_window.canvas.panes) == 1
    pane = fast_window.canvas.panes[0]
    names = [label.text for _, label in pane.legend.items]
    assert names == [run.title() for run in fast_window.session.runs]
    assert len(fast_window.canvas.artists) == 2
    assert pane.readout.text.count("finished after 60 steps") == 2


def test_the_overlaid_legend_keeps_clear_of_the_start(fast_window, qtbot):
    from momentum_desktop.core.presets import load_preset

    fast_window.apply_session(load_preset("rosenbrock-race"), play=False)
    qtbot.wait(50)
    pane = fast_window.canvas.panes[0]

    legend = pane.legend.sceneBoundingRect()
    start = pane.plot.vb.mapViewToScene(pg.Point(-1.5, 2.5))  # top left
    assert not legend.contains(start)
    assert legend.center().y() > pane.plot.vb.sceneBoundingRect().center().y()


def test_the_comparison_shows_slow_good_and_overshooting_runs(fast_window, qtbot):
    import dataclasses
    import math

    from momentum_desktop.core.session import momentum_comparison

    finish(qtbot, fast_window, lambda: fast_window.apply_session(
        dataclasses.replace(momentum_comparison(), speed=math.inf)))

    assert len(fast_window.canvas.panes) == 4
    titles = [p.title.text for p in fast_window.canvas.panes]
    assert [t.split("beta = ")[1].split(":")[0] for t in titles] == [
        "0", "0.5", "0.9", "0.99"]
    assert "too small" in titles[1] and "overshoots" in titles[3]
    distance = [float(np.linalg.norm(t.positions[-1])) for t in fast_window.trajectories]
    assert distance[0] > 1 and distance[1] > 1 and distance[2] < 1e-2 and distance[3] > 0.5


def test_gradient_noise_makes_a_reproducible_stochastic_run(fast_window, qtbot):
    editor = fast_window.runs_dock.editors[1]
    finish(qtbot, fast_window, lambda: fast_window.restart(play=True))
    exact = fast_window.trajectories[1].positions.copy()

    finish(qtbot, fast_window, lambda: commit(editor.noise, "0.5"))
    first = fast_window.trajectories[1].positions.copy()
    assert "noise=0.5" in fast_window.canvas.panes[1].title.text
    finish(qtbot, fast_window, lambda: commit(editor.seed, "4"))
    other_seed = fast_window.trajectories[1].positions.copy()
    finish(qtbot, fast_window, lambda: commit(editor.seed, "0"))
    same_seed = fast_window.trajectories[1].positions.copy()

    assert not np.allclose(first, exact)
    assert not np.allclose(first, other_seed)
    assert np.array_equal(first, same_seed)


def test_a_run_with_its_own_start_moves_alone_when_its_pane_is_clicked(fast_window,
                                                                       qtbot):
    editor = fast_window.runs_dock.editors[1]
    finish(qtbot, fast_window, lambda: editor.own_start.setChecked(True))
    shared = fast_window.session.start_point()

    point = widget_point(fast_window, 1, 1.0, 2.0)
    finish(qtbot, fast_window, lambda: qtbot.mouseClick(
        fast_window.canvas.viewport(), Qt.MouseButton.LeftButton, pos=point))

    gd, heavy = fast_window.trajectories
    assert gd.positions[0].tolist() == list(shared)
    assert heavy.positions[0] == pytest.approx([1.0, 2.0], abs=0.05)


def test_a_custom_expression_is_drawn_and_bad_text_is_pointed_at(fast_window, qtbot):
    dock = fast_window.surface_dock
    finish(qtbot, fast_window, lambda: dock.choice.setCurrentIndex(
        dock.choice.findData("expression")))
    assert dock.expression_box.isVisible()

    before = fast_window.session
    with qtbot.waitSignal(fast_window.expression_applied, timeout=20_000):
        dock.expression.edit.setText("x**2 + os.system(y)")
        dock.expression.edit.editingFinished.emit()
    assert dock.expression.error_text.startswith("'os.system' at position 8:")
    assert fast_window.session == before

    with qtbot.waitSignal(fast_window.expression_applied, timeout=20_000):
        dock.expression.edit.setText("log(x) + y^2")
        dock.expression.edit.editingFinished.emit()
    assert fast_window.session.expression == "log(x) + y^2"
    assert dock.expression.error_text == ""
    qtbot.wait(100)  # drawn

    # Where log is undefined (x < 0) the cells are blank: the background shows.
    image = fast_window.canvas.grab().toImage()
    blank = image.pixelColor(widget_point(fast_window, 0, -3.0, 0.0))
    assert blank.name() == "#14161c"
    defined = image.pixelColor(widget_point(fast_window, 0, 3.0, 0.0))
    assert defined.name() != "#14161c"


def test_a_slow_expression_compiles_while_the_window_keeps_working(fast_window,
                                                                  qtbot, monkeypatch):
    import threading

    from momentum_desktop.gui import compiling

    dock = fast_window.surface_dock
    finish(qtbot, fast_window, lambda: dock.choice.setCurrentIndex(
        dock.choice.findData("expression")))
    slow = "*".join(f"sin(x+{k})" for k in range(1, 45))  # a second or more in sympy
    threads = []
    build = compiling.ExpressionSurface
    monkeypatch.setattr(compiling, "ExpressionSurface", lambda *args: (
        threads.append(threading.current_thread()), build(*args))[1])
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)

    with qtbot.waitSignal(fast_window.expression_applied, timeout=60_000):
        dock.expression.edit.setText(slow)
        dock.expression.edit.editingFinished.emit()
    timer.stop()

    assert fast_window.session.expression == slow
    assert threads and threads[0] is not threading.main_thread()
    assert len(ticks) > 5  # the event loop ran while sympy worked

def test_a_value_the_session_refuses_stays_refused_on_a_second_enter(fast_window,
                                                                   qtbot):
    editor = fast_window.runs_dock.editors[1]
    finish(qtbot, fast_window, lambda: editor.fields["nesterov"].setChecked(True))
    dampening = editor.fields["dampening"]

    for _ in range(2):  # Enter, then Enter again on the same text
        dampening.edit.setText("0.5")
        dampening.commit()
        assert "dampening" in dampening.error_text.lower()
    assert fast_window.session.runs[1].hyperparameters.get("dampening", 0.0) == 0.0
    assert dampening.value == 0.0


def test_a_refused_domain_bound_is_marked_where_it_was_typed(fast_window, qtbot):
    dock = fast_window.surface_dock
    finish(qtbot, fast_window, lambda: dock.choice.setCurrentIndex(
        dock.choice.findData("expression")))
    x_min, x_max, y_min, y_max = dock.domain_fields

    y_max.edit.setText("-10")  # below y min
    y_max.commit()
    assert "y min < y max" in y_max.error_text and x_min.error_text == ""
    assert y_max.value == 5.0

    finish(qtbot, fast_window, lambda: (x_max.edit.setText("6"), x_max.commit()))
    assert fast_window.session.domain == (-5.0, 6.0, -5.0, 5.0)
