"""Test configuration shared by every test: headless Qt, whatever the shell has set."""

import os

# Set before any Qt import so that a bare `pytest` never needs a display.
os.environ["QT_QPA_PLATFORM"] = "offscreen"


import pytest  # noqa: E402 - the platform must be set before anything imports Qt


@pytest.fixture(autouse=True)
def own_settings_folder(tmp_path_factory, monkeypatch):
    """Give every app a test starts its own settings folder, not the user's."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
