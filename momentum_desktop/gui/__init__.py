"""The desktop window: PySide6 and pyqtgraph on top of the Qt-free core."""
