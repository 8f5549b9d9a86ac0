"""The entry point run as a user runs it: in a subprocess that ends by itself."""

from __future__ import annotations

import os
import subprocess
import sys

from PySide6.QtGui import QImage


def run_app(*args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "momentum_desktop", *args],
                          capture_output=True, text=True, env=env, timeout=timeout)


def test_screenshot_plays_the_default_scenario_and_saves_the_window(tmp_path):
    path = tmp_path / "shot.png"
    result = run_app("--screenshot", str(path))

    assert result.returncode == 0, result.stderr
    image = QImage(str(path))
    assert image.width() > 800 and image.height() > 500
    assert "QThread" not in result.stderr


def test_closing_while_playing_exits_cleanly():
    result = run_app("--play", "--quit-after", "1.0")
    assert result.returncode == 0, result.stderr
    assert "QThread: Destroyed" not in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_arguments_exit_2_with_one_line_and_write_nothing(tmp_path):
    path = tmp_path / "shot.jpg"
    result = run_app("--screenshot", str(path))

    assert result.returncode == 2
    assert "must end in .png or .svg" in result.stderr.strip().splitlines()[-1]
    assert not path.exists()

    result = run_app("--quit-after", "soon")
    assert result.returncode == 2 and "number of seconds" in result.stderr


def test_quit_after_beyond_a_day_is_refused_not_crashed():
    result = run_app("--quit-after", "2147484")
    assert result.returncode == 2
    assert "from 0 to 86400" in result.stderr
    result = run_app("--screenshot", "x.png", "--quit-after", "1")
    assert result.returncode == 2 and "quits by itself" in result.stderr
