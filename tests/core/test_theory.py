"""The quadratic's theory, checked against values worked by hand and against runs."""

import logging
import math

import numpy as np
import pytest

from momentum_desktop.core.simulation import RunSpec
from momentum_desktop.core.surfaces import make_surface
from momentum_desktop.core.theory import (
    QuadraticTheory,
    hessian,
    iteration_matrices,
    measured_rate,
    nearest_minimum,
    predicted_rate,
    predicted_rate_grid,
    theory_for,
)
from momentum_desktop.core.trajectory import record

KAPPA_100 = (1.0, 100.0)


def valley_100():
    return make_surface("valley", eigenvalue_along=1.0, eigenvalue_across=100.0)


def test_best_settings_for_eigenvalues_1_and_100_are_the_hand_worked_ones():
    # sqrt(kappa) = 10: momentum lr (2 / 11)^2, beta (9 / 11)^2, rate 9 / 11.
    theory = QuadraticTheory(KAPPA_100, (0.0, 0.0), local=False)

    assert theory.condition_number == 100.0
    assert theory.gd_best_lr == pytest.approx(2 / 101, rel=1e-15)
    assert theory.gd_best_rate == pytest.approx(99 / 101, rel=1e-15)
    assert theory.momentum_best_lr == pytest.approx(4 / 121, rel=1e-15)
    assert theory.momentum_best_momentum == pytest.approx(81 / 121, rel=1e-15)
    assert theory.momentum_best_rate == pytest.approx(9 / 11, rel=1e-15)


def test_gradient_descent_at_its_best_learning_rate_predicts_its_best_rate():
    assert predicted_rate(KAPPA_100, "gd", {"lr": 2 / 101}) == pytest.approx(
        99 / 101, abs=1e-12)


def test_momentum_at_its_best_settings_predicts_its_best_rate():
    settings = {"lr": 4 / 121, "momentum": 81 / 121}
    assert predicted_rate(KAPPA_100, "momentum", settings) == pytest.approx(
        9 / 11, abs=1e-9)


@pytest.mark.parametrize("lr, beta", [(0.02, 0.81), (0.03, 0.7), (0.011, 0.95)])
def test_heavy_ball_with_complex_roots_converges_at_the_root_of_beta(lr, beta):
    # Complex in both directions: lr * lambda in ((1 - sqrt b)^2, (1 + sqrt b)^2).
    low, high = (1 - math.sqrt(beta)) ** 2, (1 + math.sqrt(beta)) ** 2
    assert all(low < lr * e < high for e in KAPPA_100)

    rate = predicted_rate(KAPPA_100, "momentum", {"lr": lr, "momentum": beta})
    assert rate == pytest.approx(math.sqrt(beta), abs=1e-12)


@pytest.mark.parametrize("lr, beta", [(0.01, 0.5), (0.1, 0.9), (0.005, 0.0)])
def test_the_moving_average_form_is_torch_form_with_lr_times_one_minus_beta(lr, beta):
    average = predicted_rate(KAPPA_100, "momentum",
                             {"lr": lr, "momentum": beta, "moving_average": True})
    torch_form = predicted_rate(KAPPA_100, "momentum",
                                {"lr": lr * (1 - beta), "momentum": beta})
    assert average == pytest.approx(torch_form, abs=1e-12)


def test_the_iteration_matrices_are_the_hand_worked_ones():
    # Heavy ball on 0.5 x^2: v' = 0.5 v + x, x' = x - 0.1 v' = 0.9 x - 0.05 v.
    (heavy,) = iteration_matrices([1.0], "momentum", {"lr": 0.1, "momentum": 0.5})
    np.testing.assert_allclose(heavy, [[0.9, -0.05], [1.0, 0.5]], atol=1e-15)

    # Nesterov: x' = x - 0.1 (x + 0.5 v') = 0.85 x - 0.025 v.
    (nesterov,) = iteration_matrices([1.0], "nesterov", {"lr": 0.1, "momentum": 0.5})
    np.testing.assert_allclose(nesterov, [[0.85, -0.025], [1.0, 0.5]], atol=1e-15)

    (plain,) = iteration_matrices([4.0], "gd", {"lr": 0.1})
    np.testing.assert_allclose(plain, [[0.6]], atol=1e-15)


def test_the_stability_edges_are_where_the_rate_crosses_one():
    # Gradient descent: lr < 2 / lambda_max. Heavy ball: lr < 2 (1 + beta) / lambda_max.
    assert predicted_rate(KAPPA_100, "gd", {"lr": 0.0199}) < 1
    assert predicted_rate(KAPPA_100, "gd", {"lr": 0.0201}) > 1
    assert predicted_rate(KAPPA_100, "momentum", {"lr": 0.0379, "momentum": 0.9}) < 1
    assert predicted_rate(KAPPA_100, "momentum", {"lr": 0.0381, "momentum": 0.9}) > 1


@pytest.mark.parametrize("key", ["adagrad", "rmsprop", "adam"])
def test_adaptive_optimizers_have_no_linear_theory(key):
    assert predicted_rate(KAPPA_100, key, {}) is None
    assert predicted_rate_grid(KAPPA_100, key, {}, np.ones(3), np.zeros(2)) is None


