import numpy as np
import pytest

from momentum_desktop.core.simulation import (
    RunSpec,
    RunState,
    merge_chunks,
    simulate,
)
from momentum_desktop.core.surfaces import make_surface
from momentum_desktop.core.trajectory import Trajectory


def collect(surface, runs, steps, **options):
    trajectories = [Trajectory(capacity=4) for _ in runs]
    chunks = list(simulate(surface, runs, steps, **options))
    for chunk in chunks:
        for i, trajectory in enumerate(trajectories):
            trajectory.append_chunk(chunk, i)
    return trajectories, chunks


def axis_valley():
    return make_surface("valley", eigenvalue_along=1.0, eigenvalue_across=10.0, angle=0.0)


def test_step_zero_is_the_start_and_the_path_follows_the_hand_worked_rule():
    runs = [RunSpec("momentum", {"lr": 0.1, "momentum": 0.5}, (1.0, 1.0))]
    (trajectory,), _ = collect(axis_valley(), runs, 3)

    np.testing.assert_allclose(
        trajectory.positions, [[1, 1], [0.9, 0.0], [0.76, -0.5], [0.614, -0.25]],
        atol=1e-15,
    )
    expected_loss = 0.5 * (0.614**2 + 10 * 0.25**2)
    assert trajectory.losses[-1] == pytest.approx(expected_loss, rel=1e-14)
    assert trajectory.status.state is RunState.FINISHED
    assert trajectory.status.describe() == "finished after 3 steps"


def test_runs_of_different_optimizers_match_their_solo_runs():
    surface = make_surface("rosenbrock")
    runs = [
        RunSpec("gd", {"lr": 1e-3}, (-1.5, 2.5)),
        RunSpec("momentum", {"lr": 1e-3, "momentum": 0.9}, (-1.5, 2.5)),
        RunSpec("gd", {"lr": 5e-4}, (0.5, -0.5)),
    ]
    together, _ = collect(surface, runs, 200)
    for run, trajectory in zip(runs, together):
        (alone,), _ = collect(surface, [run], 200)
        np.testing.assert_array_equal(trajectory.positions, alone.positions)


def test_chunks_cover_every_step_once_in_order():
    runs = [RunSpec("gd", {"lr": 0.01}, (1.0, 1.0))]
    _, chunks = collect(axis_valley(), runs, 20, chunk_steps=7)

    assert [c.first_step for c in chunks] == [0, 1, 8, 15]
    assert [c.positions.shape[1] for c in chunks] == [1, 7, 7, 6]
    assert chunks[-1].statuses[0].describe() == "finished after 20 steps"

    merged = merge_chunks(chunks[1:])
    assert merged.first_step == 1 and merged.lengths.tolist() == [20]


def test_divergence_stops_that_run_only_and_says_at_which_step():
    surface = make_surface("valley")  # eigenvalue across 50: lr above 2/50 diverges
    runs = [
        RunSpec("gd", {"lr": 0.05}, (-4.0, -1.0)),
        RunSpec("gd", {"lr": 0.02}, (-4.0, -1.0)),
    ]
    (bad, good), _ = collect(surface, runs, 400)

    assert bad.status.state is RunState.DIVERGED
    assert 10 < bad.status.step < 60
    assert len(bad) == bad.status.step  # the diverging step itself is not recorded
    assert bad.status.describe() == f"diverged at step {bad.status.step}"
    assert np.isfinite(bad.positions).all()
    assert good.status.state is RunState.FINISHED and len(good) == 401


def test_overflow_ends_the_run_without_a_warning():
    # pytest turns warnings into errors: an overflow RuntimeWarning would fail this.
    runs = [RunSpec("momentum", {"lr": 1e300, "momentum": 0.9}, (-4.0, -1.0))]
    (trajectory,), _ = collect(make_surface("rosenbrock"), runs, 50)

    assert trajectory.status.describe() == "diverged at step 1"
    assert len(trajectory) == 1


def test_convergence_needs_small_gradient_and_small_step():
    # On an isotropic bowl, lr = 1 jumps to the minimum in one step; the step length
    # is only small on the next step, which is where the run converges.
    surface = make_surface("valley", eigenvalue_along=1.0, eigenvalue_across=1.0)
    runs = [RunSpec("gd", {"lr": 1.0}, (3.0, -2.0))]
    (trajectory,), _ = collect(surface, runs, 1000)

    assert trajectory.status.state is RunState.CONVERGED
    assert trajectory.status.describe() == "converged at step 2"
    np.testing.assert_allclose(trajectory.positions[-1], [0.0, 0.0], atol=1e-15)


def test_the_classic_story_on_the_default_valley():
    """GD zig-zags and stays short of the minimum; momentum gets there."""
    from momentum_desktop.core.session import default_session

    session = default_session()
    (gd, heavy), _ = collect(session.make_surface(), session.run_specs(), session.steps)

    cos, sin = np.cos(np.radians(20)), np.sin(np.radians(20))
    across = -sin * gd.positions[:, 0] + cos * gd.positions[:, 1]
    sign_changes = np.count_nonzero(np.diff(np.sign(across[:15])))
    assert sign_changes >= 10  # each early step crosses the valley floor

    assert np.linalg.norm(gd.positions[-1]) > 0.3
    assert np.linalg.norm(heavy.positions[-1]) < 1e-3


def test_runs_record_gradients_and_the_momentum_buffer():
    runs = [RunSpec("momentum", {"lr": 0.1, "momentum": 0.5}, (1.0, 1.0)),
            RunSpec("gd", {"lr": 0.1}, (1.0, 1.0))]
    (heavy, plain), _ = collect(axis_valley(), runs, 3)

    # By hand (see test_optimizers): v1 = (1, 10), v2 = (1.4, 5), v3 = (1.46, -2.5).
    np.testing.assert_allclose(heavy.velocities[1:], [[1, 10], [1.4, 5], [1.46, -2.5]],
                               atol=1e-14)
    assert np.isnan(heavy.velocities[0]).all()  # no velocity before the first step
    assert np.isnan(plain.velocities).all()  # gradient descent keeps none
    np.testing.assert_allclose(heavy.gradients[1], [0.9, 0.0], atol=1e-15)
