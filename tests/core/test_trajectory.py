import numpy as np

from momentum_desktop.core.trajectory import Trajectory, decimate


def test_trajectory_grows_past_its_capacity_and_keeps_every_point():
    trajectory = Trajectory(capacity=2)
    points = np.arange(20.0).reshape(10, 2)
    for start in range(0, 10, 3):
        trajectory.append(points[start:start + 3], points[start:start + 3, 0])

    assert len(trajectory) == 10
    np.testing.assert_array_equal(trajectory.positions, points)
    np.testing.assert_array_equal(trajectory.steps, np.arange(10))


def test_decimate_keeps_the_first_and_last_point_and_at_most_about_most():
    points = np.arange(20_001.0)[:, None].repeat(2, axis=1)
    kept = decimate(points, 1000)

    assert len(kept) <= 1001
    assert kept[0, 0] == 0 and kept[-1, 0] == 20_000
    assert np.all(np.diff(kept[:, 0]) > 0)


def test_decimate_leaves_short_paths_alone():
    points = np.zeros((5, 2))
    assert decimate(points, 10) is points


def test_decimated_indices_are_the_points_decimate_keeps():
    from momentum_desktop.core.trajectory import decimate, decimated_indices

    for count in (1, 10, 4000, 4001, 10_007, 1_000_001):
        points = np.arange(count)
        assert np.array_equal(decimated_indices(count, 4000), decimate(points, 4000))
        assert decimated_indices(count, 4000)[-1] == count - 1
