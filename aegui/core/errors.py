"""The one base class for errors whose message is meant for a person, not a traceback."""


class AeguiError(Exception):
    """An error that the command line and the window show as a plain message."""


class Cancelled(Exception):
    """Work given up because whoever wanted it asked to stop (for example, the window closing)."""


class DataError(AeguiError):
    """Data that cannot be found or read, with a message meant for a person."""
