"""Each preset shows what its lesson says: the numbers behind the sentences."""

from __future__ import annotations

import numpy as np
import pytest

from momentum_desktop.core.presets import LESSONS, PRESETS, load_preset
from momentum_desktop.core.simulation import RunState
from momentum_desktop.core.trajectory import Trajectory, record


def play(name: str) -> list[Trajectory]:
    session = load_preset(name)
    return record(session.make_surface(), session.run_specs(), session.steps)


def final_loss(trajectory: Trajectory) -> float:
    return float(trajectory.losses[-1])


def test_every_preset_has_a_lesson():
    assert LESSONS.keys() == PRESETS.keys()


def test_gd_falls_short_where_momentum_arrives():
    gd, momentum = play("valley-gd-vs-momentum")
    assert final_loss(gd) > 0.1 and final_loss(momentum) < 1e-6


@pytest.mark.parametrize("name", ["momentum-too-small", "momentum-too-large"])
def test_the_wrong_momentum_rate_is_far_from_the_minimum_where_0_9_is_there(name):
    wrong, right = play(name)
    assert final_loss(wrong) > 1.0 and final_loss(right) < 1e-5


def test_too_large_a_rate_swings_across_the_minimum():
    too_large, _ = play("momentum-too-large")
    along = too_large.positions @ np.array([np.cos(np.radians(20)),
                                           np.sin(np.radians(20))])
    assert (np.diff(np.sign(along)) != 0).sum() >= 3  # crosses it again and again


def test_four_rates_slow_slow_good_overshooting():
    zero, half, good, large = (final_loss(t) for t in play("four-momentum-rates"))
    assert good < 1e-5
    assert min(zero, half, large) > 0.5


def test_the_rosenbrock_race_ends_in_the_order_the_lesson_gives():
    gd, momentum, nesterov, adagrad, rmsprop, adam = (final_loss(t)
                                                      for t in play("rosenbrock-race"))
    assert nesterov < 1e-4 and momentum < 1e-3 and adam < 1e-2
    assert max(nesterov, momentum, adam) < rmsprop < min(gd, adagrad)


def test_at_the_saddle_gd_lingers_while_momentum_and_adam_leave():
    gd, momentum, adam = play("escaping-a-saddle")
    assert abs(gd.positions[-1, 1]) < 0.05
    assert momentum.positions[-1, 1] > 2.0 and adam.positions[-1, 1] > 1.0


def test_on_beale_too_large_a_momentum_rate_flies_off_and_both_others_arrive():
    adam, momentum, too_large = play("adam-vs-momentum-on-beale")
    assert too_large.status.state is RunState.DIVERGED and too_large.status.step < 20
    assert final_loss(adam) < 1e-4 and final_loss(momentum) < 1e-4


def test_stochastic_gradients_momentum_averages_the_noise():
    gd, noisy, exact = play("stochastic-gradients")
    assert final_loss(noisy) < final_loss(gd)
    assert final_loss(exact) < 1e-6
    assert np.array_equal(play("stochastic-gradients")[0].positions, gd.positions)
