"""The standalone build: PyInstaller's one-folder app, run as a user would run it.

Slow (it builds the app in a virtual environment of its own, a few minutes), so it
is marked: ``pytest -m "not frozen"`` skips it locally; .ci/run runs it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "dist" / "momentum-desktop" / "momentum-desktop"


@pytest.fixture(scope="module")
def frozen_app() -> Path:
    result = subprocess.run(["bash", str(REPO / "packaging" / "build.sh")], cwd=REPO,
                            capture_output=True, text=True, timeout=3000)
    assert result.returncode == 0, (result.stdout[-4000:], result.stderr[-4000:])
    assert APP.is_file()
    return APP


def run_frozen(app: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL"))}
    env["QT_QPA_PLATFORM"] = "offscreen"
    return subprocess.run([str(app), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.frozen
def test_the_frozen_app_draws_the_lesson_from_any_folder(frozen_app, tmp_path):
    from PySide6.QtGui import QImage

    shot = tmp_path / "frozen.png"
    result = run_frozen(frozen_app, "--screenshot", str(shot), cwd=tmp_path)
    assert result.returncode == 0, result.stderr

    image = QImage(str(shot))
    assert image.width() > 800 and image.height() > 500
    colours = {image.pixel(x, y) for x in range(0, image.width(), 9)
               for y in range(0, image.height(), 9)}
    assert len(colours) > 200  # the contour map, not a blank window
    from momentum_desktop.core.session_file import load_session

    assert len(load_session(shot).runs) == 2  # presets and the session code came along


@pytest.mark.frozen
def test_the_frozen_app_opens_pyqtgraphs_menus_and_exports(frozen_app, tmp_path):
    result = run_frozen(frozen_app, "--check-menus", cwd=tmp_path)
    assert result.returncode == 0, result.stderr

    result = run_frozen(frozen_app, "export", "four-momentum-rates", "--steps", "20",
                        "--gif", "a.gif", "--mp4", "a.mp4", "--svg", "a.svg",
                        cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for name in ("a.gif", "a.mp4", "a.svg"):
        assert (tmp_path / name).stat().st_size > 1000


HIDE_PYTHON = """
set -e
empty=$(mktemp -d)
for place in "$@"; do
    if [ -d "$place" ]; then mount --bind "$empty" "$place"
    elif [ -e "$place" ]; then mount --bind /dev/null "$place"; fi
done
if python3 -c "" 2>/dev/null; then echo "a python3 still runs" >&2; exit 3; fi
exec env -i PATH=/usr/bin:/bin LANG=C.UTF-8 HOME="$HOME" QT_QPA_PLATFORM=offscreen \\
    "$APP" --screenshot "$SHOT"
"""


@pytest.mark.frozen
def test_the_frozen_app_runs_where_no_python_is_installed(frozen_app, tmp_path):
    import glob
    import shutil
    import sys

    if shutil.which("unshare") is None or subprocess.run(
            ["unshare", "--mount", "--map-root-user", "true"],
            capture_output=True).returncode != 0:
        pytest.skip("this machine cannot make a mount namespace to hide Python in")

    # A copy outside the repository, since the repository's virtual environment is
    # among what gets hidden.
    app_dir = tmp_path / "app"
    shutil.copytree(frozen_app.parent, app_dir, symlinks=True)
    hidden = {sys.base_prefix, sys.prefix, str(REPO), *glob.glob("/usr/lib/python3*"),
              *glob.glob("/usr/local/lib/python3*"), *glob.glob("/usr/bin/python3*"),
              *glob.glob("/usr/local/bin/python3*")}
    shot = tmp_path / "no-python.png"
    env = dict(os.environ, APP=str(app_dir / frozen_app.name), SHOT=str(shot),
               HOME=str(tmp_path))
    result = subprocess.run(
        ["unshare", "--mount", "--map-root-user", "bash", "-c", HIDE_PYTHON, "hide",
         *sorted(hidden)], env=env, capture_output=True, text=True, timeout=300)

    assert result.returncode == 0, result.stderr
    from PySide6.QtGui import QImage

    image = QImage(str(shot))
    assert image.width() > 800 and image.height() > 500
