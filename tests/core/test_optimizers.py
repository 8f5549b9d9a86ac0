"""Update rules checked against values worked by hand (torch.optim.SGD's convention)."""

import numpy as np
import pytest

from momentum_desktop.core.optimizers import (
    GradientDescent,
    Momentum,
    check_hyperparameters,
)
from momentum_desktop.core.parameters import ParameterError


def grad(position):
    """Gradient of 0.5 * (x^2 + 10 y^2), the surface the hand values were worked on."""
    return position * np.array([1.0, 10.0])


def run(optimizer, start, steps):
    position = np.array([start], dtype=float)
    path = [position[0].copy()]
    for _ in range(steps):
        position = optimizer.step(position, grad(position))
        path.append(position[0].copy())
    return np.array(path)


def test_gradient_descent_steps_against_the_gradient():
    path = run(GradientDescent([{"lr": 0.1}]), (1.0, 1.0), 2)
    np.testing.assert_allclose(path, [[1, 1], [0.9, 0.0], [0.81, 0.0]], atol=1e-15)


def test_momentum_first_step_sets_velocity_to_the_gradient():
    # v1 = g1 = (1, 10); x1 = (1, 1) - 0.1 v1 = (0.9, 0)
    # v2 = 0.5 v1 + g2 = (0.5, 5) + (0.9, 0) = (1.4, 5); x2 = (0.76, -0.5)
    # v3 = 0.5 v2 + g3 = (0.7, 2.5) + (0.76, -5) = (1.46, -2.5); x3 = (0.614, -0.25)
    path = run(Momentum([{"lr": 0.1, "momentum": 0.5}]), (1.0, 1.0), 3)
    np.testing.assert_allclose(
        path, [[1, 1], [0.9, 0.0], [0.76, -0.5], [0.614, -0.25]], atol=1e-15
    )


def test_momentum_zero_is_gradient_descent():
    gd = run(GradientDescent([{"lr": 0.05}]), (2.0, -1.0), 30)
    heavy = run(Momentum([{"lr": 0.05, "momentum": 0.0}]), (2.0, -1.0), 30)
    np.testing.assert_array_equal(gd, heavy)


def test_many_runs_step_together_each_with_its_own_hyperparameters():
    settings = [{"lr": 0.1, "momentum": 0.5}, {"lr": 0.02, "momentum": 0.9}]
    together = Momentum(settings)
    position = np.array([[1.0, 1.0], [-2.0, 0.5]])
    for _ in range(5):
        position = together.step(position, grad(position))

    for row, setting in enumerate(settings):
        alone = run(Momentum([setting]), [(1.0, 1.0), (-2.0, 0.5)][row], 5)
        np.testing.assert_allclose(position[row], alone[-1], rtol=0, atol=1e-15)


def test_reset_forgets_the_velocity():
    optimizer = Momentum([{"lr": 0.1, "momentum": 0.5}])
    first = run(optimizer, (1.0, 1.0), 3)
    optimizer.reset()
    assert np.array_equal(run(optimizer, (1.0, 1.0), 3), first)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"lr": -0.1}, r"learning rate must be a number >= 0; got -0.1"),
        ({"momentum": 1.0}, r"momentum rate must be a number in \[0, 1\); got 1"),
        ({"momentum": -0.2}, r"momentum rate must be a number in \[0, 1\)"),
        ({"lr": float("nan")}, r"learning rate must be a number >= 0; got nan"),
        ({"nesterov": 1.0}, r"no hyperparameter 'nesterov'; allowed: lr, momentum"),
    ],
)
def test_bad_hyperparameters_are_refused_with_what_is_allowed(settings, message):
    with pytest.raises(ParameterError, match=message):
        check_hyperparameters("momentum", settings)


def test_defaults_fill_missing_hyperparameters():
    assert check_hyperparameters("momentum", {}) == {"lr": 0.01, "momentum": 0.9}
