"""Sessions in the window: save, open, recent files, presets, drop, restore, reset."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QMessageBox

from momentum_desktop.core.presets import load_preset
from momentum_desktop.core.session import default_session
from momentum_desktop.core.session_file import session_to_toml
from momentum_desktop.gui.main_window import MainWindow
from momentum_desktop.gui.settings import AppSettings


@pytest.fixture
def settings(tmp_path):
    """App settings kept in a file of the test's own, never the user's."""
    return AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def window_with_settings(qtbot, settings):
    main = MainWindow(settings=settings)
    qtbot.addWidget(main)
    main.show()
    yield main
    main.close()


def visible_errors(window):
    return [box.text() for box in window.findChildren(QMessageBox) if box.isVisible()]


def test_save_then_open_gives_back_the_same_session(window_with_settings, tmp_path):
    window = window_with_settings
    window.edit_session(steps=42, layout="overlay")
    path = tmp_path / "lesson.toml"

    assert window.save_session_file(str(path))
    saved = window.current_session()
    window.apply_session(default_session(), play=False)
    assert window.open_session_file(str(path))

    assert dataclasses.replace(window.session, view=None) == dataclasses.replace(
        saved, view=None)
    assert window.session.steps == 42 and len(window.canvas.panes) == 1
    assert window.settings.recent_files()[0] == str(path.resolve())
    assert [a.text() for a in window.recent_menu.actions()] == [str(path.resolve())]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not = toml = at all", "not a valid TOML file"),
        ("schema = 99", "newer than this program reads"),
        (session_to_toml(default_session()).replace("steps = 60", "steps = 'many'"),
         "playback.steps: must be a whole number"),
        (session_to_toml(default_session())[:40], "broken.toml: "),
    ],
)
def test_a_broken_file_is_refused_with_a_message_and_nothing_lost(window_with_settings,
                                                                   tmp_path, content,
                                                                   message):
    window = window_with_settings
    window.edit_session(steps=77)
    before = window.session
    path = tmp_path / "broken.toml"
    path.write_text(content)

    assert not window.open_session_file(str(path))
    assert window.session == before
    assert any(message in text for text in visible_errors(window))


def test_dropping_a_session_file_opens_it(window_with_settings, tmp_path):
    window = window_with_settings
    path = tmp_path / "dropped.toml"
    path.write_text(session_to_toml(load_preset("rosenbrock-race")))

    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, data,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)

    assert window.session.surface == "rosenbrock" and len(window.session.runs) == 6


def test_every_preset_in_the_menu_opens(window_with_settings, qtbot):
    window = window_with_settings
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "P&resets")
    titles = [a.text() for a in menu.actions()]
    assert "Four momentum rates side by side" in titles and len(titles) == 8

    for action in menu.actions():
        action.trigger()
        assert window.session.runs
    assert window.session.runs[0].noise > 0  # the last one: stochastic gradients


def test_the_next_launch_finds_the_same_session_and_layout(qtbot, settings):
    first = MainWindow(settings=settings)
    qtbot.addWidget(first)
    first.show()
    first.open_preset("momentum-too-large")
    first.edit_session(speed=75.0)
    kept = first.session
    first.close()

    restored = settings.last_session()
    assert dataclasses.replace(restored, view=None) == kept
    second = MainWindow(restored, settings)
    qtbot.addWidget(second)
    assert second.session.runs == kept.runs and second.session.speed == 75.0
    geometry, _ = settings.window_state()
    assert not geometry.isEmpty()
    second.close()


def test_reset_forgets_everything_and_shows_the_default_scenario(window_with_settings):
    window = window_with_settings
    window.open_preset("rosenbrock-race")
    window.settings.remember_session(window.session, None)

    window.reset_to_defaults()

    assert window.session == default_session()
    assert window.settings.last_session() is None


def test_a_saved_view_that_misses_the_surface_frames_its_domain(window):
    from dataclasses import replace

    from momentum_desktop.core.session import default_session

    window.apply_session(replace(default_session(), view=(-1.0, 1.0, -240.0, 240.0)),
                         play=False)
    (x_min, x_max), (y_min, y_max) = window.canvas.panes[0].plot.vb.viewRange()
    assert y_max - y_min < 20  # the valley's domain spans 10, not 480

    window.apply_session(replace(default_session(), view=(-2.0, 2.0, -2.0, 2.0)),
                         play=False)
    (x_min, x_max), (y_min, y_max) = window.canvas.panes[0].plot.vb.viewRange()
    assert y_min == pytest.approx(-2, abs=0.5) and y_max == pytest.approx(2, abs=0.5)
