"""PyInstaller runtime hook: give a windowed build somewhere to write.

A windowed (console=False) build on Windows starts with sys.stdout and
sys.stderr set to None, like pythonw.exe. On Python 3.11 argparse then crashes on
``--help``, ``--version`` or a bad option (it calls None.write), which the
bootloader reports as an "Unhandled exception" dialog. Pointing the missing
streams at os.devnull keeps those paths quiet instead of fatal. Where the streams
exist (Linux, or a console started the app) nothing changes.
"""

import os
import sys

for _name in ("stdout", "stderr"):
    if getattr(sys, _name) is None:
        setattr(sys, _name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115
del _name
