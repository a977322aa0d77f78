"""Where the time of one `aegui train` goes: start-up, data, setting up, the training loop and the evaluations
within it, the code-density fit, saving; printed as JSON after the command's own output.

python -m benchmarks.phases train --preset default --precision auto --data-dir DIR --save m.aegui.pt

Not a benchmark group: a tool for finding fixed costs (issue 30: why a 1.7x faster training step gives a smaller
gain to the whole command). It times the functions `aegui train` calls by wrapping them in this process.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator

STARTED = time.perf_counter()


def timed(seconds: dict[str, float], label: str, function: Callable) -> Callable:
    """`function`, adding the seconds each call takes to `seconds[label]`."""

    def wrapper(*args, **kwargs):
        began = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            seconds[label] = seconds.get(label, 0.0) + time.perf_counter() - began

    return wrapper


def main(argv: list[str]) -> int:
    seconds: dict[str, float] = {}
    import torch  # noqa: F401 (its import is a phase of its own)

    seconds["import torch"] = time.perf_counter() - STARTED
    import aegui.cli
    import aegui.cli.train as command
    import aegui.core.files.checkpoints as checkpoints
    import aegui.core.model.steps as steps
    import aegui.core.training.trainer as training

    seconds["import aegui"] = time.perf_counter() - STARTED - seconds["import torch"]
    command.load_data = timed(seconds, "read the data", command.load_data)
    command.fit_density = timed(seconds, "fit the code density", command.fit_density)
    steps.mean_image_mse = timed(seconds, "mean-image baseline", steps.mean_image_mse)
    training.evaluate = timed(seconds, "evaluate (in the loop)", training.evaluate)
    checkpoints.save_checkpoint = timed(seconds, "save", checkpoints.save_checkpoint)
    set_up, iterate = training.Trainer.__init__, training.Trainer.iterate
    training.Trainer.__init__ = timed(seconds, "set up the trainer", set_up)

    def loop(self) -> Iterator:
        began = time.perf_counter()
        yield from iterate(self)
        seconds["training loop"] = time.perf_counter() - began

    training.Trainer.iterate = loop
    try:
        return aegui.cli.program(argv)  # (ending as `aegui` does: see its exit in the wall time)
    finally:
        seconds["until the command returned"] = time.perf_counter() - STARTED
        print(json.dumps({label: round(value, 3) for label, value in seconds.items()}, indent=1), file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
