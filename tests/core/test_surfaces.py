import numpy as np
import pytest

from momentum_desktop.core.parameters import ParameterError
from momentum_desktop.core.surfaces import SURFACES, QuadraticValley, make_surface

SURFACE_CASES = [(key, {}) for key in SURFACES] + [
    ("valley", {"eigenvalue_along": 2.0, "eigenvalue_across": 7.0, "angle": -65.0}),
    ("rosenbrock", {"a": -0.5, "b": 3.0}),
]


@pytest.mark.parametrize(("key", "params"), SURFACE_CASES)
def test_gradient_matches_central_differences(key, params):
    surface = make_surface(key, **params)
    d = surface.domain
    rng = np.random.default_rng(7)
    x = rng.uniform(d.x_min, d.x_max, 200)
    y = rng.uniform(d.y_min, d.y_max, 200)

    h = 1e-6
    numeric_x = (surface.value(x + h, y) - surface.value(x - h, y)) / (2 * h)
    numeric_y = (surface.value(x, y + h) - surface.value(x, y - h)) / (2 * h)
    gx, gy = surface.gradient(x, y)

    scale = 1 + np.abs(numeric_x) + np.abs(numeric_y)
    np.testing.assert_array_less(np.abs(gx - numeric_x) / scale, 1e-6)
    np.testing.assert_array_less(np.abs(gy - numeric_y) / scale, 1e-6)


@pytest.mark.parametrize(("key", "params"), SURFACE_CASES)
def test_every_listed_minimum_has_its_value_and_zero_gradient(key, params):
    surface = make_surface(key, **params)
    for minimum in surface.minima:
        x, y = np.array([minimum.x]), np.array([minimum.y])
        assert surface.value(x, y)[0] == pytest.approx(minimum.value, abs=1e-12)
        gx, gy = surface.gradient(x, y)
        assert np.hypot(gx, gy)[0] < 1e-9


@pytest.mark.parametrize("key", SURFACES)
def test_default_start_lies_in_the_domain(key):
    surface = make_surface(key)
    assert surface.domain.contains(*surface.default_start)


def test_valley_eigenvalues_are_the_hessians():
    surface = QuadraticValley(eigenvalue_along=3.0, eigenvalue_across=40.0, angle=30.0)
    h = 1e-4
    hessian = np.empty((2, 2))
    for col, (dx, dy) in enumerate([(h, 0.0), (0.0, h)]):
        plus = surface.gradient(np.array([dx]), np.array([dy]))
        minus = surface.gradient(np.array([-dx]), np.array([-dy]))
        hessian[:, col] = [(plus[i][0] - minus[i][0]) / (2 * h) for i in range(2)]

    assert np.linalg.eigvalsh(hessian) == pytest.approx([3.0, 40.0])


def test_start_outside_the_domain_is_refused_with_the_domain():
    surface = make_surface("valley")
    with pytest.raises(ParameterError, match=r"outside .* allowed x in \[-5, 5\], y in \[-5, 5\]"):
        surface.check_start(9.0, 0.0)


def test_unknown_surface_and_parameter_are_refused_with_the_allowed_names():
    with pytest.raises(ParameterError, match="allowed: valley, rosenbrock, "):
        make_surface("banana")
    with pytest.raises(ParameterError, match="no parameter 'c'; allowed: a, b"):
        make_surface("rosenbrock", c=1.0)
    with pytest.raises(ParameterError, match="eigenvalue across the valley must be"):
        make_surface("valley", eigenvalue_across=0.0)


def test_the_catalogue_has_every_surface_the_lessons_use():
    assert set(SURFACES) == {
        "valley", "rosenbrock", "scaled_rosenbrock", "beale", "booth", "himmelblau",
        "rastrigin", "ackley", "goldstein_price", "six_hump_camel", "matyas", "saddle",
    }


@pytest.mark.parametrize(
    ("key", "minima"),
    [
        ("beale", [(3.0, 0.5, 0.0)]),
        ("booth", [(1.0, 3.0, 0.0)]),
        ("goldstein_price", [(0.0, -1.0, 3.0)]),
        ("himmelblau", [(3.0, 2.0, 0.0), (-2.805118, 3.131313, 0.0),
                        (-3.779310, -3.283186, 0.0), (3.584428, -1.848126, 0.0)]),
        ("six_hump_camel", [(0.0898, -0.7126, -1.0316), (-0.0898, 0.7126, -1.0316)]),
        ("scaled_rosenbrock", [(1.0, 0.3333, 0.0)]),
        ("saddle", []),
    ],
)
def test_minima_agree_with_the_standard_references(key, minima):
    listed = [(m.x, m.y, m.value) for m in make_surface(key).minima]
    assert len(listed) == len(minima)
    for got, reference in zip(listed, minima):
        assert got == pytest.approx(reference, abs=1e-4)


@pytest.mark.parametrize("key", SURFACES)
def test_gradient_descent_from_the_default_start_makes_progress(key):
    from momentum_desktop.core.simulation import RunSpec, simulate
    from momentum_desktop.core.trajectory import Trajectory

    surface = make_surface(key)
    run = RunSpec("gd", {"lr": surface.default_learning_rate}, surface.default_start)
    trajectory = Trajectory()
    for chunk in simulate(surface, [run], 100):
        trajectory.append_chunk(chunk, 0)

    assert trajectory.losses[-1] < trajectory.losses[0]
