"""The Training feature: the panel of settings and buttons, the loss plot and the runs beside it."""
