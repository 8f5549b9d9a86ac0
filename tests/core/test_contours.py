import numpy as np

from momentum_desktop.core.contours import contour_field
from momentum_desktop.core.surfaces import make_surface


def test_grid_values_are_f_at_x_column_y_row_on_an_unsymmetric_surface():
    surface = make_surface("rosenbrock")
    field = contour_field(surface, resolution=41)

    for j, i in [(0, 0), (3, 30), (40, 7), (22, 22)]:
        expected = surface.value(np.array(field.x[i]), np.array(field.y[j]))
        assert field.values[j, i] == expected
    assert field.x[0] == surface.domain.x_min and field.y[-1] == surface.domain.y_max


def test_isolines_lie_on_their_levels():
    surface = make_surface("valley")
    field = contour_field(surface, resolution=200, level_count=8)

    assert len(field.isolines) == 8 and np.all(np.diff(field.levels) > 0)
    for level, line in zip(field.levels, field.isolines):
        points = line[np.isfinite(line).all(axis=1)]
        assert len(points) > 10
        values = surface.value(points[:, 0], points[:, 1])
        np.testing.assert_allclose(values, level, rtol=0.05, atol=1e-3 * level)


def test_log_shading_keeps_the_rosenbrock_valley_floor_visible():
    field = contour_field(make_surface("rosenbrock"), resolution=200)
    low, high = field.shade_range()

    assert high - low > 4  # several decades: a linear scale would show one colour
    floor = field.shade_of(np.array([0.0, 1.0]))
    assert floor[0] < floor[1] < high
