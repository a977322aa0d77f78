"""Widgets shared by several features: digit frames, mosaics, the gallery, pyqtgraph set-up."""
