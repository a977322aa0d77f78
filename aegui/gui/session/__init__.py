"""The session controller, the one owner of the window's state, and its parts: the phase table, the data in use,
the model file, a training run, the model against the data, crash recovery and autosave; and `host`, what a part
may use of the session (so each part can be tested alone)."""
