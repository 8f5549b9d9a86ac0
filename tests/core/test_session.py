import math
import os
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
        ({"speed": -1.0}, "speed must be a number > 0"),
        ({"runs": ()}, "1 to 8 runs"),
        ({"runs": (RunConfig("gd", {"lr": -1.0}),)}, "learning rate must be"),
        ({"surface": "nope"}, "unknown surface 'nope'"),
    ],
)
def test_bad_edits_are_refused_and_the_session_is_unchanged(changes, message):
    session = default_session()
    with pytest.raises(ParameterError, match=message):
        session.edited(**changes)
    assert session == default_session()


def test_infinite_speed_means_as_fast_as_possible():
    assert default_session().edited(speed=math.inf).speed == math.inf


def test_core_imports_without_qt():
    code = (
        "import sys\n"
        "for name in ('PySide6', 'shiboken6', 'pyqtgraph'):\n"
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
