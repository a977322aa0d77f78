"""What the window is doing, and which actions each phase allows: one table, one place.

The session controller refuses an action its phase does not allow, with the reason from here, and
the window enables its controls from the same table, so a button is never enabled for an action
that would be refused.
"""

from __future__ import annotations

from enum import StrEnum


class Phase(StrEnum):
    STARTING = "starting"  # the window's first frame, while the model library loads (no session yet)
    LOADING = "loading data"
    IDLE = "idle"
    TRAINING = "training"
    PAUSING = "pausing"  # asked to pause; the loop finishes the batch in hand
    PAUSED = "paused"
    STOPPING = "stopping"  # asked to stop; the loop ends after the batch in hand
    DOWNLOADING = "downloading"


class Action(StrEnum):
    TRAIN = "train"
    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"
    RESET = "reset the model"
    OPEN = "open a model"
    SAVE = "save the model"
    CHOOSE_DATA = "change the data"
    DOWNLOAD = "download data"
    CANCEL_DOWNLOAD = "cancel the download"
    SET_LR = "change the learning rate"
    EDIT_SETTINGS = "change the model's settings"


_RUNNING = frozenset({Phase.TRAINING, Phase.PAUSING, Phase.PAUSED, Phase.STOPPING})

ALLOWED: dict[Action, frozenset[Phase]] = {
    Action.TRAIN: frozenset({Phase.IDLE}),
    Action.PAUSE: frozenset({Phase.TRAINING}),
    Action.RESUME: frozenset({Phase.PAUSING, Phase.PAUSED}),
    Action.STOP: frozenset({Phase.TRAINING, Phase.PAUSING, Phase.PAUSED}),
    Action.RESET: frozenset({Phase.IDLE, Phase.LOADING}),
    Action.OPEN: frozenset({Phase.IDLE, Phase.LOADING}),
    # while training, the latest published weights are saved; the live model is never read
    Action.SAVE: frozenset({Phase.IDLE, Phase.LOADING, Phase.DOWNLOADING} | _RUNNING),
    Action.CHOOSE_DATA: frozenset({Phase.STARTING, Phase.IDLE, Phase.LOADING}),
    Action.DOWNLOAD: frozenset({Phase.IDLE}),
    Action.CANCEL_DOWNLOAD: frozenset({Phase.DOWNLOADING}),
    Action.SET_LR: frozenset({Phase.STARTING, Phase.IDLE, Phase.LOADING, Phase.DOWNLOADING} | _RUNNING),
    Action.EDIT_SETTINGS: frozenset({Phase.STARTING, Phase.IDLE, Phase.LOADING, Phase.DOWNLOADING}),
}

# Why an action is refused, by the phase that refuses it.
_BECAUSE = {
    Phase.STARTING: "the model library is still loading",
    Phase.LOADING: "the data is still loading",
    Phase.TRAINING: "training is running: stop it first",
    Phase.PAUSING: "training is pausing: stop it first",
    Phase.PAUSED: "training is paused, not finished: stop it first",
    Phase.STOPPING: "training is stopping",
    Phase.DOWNLOADING: "a download is running: wait for it or cancel it",
    Phase.IDLE: "nothing is running",
}


# What the status line says in each phase (idle: what happened last, which the session knows).
STATUS = {
    Phase.STARTING: "Loading the model library…",
    Phase.LOADING: "Loading data ({choice})…",
    Phase.TRAINING: "Training: starting…",
    Phase.PAUSING: "Pausing after this batch…",
    Phase.PAUSED: "Paused. Resume (Space) goes on from there.",
    Phase.STOPPING: "Stopping after this batch…",
    Phase.DOWNLOADING: "Downloading…",  # (the session names the dataset)
}


def allowed(action: Action, phase: Phase) -> bool:
    return phase in ALLOWED[action]


def refusal(action: Action, phase: Phase) -> str | None:
    """None if `action` may run in `phase`, else a sentence saying why not."""
    if allowed(action, phase):
        return None
    if action is Action.PAUSE and phase in (Phase.PAUSING, Phase.PAUSED):
        return "Training is already paused."
    if action is Action.RESUME and phase is Phase.TRAINING:
        return "Training is already running."
    because = _BECAUSE[phase]
    if action in (Action.PAUSE, Action.RESUME, Action.STOP) and phase is not Phase.STOPPING:
        because = "no training is running"
    return f"Cannot {action.value} now: {because}."
