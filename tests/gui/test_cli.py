"""The entry point run as a user runs it: in a subprocess that ends by itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
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

    result = run_app("--screenshot", str(path.with_suffix(".png")), "--check-menus")
    assert result.returncode == 2 and "give one" in result.stderr


def test_quit_after_beyond_a_day_is_refused_not_crashed():
    result = run_app("--quit-after", "2147484")
    assert result.returncode == 2
    assert "from 0 to 86400" in result.stderr
    result = run_app("--screenshot", "x.png", "--quit-after", "1")
    assert result.returncode == 2 and "quits by itself" in result.stderr


def test_export_writes_every_format_headless(tmp_path):
    files = {kind: tmp_path / f"lesson.{kind}" for kind in
             ("png", "svg", "gif", "mp4", "csv", "json")}
    args = ["export", "momentum-too-large", "--steps", "30", "--width", "800",
            "--size", "320x200"]
    for kind, path in files.items():
        args += [f"--{kind}", str(path)]
    result = run_app(*args)

    assert result.returncode == 0, result.stderr
    assert all(path.stat().st_size > 1000 for path in files.values())
    assert QImage(str(files["png"])).width() == 800
    assert files["csv"].read_text().splitlines()[0] == (
        "run,label,optimizer,hyperparameters,step,x,y,loss")
    assert len(files["csv"].read_text().splitlines()) == 1 + 2 * 31


def test_export_refuses_bad_sessions_and_paths_and_writes_nothing(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("schema = 1\n[surface]\nname = 3\n")
    cases = [
        (["export", str(broken), "--png", str(tmp_path / "a.png")], "surface.name"),
        (["export", "no-such-preset", "--png", str(tmp_path / "a.png")], "the presets are"),
        (["export", "--png", str(tmp_path / "a.jpg")], "must end in .png"),
        (["export", "--gif", str(tmp_path / "missing" / "a.gif")], "does not exist"),
        (["export"], "say what to write"),
        (["export", "--png", str(tmp_path / "a.png"), "--width", "9000"], "--width"),
    ]
    for args, message in cases:
        result = run_app(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.toml"]


def test_a_preset_or_session_file_opens_in_the_window(tmp_path):
    shot = tmp_path / "race.png"
    result = run_app("rosenbrock-race", "--screenshot", str(shot))
    assert result.returncode == 0, result.stderr
    from momentum_desktop.core.session_file import load_session

    assert len(load_session(shot).runs) == 6  # the window's picture carries it

    result = run_app(str(tmp_path / "nothing.toml"), "--quit-after", "0")
    assert result.returncode == 2 and "neither a session file nor a preset" in result.stderr


def test_the_last_session_is_remembered_and_a_screenshot_leaves_it_alone(tmp_path):
    stored = (Path(os.environ["XDG_CONFIG_HOME"]) / "Momentum Desktop"
              / "Momentum Desktop.conf")
    result = run_app("rosenbrock-race", "--quit-after", "0.5")
    assert result.returncode == 0, result.stderr
    remembered = stored.read_text()
    assert 'name = \\"rosenbrock\\"' in remembered

    result = run_app("--screenshot", str(tmp_path / "shot.png"))
    assert result.returncode == 0, result.stderr
    assert stored.read_text() == remembered


def test_without_a_display_the_window_says_so_and_a_screenshot_still_works(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    command = [sys.executable, "-m", "momentum_desktop"]

    result = subprocess.run(command, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2
    assert "no display to open the window on" in result.stderr
    assert "Traceback" not in result.stderr

    shot = tmp_path / "shot.png"
    result = subprocess.run([*command, "--screenshot", str(shot)], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert QImage(str(shot)).width() > 800


def test_a_screenshot_plays_a_slow_session_at_full_speed(tmp_path):
    from momentum_desktop.core.session import default_session
    from momentum_desktop.core.session_file import load_session, save_session

    slow = default_session().edited(speed=1.0, steps=300)  # five minutes at 1 step/s
    save_session(tmp_path / "slow.toml", slow)
    shot = tmp_path / "slow.png"

    result = run_app(str(tmp_path / "slow.toml"), "--screenshot", str(shot), timeout=60)

    assert result.returncode == 0, result.stderr
    assert load_session(shot).speed == 1.0  # the picture keeps the session as it was


def test_an_export_that_cannot_write_says_so_in_one_line(tmp_path, capsys,
                                                        monkeypatch):
    import errno

    from momentum_desktop.cli import main as cli_main
    from momentum_desktop.gui import headless

    def full_disk(path, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(headless, "write_atomically", full_disk)
    with pytest.raises(SystemExit) as leaving:
        cli_main(["export", "--csv", str(tmp_path / "runs.csv")])

    assert leaving.value.code == 2
    assert capsys.readouterr().err.strip() == (
        "momentum-desktop export: error: cannot write the files: No space left on "
        "device")
