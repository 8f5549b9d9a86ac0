"""What the app remembers between launches (QSettings): the session, the window, the
recent files. Values are read back with their types; a bad stored value is ignored."""

from __future__ import annotations

import logging

from PySide6.QtCore import QByteArray, QSettings

from ..core.parameters import ParameterError
from ..core.session import Session
from ..core.session_file import session_from_toml, session_to_toml

__all__ = ["AppSettings"]

log = logging.getLogger(__name__)

MAX_RECENT = 8


class AppSettings:
    """Typed access to the app's QSettings.

    Parameters
    ----------
    settings : QSettings
        Where to keep things; tests pass one backed by a file in a temporary folder.
    """

    def __init__(self, settings: QSettings) -> None:
        self.settings = settings

    def last_session(self) -> Session | None:
        """The session open when the app last closed, or None (also if unreadable)."""
        text = self.settings.value("session/toml", "", type=str)
        if not text:
            return None
        try:
            return session_from_toml(text)
        except ParameterError as error:
            log.warning("the last session could not be restored: %s", error)
            return None

    def remember_session(self, session: Session, path: str | None) -> None:
        """Keep the session (and the file it came from) for the next launch."""
        self.settings.setValue("session/toml", session_to_toml(session))
        self.settings.setValue("session/path", path or "")

    def last_path(self) -> str | None:
        """The file the last session was saved to or opened from."""
        return self.settings.value("session/path", "", type=str) or None

    def window_state(self) -> tuple[QByteArray, QByteArray]:
        """The window's geometry and dock layout, empty when never saved."""
        geometry = self.settings.value("window/geometry", QByteArray(), type=QByteArray)
        state = self.settings.value("window/state", QByteArray(), type=QByteArray)
        return geometry, state

    def remember_window(self, geometry: QByteArray, state: QByteArray) -> None:
        """Keep the window's geometry and dock layout."""
        self.settings.setValue("window/geometry", geometry)
        self.settings.setValue("window/state", state)

    def recent_files(self) -> list[str]:
        """Session files opened or saved lately, newest first."""
        files = self.settings.value("recent/files", [], type=list)
        return [f for f in files if isinstance(f, str)][:MAX_RECENT]

    def add_recent(self, path: str) -> None:
        """Put ``path`` first in the recent files."""
        files = [path] + [f for f in self.recent_files() if f != path]
        self.settings.setValue("recent/files", files[:MAX_RECENT])

    def reset(self) -> None:
        """Forget the session and the window layout (recent files stay)."""
        for key in ("session/toml", "session/path", "window/geometry", "window/state"):
            self.settings.remove(key)
        self.settings.sync()
