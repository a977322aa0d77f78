"""What the window sets for its whole process, once, at start-up (set_up), and the one place errors go (notices)."""
