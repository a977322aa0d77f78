"""The session controller, the one owner of the window's state, and its parts: the phase table, loading,
the model file, a training run, crash recovery and autosave."""
