"""Test configuration shared by every test: headless Qt, whatever the shell has set."""

import os

# Set before any Qt import so that a bare `pytest` never needs a display.
os.environ["QT_QPA_PLATFORM"] = "offscreen"
