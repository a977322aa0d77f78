"""The autoencoder, its settings and presets, the fields table, devices and the code density."""
