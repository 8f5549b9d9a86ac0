"""Starting the application: the QApplication, the window, and the scripted modes."""

from __future__ import annotations

import logging
import math
import os
import sys

from PySide6.QtCore import (
    QMessageLogContext,
    QSettings,
    QtMsgType,
    QTimer,
    qInstallMessageHandler,
)
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from ..data_files import resource_path
from .export import ExportError, export_image
from .garbage import collect_garbage_on_gui_thread
from ..core.session import Session
from ..core.session_file import PNG_SESSION_KEY, session_to_toml
from .main_window import MainWindow
from .settings import AppSettings

__all__ = ["run_app"]

log = logging.getLogger(__name__)
qt_log = logging.getLogger("momentum_desktop.qt")

QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}
HARMLESS_QT_MESSAGES = ("This plugin does not support",)
"""Said by the offscreen platform (propagateSizeHints, raise, grabbing the keyboard)
for windows and menus; it means nothing for this app."""


def run_app(screenshot: str | None = None, quit_after: float | None = None,
            play: bool = False, session: Session | None = None,
            session_path: str | None = None, check_menus: bool = False) -> int:
    """Open the window and run the event loop; returns the exit code.

    Parameters
    ----------
    screenshot : str, optional
        Play the session to its end, save the window to this PNG or SVG file, quit.
    quit_after : float, optional
        Close the window after this many seconds (for smoke tests).
    play : bool
        Start playing at once instead of waiting for Play.
    session : Session, optional
        Open this session; by default the one open when the app last closed (not
        for a screenshot, which always shows the default scenario unless given one).
    session_path : str, optional
        The file ``session`` came from, for Save.
    check_menus : bool
        Open pyqtgraph's context menus and export dialog, then quit: exit 0 if they
        work. Their .ui templates are a known trap for freezers.
    """
    qInstallMessageHandler(_log_qt_message)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Momentum Desktop")
    app.setOrganizationName("Momentum Desktop")
    app.setWindowIcon(_application_icon())
    collect_garbage_on_gui_thread()

    # A scripted run (a screenshot, the menu check) neither restores nor overwrites
    # what the user's last session was.
    scripted = screenshot is not None or check_menus
    settings = None if scripted else AppSettings(QSettings())
    if session is None and settings is not None:
        session = settings.last_session()
        session_path = settings.last_path() if session is not None else None
    window = MainWindow(session, settings)
    window.session_path = session_path
    if settings is not None:
        _restore_window(window, settings)
    app.aboutToQuit.connect(window.runner.shutdown)
    window.show()
    outcome = {"code": 0}

    if screenshot is not None:
        window.playback_finished.connect(
            lambda: QTimer.singleShot(150, lambda: _save_and_quit(window, screenshot,
                                                                  outcome))
        )
        window.restart(play=True, speed=math.inf)  # nobody watches it play
    elif play:
        window.restart(play=True)

    if quit_after is not None:
        QTimer.singleShot(int(quit_after * 1000), window.close)
    if check_menus:
        QTimer.singleShot(200, lambda: _check_menus(window, outcome))

    try:
        code = app.exec()
    finally:
        # Qt still logs while it shuts down, after Python can no longer run a handler.
        qInstallMessageHandler(None)
    return outcome["code"] or code


def _check_menus(window: MainWindow, outcome: dict) -> None:
    """Open the plot's and the view's context menus and the export dialog; close."""
    try:
        plot = window.canvas.panes[0].plot
        menus = [plot.vb.menu, plot.ctrlMenu]
        for menu in menus:
            menu.popup(window.mapToGlobal(window.rect().center()))
        window.canvas.scene().contextMenuItem = plot  # what a right-click sets
        window.canvas.scene().showExportDialog()
        QApplication.processEvents()
        for menu in menus:
            menu.close()
        window.canvas.scene().exportDialog.close()
        log.info("context menus and export dialog work")
    except Exception:  # the smoke test's whole point is to report any failure
        log.exception("a context menu or the export dialog failed")
        outcome["code"] = 1
    window.close()


def _restore_window(window: MainWindow, settings: AppSettings) -> None:
    geometry, state = settings.window_state()
    if not geometry.isEmpty():
        window.restoreGeometry(geometry)
    if not state.isEmpty():
        window.restoreState(state)


def _save_and_quit(window: MainWindow, path: str, outcome: dict) -> None:
    metadata = {PNG_SESSION_KEY: session_to_toml(window.current_session())}
    try:
        export_image(window, path, metadata=metadata)
    except ExportError as error:
        log.error("screenshot failed: %s", error)
        outcome["code"] = 1
    except Exception:  # never leave a scripted run hanging on a bug
        log.exception("screenshot failed")
        outcome["code"] = 1
    finally:
        window.close()


def _application_icon() -> QIcon:
    return QIcon(str(resource_path("icon.svg")))


def _log_qt_message(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """Send Qt's own messages to the log instead of straight to the terminal.

    After a fatal message Qt aborts the process (a core dump, exit code 134); the
    usual one here is a platform plugin that cannot start, so say what to do and
    exit with 1 instead.
    """
    level = QT_LEVELS.get(kind, logging.WARNING)
    if message.startswith(HARMLESS_QT_MESSAGES):
        level = logging.DEBUG
    qt_log.log(level, "%s", message)
    if kind == QtMsgType.QtFatalMsg:
        log.critical("Qt cannot open a window here. On Linux, install the X libraries "
                     "the README lists, or use QT_QPA_PLATFORM=offscreen for "
                     "--screenshot and `momentum-desktop export`.")
        logging.shutdown()
        os._exit(1)
