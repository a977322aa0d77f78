"""Threads and processes: the only places the window starts them, and the pacing of GUI work."""
