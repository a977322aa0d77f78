"""The Outliers feature: the images the model finds strangest, first; and how well it finds a class it never saw."""
