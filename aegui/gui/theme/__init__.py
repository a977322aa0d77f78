"""Light and dark: the colour tables and the one object that decides which is in use."""