@pytest.mark.parametrize("key, base", [
    ("gd", {}),
    ("gd", {"weight_decay": 0.5}),
    ("momentum", {}),
    ("momentum", {"dampening": 0.3, "weight_decay": 0.2}),
    ("momentum", {"moving_average": True}),
    ("momentum", {"nesterov": True}),
    ("nesterov", {"weight_decay": 0.1}),
])
def test_the_closed_form_grid_agrees_with_the_optimizer_built_matrices(key, base):
    rng = np.random.default_rng(7)
    lrs = np.sort(10 ** rng.uniform(-4, -0.5, 9))
    momenta = np.concatenate([[0.0], np.sort(rng.uniform(0, 0.99, 6))])
    if key == "nesterov" or base.get("nesterov"):
        momenta = momenta[1:]  # Nesterov refuses a momentum rate of 0.
    eigenvalues = (0.7, 3.0, 100.0)

    grid = predicted_rate_grid(eigenvalues, key, base, lrs, momenta)

    assert grid.shape == (len(momenta), len(lrs))
    for (row, column), rate in np.ndenumerate(grid):
        settings = {**base, "lr": lrs[column]}
        if key != "gd":
            settings["momentum"] = momenta[row]
        assert rate == pytest.approx(predicted_rate(eigenvalues, key, settings),
                                     abs=1e-7)


@pytest.mark.parametrize("key, settings", [
    ("gd", {"lr": 2 / 101}),
    ("gd", {"lr": 0.015}),
    ("momentum", {"lr": 0.01, "momentum": 0.5}),
    ("momentum", {"lr": 0.02, "momentum": 0.81}),
    ("momentum", {"lr": 0.012, "momentum": 0.6, "dampening": 0.3}),
    ("momentum", {"lr": 0.01, "momentum": 0.5, "moving_average": True}),
    ("nesterov", {"lr": 0.01, "momentum": 0.5}),
])
def test_a_recorded_run_converges_at_the_predicted_rate(key, settings):
    surface = valley_100()
    (trajectory,) = record(surface, [RunSpec(key, settings, surface.default_start)],
                           3000, tolerance=0.0)

    measured = measured_rate(trajectory.losses, 0.0)
    assert measured == pytest.approx(predicted_rate(KAPPA_100, key, settings),
                                     abs=1e-3)


def test_a_measured_rate_needs_enough_points_above_the_floor():
    assert measured_rate(np.array([1.0, 0.5, 0.0, 0.0]), 0.0) is None
    assert measured_rate(np.array([0.0, 0.0]), 0.0) is None
    assert measured_rate(np.array([]), 0.0) is None

    geometric = 0.81 ** np.arange(40)
    assert measured_rate(geometric, 0.0) == pytest.approx(0.9, abs=1e-12)
    assert measured_rate(3.0 + geometric, 3.0) == pytest.approx(0.9, abs=1e-6)


def test_the_valley_theory_is_exact():
    surface = make_surface("valley", eigenvalue_along=2.0, eigenvalue_across=50.0,
                           angle=35.0)
    theory = theory_for(surface, surface.default_start)

    assert theory == QuadraticTheory((2.0, 50.0), (0.0, 0.0), local=False)
    assert theory.condition_number == 25.0
    np.testing.assert_allclose(np.linalg.eigvalsh(hessian(surface, 0.3, -0.2)),
                               [2.0, 50.0], rtol=1e-8)


def test_rosenbrock_theory_is_local_at_its_minimum():
    surface = make_surface("rosenbrock")
    theory = theory_for(surface, surface.default_start)

    expected = np.linalg.eigvalsh(np.array([[802.0, -400.0], [-400.0, 200.0]]))
    np.testing.assert_allclose(theory.eigenvalues, expected, rtol=1e-6)
    assert theory.point == (1.0, 1.0)
    assert theory.local
    np.testing.assert_allclose(hessian(surface, 1.0, 1.0),
                               [[802.0, -400.0], [-400.0, 200.0]], rtol=1e-8)


def test_the_hessian_of_booth_is_its_constant_one():
    np.testing.assert_allclose(hessian(make_surface("booth"), -3.0, 4.0),
                               [[10.0, 8.0], [8.0, 10.0]], rtol=1e-8)


def test_no_theory_without_a_minimum_or_without_smoothness(caplog):
    caplog.set_level(logging.DEBUG, logger="momentum_desktop.core.theory")

    assert theory_for(make_surface("saddle"), (-1.8, 0.01)) is None
    assert "lists no minimum" in caplog.text

    # Ackley's cone has no Hessian at its minimum.
    assert theory_for(make_surface("ackley"), (-3.2, 2.6)) is None
    assert "not smooth" in caplog.text


@pytest.mark.parametrize("start, index", [((2.0, -1.0), 3), ((-3.0, 3.0), 1),
                                          ((-3.0, -2.0), 2), ((2.0, 2.5), 0)])
def test_himmelblau_theory_is_at_the_minimum_nearest_the_start(start, index):
    surface = make_surface("himmelblau")
    minimum = surface.minima[index]

    theory = theory_for(surface, start)

    assert nearest_minimum(surface, start) == minimum
    assert theory.point == (minimum.x, minimum.y)
    expected = np.linalg.eigvalsh(hessian(surface, minimum.x, minimum.y))
    np.testing.assert_allclose(theory.eigenvalues, expected)
    assert theory.local and theory.eigenvalues[0] > 0


def test_a_long_loss_curve_is_fitted_from_an_even_sample_to_the_same_rate():
    rate = 0.99995
    steps = np.arange(300_001)
    losses = 3.0 + 2.0 * rate ** (2 * steps) * (1 + 0.01 * np.cos(steps))

    assert measured_rate(losses, 3.0) == pytest.approx(rate, abs=1e-7)
