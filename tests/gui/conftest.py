"""GUI test fixtures: a window per test, and a check that no thread outlives it."""

from __future__ import annotations

import dataclasses
import math
import threading
import time
import traceback

import pytest
import shiboken6
from PySide6.QtCore import QThread

from momentum_desktop.core.session import default_session
from momentum_desktop.gui.garbage import collect_garbage_on_gui_thread
from momentum_desktop.gui.main_window import MainWindow

THREAD_GRACE_SECONDS = 2.0
"""How long a Python thread may take to end after its test (an encoder closing)."""


@pytest.fixture(autouse=True, scope="session")
def garbage_collected_on_the_gui_thread(qapp):
    """Collect cycles on the GUI thread only, as the app does."""
    collect_garbage_on_gui_thread()


@pytest.fixture(autouse=True)
def no_python_thread_left_running():
    """Fail a test whose Python threads (an animation encoder) outlive it."""
    before = set(threading.enumerate())
    yield

    deadline = time.monotonic() + THREAD_GRACE_SECONDS
    left = [t for t in threading.enumerate() if t not in before]
    for thread in left:
        thread.join(max(0.0, deadline - time.monotonic()))
    running = [t.name for t in left if t.is_alive()]
    assert not running, f"Python threads left running: {running}"


@pytest.fixture(autouse=True)
def no_thread_left_running(monkeypatch):
    """Fail a test that leaves a QThread running, saying where it was started."""
    started: list[tuple[QThread, str]] = []
    original_start = QThread.start

    def recording_start(thread, *args):
        started.append((thread, "".join(traceback.format_stack(limit=6)[:-1])))
        return original_start(thread, *args)

    monkeypatch.setattr(QThread, "start", recording_start)
    yield

    running = [(t, where) for t, where in started if shiboken6.isValid(t) and t.isRunning()]
    for thread, _ in running:
        thread.quit()
        thread.wait(2000)
    assert not running, "a QThread was left running; started at:\n" + running[0][1]


@pytest.fixture
def window(qtbot):
    """The main window on the default session, shown, closed after the test."""
    main = MainWindow()
    qtbot.addWidget(main)
    main.show()
    qtbot.waitExposed(main)
    yield main
    main.close()


@pytest.fixture
def fast_window(qtbot):
    """A window whose session plays as fast as the machine allows."""
    main = MainWindow(dataclasses.replace(default_session(), speed=math.inf))
    qtbot.addWidget(main)
    main.show()
    qtbot.waitExposed(main)
    yield main
    main.close()


def play_to_end(qtbot, main: MainWindow, timeout: int = 20_000) -> None:
    """Press Play and wait for both runs to end."""
    with qtbot.waitSignal(main.playback_finished, timeout=timeout):
        main.playback_dock.play_button.click()
