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
        ({"nesterov": 1.0}, r"Nesterov must be true or false; got 1.0"),
        ({"betas": (0.9, 0.99)}, r"no hyperparameter 'betas'; allowed: lr, momentum, "),
    ],
)
def test_bad_hyperparameters_are_refused_with_what_is_allowed(settings, message):
    with pytest.raises(ParameterError, match=message):
        check_hyperparameters("momentum", settings)


def test_defaults_fill_missing_hyperparameters():
    assert check_hyperparameters("momentum", {}) == {
        "lr": 1e-3, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.0,
        "nesterov": False, "moving_average": False,
    }


# ----- every rule as torch.optim documents it, applied by hand with Python floats -----

def rosenbrock_grad(x, y):
    return -2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)


def by_hand(rule, start, steps, **h):
    """Apply a documented update rule coordinate by coordinate, with plain floats."""
    point, state = list(start), [{} for _ in range(2)]
    path = [tuple(point)]
    for t in range(1, steps + 1):
        grads = rosenbrock_grad(*point)
        for i in range(2):
            g = grads[i] + h.get("weight_decay", 0.0) * point[i]
            point[i] = rule(point[i], g, t, state[i], **h)
        path.append(tuple(point))
    return np.array(path)


def sgd_rule(x, g, t, s, lr, momentum=0.0, dampening=0.0, nesterov=False, **_):
    if momentum != 0:
        s["b"] = g if t == 1 else momentum * s["b"] + (1 - dampening) * g
        g = g + momentum * s["b"] if nesterov else s["b"]
    return x - lr * g


def adagrad_rule(x, g, t, s, lr, lr_decay=0.0, initial_accumulator_value=0.0,
                 eps=1e-10, **_):
    clr = lr / (1 + (t - 1) * lr_decay)
    s["sum"] = s.get("sum", initial_accumulator_value) + g * g
    return x - clr * g / (s["sum"] ** 0.5 + eps)


def rmsprop_rule(x, g, t, s, lr, alpha=0.99, eps=1e-8, momentum=0.0, centered=False,
                 **_):
    s["sq"] = alpha * s.get("sq", 0.0) + (1 - alpha) * g * g
    average = s["sq"]
    if centered:
        s["g"] = alpha * s.get("g", 0.0) + (1 - alpha) * g
        average = average - s["g"] ** 2
    scaled = g / (average ** 0.5 + eps)
    if momentum > 0:
        s["b"] = momentum * s.get("b", 0.0) + scaled
        return x - lr * s["b"]
    return x - lr * scaled


def adam_rule(x, g, t, s, lr, betas=(0.9, 0.999), eps=1e-8, amsgrad=False, **_):
    b1, b2 = betas
    s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
    s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
    second = s["v"]
    if amsgrad:
        s["vmax"] = max(s.get("vmax", 0.0), s["v"])
        second = s["vmax"]
    denominator = second ** 0.5 / (1 - b2**t) ** 0.5 + eps
    return x - lr / (1 - b1**t) * s["m"] / denominator


HAND_CASES = [
    ("gd", sgd_rule, {"lr": 1e-3, "weight_decay": 0.1}),
    ("momentum", sgd_rule, {"lr": 1e-3, "momentum": 0.9}),
    ("momentum", sgd_rule, {"lr": 1e-3, "momentum": 0.8, "dampening": 0.5}),
    ("momentum", sgd_rule, {"lr": 1e-3, "momentum": 0.9, "nesterov": True}),
    ("nesterov", sgd_rule, {"lr": 1e-3, "momentum": 0.5, "weight_decay": 0.01}),
    ("adagrad", adagrad_rule, {"lr": 0.05, "lr_decay": 0.1,
                               "initial_accumulator_value": 0.5}),
    ("rmsprop", rmsprop_rule, {"lr": 0.01}),
    ("rmsprop", rmsprop_rule, {"lr": 0.01, "alpha": 0.9, "momentum": 0.6,
                               "centered": True}),
    ("adam", adam_rule, {"lr": 0.01}),
    ("adam", adam_rule, {"lr": 0.01, "betas": (0.5, 0.9), "amsgrad": True,
                         "weight_decay": 0.2}),
]


@pytest.mark.parametrize(("key", "rule", "hyper"), HAND_CASES,
                         ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(HAND_CASES)])
def test_vectorized_rule_matches_the_documented_rule_applied_by_hand(key, rule, hyper):
    from momentum_desktop.core.simulation import RunSpec
    from momentum_desktop.core.surfaces import make_surface
    from momentum_desktop.core.trajectory import record

    documented = dict(hyper, nesterov=True) if key == "nesterov" else hyper
    expected = by_hand(rule, (-1.2, 1.0), 60, **documented)
    (trajectory,) = record(make_surface("rosenbrock"), [RunSpec(key, hyper, (-1.2, 1.0))],
                           60, tolerance=0.0)
    np.testing.assert_allclose(trajectory.positions, expected, rtol=1e-12, atol=1e-14)


def test_moving_average_form_is_torch_form_with_lr_times_one_minus_beta():
    from momentum_desktop.core.simulation import RunSpec
    from momentum_desktop.core.surfaces import make_surface
    from momentum_desktop.core.trajectory import record

    beta, lr = 0.9, 0.004
    average = RunSpec("momentum", {"lr": lr, "momentum": beta, "moving_average": True},
                      (-1.2, 1.0))
    torch_form = RunSpec("momentum", {"lr": lr * (1 - beta), "momentum": beta},
                         (-1.2, 1.0))
    dampened = RunSpec("momentum", {"lr": lr, "momentum": beta, "dampening": beta},
                       (-1.2, 1.0))
    a, b, c = record(make_surface("rosenbrock"), [average, torch_form, dampened], 200,
                     tolerance=0.0)

    np.testing.assert_allclose(a.positions, b.positions, rtol=1e-12, atol=1e-14)
    assert not np.allclose(a.positions[1], c.positions[1])  # dampening skips step 1


@pytest.mark.parametrize(
    ("key", "settings", "message"),
    [
        ("nesterov", {"momentum": 0.0}, "Nesterov momentum needs a momentum rate > 0"),
        ("momentum", {"nesterov": True, "dampening": 0.1}, "and dampening 0"),
        ("momentum", {"moving_average": True, "dampening": 0.1}, "moving-average form"),
        ("adam", {"betas": (0.9, 1.0)}, r"betas must be two numbers, each in \[0, 1\)"),
        ("adam", {"eps": -1e-8}, "eps must be a number >= 0"),
        ("rmsprop", {"alpha": 1.0}, r"alpha must be a number in \[0, 1\)"),
        ("adagrad", {"lr_decay": -0.1}, "learning rate decay must be a number >= 0"),
        ("sgd", {}, "unknown optimizer 'sgd'; allowed: gd, momentum, nesterov, adagrad"),
    ],
)
def test_torch_range_checks_are_enforced(key, settings, message):
    with pytest.raises(ParameterError, match=message):
        check_hyperparameters(key, settings)
