import math
import os
import re
import subprocess
import sys

import pytest

from momentum_desktop.core.parameters import ParameterError
from momentum_desktop.core.session import RunConfig, check_session, default_session


def test_default_session_is_valid_and_titles_say_the_hyperparameters():
    session = check_session(default_session())
    assert [r.title() for r in session.runs] == [
        "Gradient descent (lr=0.036)",
        "Momentum (lr=0.036, beta=0.7)",
    ]
    assert session.start_point() == session.make_surface().default_start


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"steps": 0}, "number of steps must be a whole number"),
        ({"start": (10.0, 0.0)}, "outside the surface's domain"),
        ({"speed": -1.0}, "speed must be a number in [1, 5,000]"),
        ({"speed": 1e-300}, "speed must be a number in [1, 5,000]"),
        ({"steps": 10_000_000}, "number of steps must be a whole number in [1, 1,000,000]"),
        ({"runs": ()}, "1 to 8 runs"),
        ({"runs": (RunConfig("gd", {"lr": -1.0}),)}, "learning rate must be"),
        ({"surface": "nope"}, "unknown surface 'nope'"),
    ],
)
def test_bad_edits_are_refused_and_the_session_is_unchanged(changes, message):
    session = default_session()
    with pytest.raises(ParameterError, match=re.escape(message)):
        session.edited(**changes)
    assert session == default_session()


def test_infinite_speed_means_as_fast_as_possible():
    assert default_session().edited(speed=math.inf).speed == math.inf


def test_core_imports_without_qt_or_any_library_but_numpy():
    code = (
        "import sys\n"
        "for name in ('PySide6', 'shiboken6', 'pyqtgraph', 'contourpy', 'sympy',\n"
        "             'tomli_w', 'imageio', 'PIL'):\n"
        "    sys.modules[name] = None\n"
        "import importlib, pkgutil, momentum_desktop.core as core\n"
        "for m in pkgutil.walk_packages(core.__path__, 'momentum_desktop.core.'):\n"
        "    importlib.import_module(m.name)\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True,
                            text=True, env=dict(os.environ), timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_resources_are_found():
    from momentum_desktop.data_files import resource_path

    assert resource_path("icon.svg").read_text().startswith("<svg")


def test_the_four_momentum_rates_tell_slow_good_and_overshooting():
    import numpy as np

    from momentum_desktop.core.session import momentum_comparison
    from momentum_desktop.core.trajectory import record

    session = momentum_comparison()
    assert [r.hyperparameters["momentum"] for r in session.runs] == [0.0, 0.5, 0.9, 0.99]
    zero, half, good, large = record(session.make_surface(), session.run_specs(),
                                     session.steps)
    distance = [float(np.linalg.norm(t.positions[-1])) for t in (zero, half, good, large)]

    assert distance[0] > 1 and distance[1] > 1  # too small: slow
    assert distance[2] < 1e-2  # about right: there
    along = large.positions @ np.array([np.cos(np.radians(20)), np.sin(np.radians(20))])
    assert np.count_nonzero(np.diff(np.sign(along))) >= 2  # too large: swings past it
    assert along.max() > 1 and distance[3] > 0.5


def test_gradient_noise_is_reproducible_by_seed():
    import numpy as np

    from momentum_desktop.core.simulation import RunSpec
    from momentum_desktop.core.surfaces import make_surface
    from momentum_desktop.core.trajectory import record

    surface = make_surface("valley")
    runs = [RunSpec("momentum", {"lr": 0.01, "momentum": 0.9}, (-4.0, -1.0), noise, seed)
            for noise, seed in [(0.5, 1), (0.5, 1), (0.5, 2), (0.0, 1)]]
    a, b, c, exact = record(surface, runs, 100)
    (alone,) = record(surface, [runs[0]], 100)

    assert np.array_equal(a.positions, b.positions)
    assert np.array_equal(a.positions, alone.positions)
    assert not np.allclose(a.positions, c.positions)
    assert not np.allclose(a.positions, exact.positions)


def test_runs_may_have_their_own_start_label_and_colour():
    session = default_session()
    edited = session.with_run(1, start=(1.0, 2.0), label="heavy ball", color="#00ff00")
    specs = edited.run_specs()

    assert specs[0].start == session.start_point() and specs[1].start == (1.0, 2.0)
    assert edited.runs[1].title() == "heavy ball" and edited.color_of(1) == "#00ff00"
    with pytest.raises(ParameterError, match="#rrggbb"):
        session.with_run(0, color="orange")
    with pytest.raises(ParameterError, match="outside the surface's domain"):
        session.with_run(0, start=(50.0, 0.0))
    with pytest.raises(ParameterError, match="gradient noise must be a number"):
        session.with_run(0, noise=-1.0)


def test_an_expression_session_builds_its_surface_and_refuses_bad_text():
    session = default_session().edited(surface="expression", expression="x^2 + 3*y^2",
                                       domain=(-2.0, 2.0, -1.0, 1.0))
    surface = session.make_surface()
    assert surface.domain.describe() == "x in [-2, 2], y in [-1, 1]"
    with pytest.raises(ParameterError, match="unknown name 'z'"):
        session.edited(expression="x + z")


def test_files_written_atomically_get_ordinary_permissions(tmp_path):
    import os
    import stat

    from momentum_desktop.core.files import write_atomically

    umask = os.umask(0o022)
    try:
        write_atomically(tmp_path / "a.csv", "x\n")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "a.csv").stat().st_mode) == 0o644
    assert (tmp_path / "a.csv").read_text() == "x\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.csv"]


def test_writing_through_a_symbolic_link_replaces_its_target_and_keeps_the_link(
        tmp_path):
    from momentum_desktop.core.files import check_output_path, write_atomically

    target = tmp_path / "real.csv"
    target.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)

    assert check_output_path(link, (".csv",)) == target
    write_atomically(link, "new\n")

    assert link.is_symlink() and target.read_text() == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.csv", "real.csv"]


def test_a_device_is_refused_as_an_output_file(tmp_path):
    import os

    from momentum_desktop.core.files import check_output_path, write_atomically
    from momentum_desktop.core.parameters import ParameterError

    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)

    with pytest.raises(ParameterError, match="not a regular file"):
        check_output_path(pipe, (".csv",))
    with pytest.raises(OSError, match="not a regular file"):
        write_atomically(pipe, "x\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe.csv"]


def test_a_label_a_spreadsheet_would_run_is_written_as_text():
    from momentum_desktop.core.data_export import trajectories_csv
    from momentum_desktop.core.trajectory import record

    session = default_session().with_run(0, label='=HYPERLINK("http://x", "y")')
    text = trajectories_csv(session, record(session.make_surface(),
                                            session.run_specs(), 2))
    rows = text.splitlines()
    assert rows[1].startswith('1,"\'=HYPERLINK(')
