"""Python's cyclic garbage collection, kept on the GUI thread.

Python collects reference cycles in whichever thread happens to cross its
allocation threshold. When that is the simulation worker, the map's worker or the
animation encoder, and a cycle holds a Qt widget (a closed dialog, a menu), the
widget is destroyed off the GUI thread: with PySide6 that deadlocked an export
(the encoder waited for the GIL inside ``QMenu``'s destructor) and Qt forbids it
anyway (napari/napari#1029 tells the same story). So automatic collection is
switched off and a GUI-thread timer collects instead, with pyqtgraph's
``GarbageCollector``, which follows Python's own thresholds.
"""

from __future__ import annotations

import logging

from pyqtgraph.util.garbage_collector import GarbageCollector

__all__ = ["collect_garbage_on_gui_thread", "collect_garbage_now"]

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 0.5
"""How often the GUI thread looks at Python's allocation counts."""

_collector: GarbageCollector | None = None


def collect_garbage_on_gui_thread() -> None:
    """Turn automatic collection off and collect from a timer on this thread.

    Call it on the GUI thread once a QApplication exists; later calls do nothing.
    """
    global _collector
    if _collector is not None:
        return

    _collector = GarbageCollector(interval=INTERVAL_SECONDS)
    log.debug("garbage collection moved to the GUI thread")


def collect_garbage_now() -> None:
    """Collect what Python's thresholds call for, for loops that block the event loop."""
    if _collector is not None:
        _collector.check()
