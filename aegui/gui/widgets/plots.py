"""pyqtgraph, configured once for every view that plots or shows images (row-major images, antialiased
lines); its colours come from the theme (`aegui.gui.theme.themes`). Views import `pg` from here."""

import pyqtgraph as pg

pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)

__all__ = ["pg"]
