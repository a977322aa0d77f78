"""What a training command keeps, however it ends: Ctrl-C, SIGTERM and SIGHUP stop it without losing finished
work, a long run keeps a copy to go on from, and at the end the test error of the weights kept, the model and the
metrics."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from aegui.cli.arguments import fit_density
from aegui.core.model.configs import SUFFIX
from aegui.core.safe_text import shown

NEGLIGIBLE_MSE = 1e-7  # test errors below this are rounding: no ratio of them means anything
RECOVERY_COPY_INTERVAL = 60.0  # seconds, at least, between the copies of a run kept on disk to go on from


class Stops:
    """Ctrl-C, SIGTERM (a scheduler's stop), SIGHUP (a closed terminal) and SIGQUIT while a command trains: none loses
    finished work. Every signal asks the `on_stop` of the stage under way (the trainer stops after its batch,
    keeping where it stood); then, by stage, "training" goes on to that stop, "optional" abandons work the result
    can do without (KeyboardInterrupt: the code density, a last evaluation), and "saving" finishes (writes are
    atomic and short). After a hang-up, what would have gone to the closed terminal goes nowhere."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
    SAID: ClassVar[dict[str, str]] = {
        "training": "stopping after the batch under way; what is finished is saved",
        "optional": "skipping {doing}; saving what is finished",
        "saving": "still {doing}; it stops as soon as that is done",
    }

    def __init__(self) -> None:
        self.received: list[int] = []
        self._stage, self._doing = "saving", "finishing"
        self._on_stop: Callable[[], None] | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> Stops:
        if threading.current_thread() is threading.main_thread():
            self._previous = {number: signal.signal(number, self._handle) for number in self.SIGNALS}
        return self

    def __exit__(self, *_exc) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)

    @contextlib.contextmanager
    def stage(self, stage: str, doing: str = "", on_stop: Callable[[], None] | None = None):
        """Handle the signals that come during the block as `stage` says (see the class)."""
        before = self._stage, self._doing, self._on_stop
        self._stage, self._doing, self._on_stop = stage, doing, on_stop or self._on_stop
        try:
            yield self
        finally:
            self._stage, self._doing, self._on_stop = before

    @property
    def exit_code(self) -> int:
        """128 + the first signal's number, as a shell reports a process that a signal ended; 0 for none."""
        return 128 + self.received[0] if self.received else 0

    def _handle(self, number: int, _frame) -> None:
        self.received.append(number)
        if number == signal.SIGHUP:
            _silence_terminal()
        if self._on_stop is not None:
            self._on_stop()
        if len(self.received) == 1 or self._stage != "training":
            with contextlib.suppress(OSError, ValueError):
                print(f"aegui: {self.SAID[self._stage].format(doing=self._doing)}.", file=sys.stderr, flush=True)
        if self._stage == "optional":
            raise KeyboardInterrupt


def _silence_terminal() -> None:
    """After a hang-up: standard output and error that went to the closed terminal go to /dev/null (writing to it
    would fail), while a file or a pipe they go to keeps them."""
    null = os.open(os.devnull, os.O_WRONLY)
    for descriptor in (1, 2):
        with contextlib.suppress(OSError):
            if os.isatty(descriptor):
                os.dup2(null, descriptor)
    os.close(null)


def finish(args, preset, dataset, trainer, group, epochs, ended, samples: int, device, command: str, stops: Stops,
           recovery: RecoveryCopy | None, saves_over_resume: bool) -> int:  # fmt: skip
    """After the loop, however it ended: say how far it got, then keep it (the density where there is time for
    it, the model, the metrics); the exit code."""
    from aegui.core.files.checkpoints import save_checkpoint
    from aegui.core.model.steps import mean_image_mse
    from aegui.core.writes import keep_previous

    leads = group is None or group.leads
    if ended.reason == "finished":
        print(ended.message)
    elif leads:  # (every process of a group ends alike: one says why)
        print(f"aegui: {ended.message}", file=sys.stderr)
    baseline = mean_image_mse(dataset)  # what the mean training image scores, beside the model's test MSE
    peers: dict[str, dict | None] = {}
    if trainer.history.batch_losses:
        mse = _say_test_error(trainer, dataset, preset, epochs, ended, samples, baseline, stops)
        if mse is not None and not stops.received:
            peers["pca"] = _compare_with_pca(trainer, dataset, mse, stops)
        if leads and not stops.received:
            peers["knn"] = _code_worth(trainer, dataset, preset.train.seed, stops)
    if not leads:
        return 0 if ended.reason == "finished" else 1
    if args.save and trainer.history.batch_losses:  # (the density is kept in the model file, for `aegui generate`)
        try:
            if stops.received:  # (a stop asked for is answered with what is finished, now)
                raise KeyboardInterrupt
            with stops.stage("optional", "the code density for generating"):
                fit_density(trainer.model, dataset, preset.train.seed)
        except KeyboardInterrupt:
            trainer.model.density = None
            print("aegui: saved without a code density; `aegui generate` fits one when asked.", file=sys.stderr)
    if args.save:  # the model first: it is what took the time
        with stops.stage("saving", "saving the model"):
            kept = keep_previous(args.save, SUFFIX) if saves_over_resume else None  # (at previous_path)
            path = save_checkpoint(args.save, trainer.model, trainer.history, preset.train, dataset=dataset.key,
                                   preset=preset.name, training_state=trainer.training_state())  # fmt: skip
        before = f" The file as it was before is kept as {shown(kept)}." if kept else ""
        print(f"Saved the model to {shown(path)}.{before}")
        if recovery is not None:
            recovery.remove()
    with stops.stage("saving", "writing the metrics"):
        write_outputs(args, preset, dataset, trainer, group, epochs, ended, device, command, baseline, peers)
    return 0 if ended.reason == "finished" else 1


def _say_test_error(trainer, dataset, preset, epochs, ended, samples: int, baseline: float,
                    stops: Stops) -> float | None:  # fmt: skip
    """The test error of the weights that are kept: the last epoch's, or, after a stop within an epoch, theirs as
    they stopped (evaluated now, unless another stop says not to wait); and the run's speed."""
    from aegui.core.model.steps import evaluate

    mse, per_image, where = (epochs[-1].test_mse, epochs[-1].test_sse_per_image, "") if epochs else (0.0, 0.0, "")
    if trainer.batches_into_epoch:  # the weights moved on since the last epoch's end
        with contextlib.suppress(KeyboardInterrupt), stops.stage("optional", "the last evaluation"):
            scores = evaluate(trainer.model, dataset.test_images, preset.train.loss)
            mse, per_image, where = scores["mse"], scores["sse_per_image"], " (the weights as they stopped)"
        if not where and not epochs:
            return None
        where = where or f" (at the end of epoch {epochs[-1].epoch}; the weights went on after it)"
    rate = samples / max(ended.elapsed, 1e-9)
    print(
        f"Test MSE {mse:.6f}{where} (the mean training image's: {baseline:.6f}), squared error per image "
        f"{per_image:.2f}, {ended.elapsed:.1f} s, {rate:,.0f} samples/s over the run (evaluation included)."
    )
    return mse


def _compare_with_pca(trainer, dataset, mse: float, stops: Stops) -> dict[str, float] | None:
    """PCA with as many components as the code has values, fitted on the same training images: the simplest peer,
    which a model must beat to earn its keep. Said beside the model's test MSE; None when a stop skipped it."""
    from aegui.core.model.pca import fit_components

    code_size = trainer.model.code_size
    try:
        with stops.stage("optional", "the comparison with PCA"):
            components = trainer.components or fit_components(trainer.train_images.cpu(), code_size)
            pca = components.test_mse(dataset.test_images)
    except KeyboardInterrupt:
        return None
    ratio, count = mse / max(pca, 1e-12), len(components.directions)  # (fewer than the code's, for few images)
    if max(mse, pca) < NEGLIGIBLE_MSE:
        verdict = "both rebuild the test images to within rounding"
    else:
        verdict = "as good as PCA" if abs(ratio - 1) < 5e-4 else "better than PCA" if ratio < 1 else "worse than PCA"
    print(f"PCA with {count} components, fitted on the same {len(trainer.train_images):,} training images: test "
          f"MSE {pca:.6f}. This model: {mse:.6f}, {ratio:.3f}x PCA's ({verdict}).")  # fmt: skip
    return {"components": count, "test_mse": pca, "model_over_pca": ratio}


def _code_worth(trainer, dataset, seed: int, stops: Stops) -> dict[str, float | int] | None:
    """Where the images have labels: k-nearest-neighbour accuracy on the codes, beside PCA with as many components
    and the raw pixels (what the codes are worth as features). None without labels or when a stop skipped it."""
    from aegui.core.analysis.code_worth import code_worth

    try:
        with stops.stage("optional", "measuring what the codes are worth"):
            worth = code_worth(trainer.model, dataset, seed=seed)
    except KeyboardInterrupt:
        return None
    if worth is None:
        return None
    print(worth.describe())
    return worth.as_dict()


class RecoveryCopy:
    """A copy of a long run beside its --save file, kept after epochs so that a crash or a kill (which no
    handler sees) loses at most a few minutes; `aegui train --resume COPY` goes on from it. Removed once the
    model is saved."""

    def __init__(self, save: Path, model, trainer, dataset: str, preset: str, resumed_from_it: bool = False) -> None:
        self.path = recovery_path(save)
        self._model, self._trainer, self._dataset, self._preset = model, trainer, dataset, preset
        self._written, self._said = time.monotonic(), False
        self._resumed_from_it = resumed_from_it  # --resume read this very copy

    def epoch_ended(self, stops: Stops) -> None:
        from aegui.core.files.checkpoints import CheckpointError, save_checkpoint

        if time.monotonic() - self._written < RECOVERY_COPY_INTERVAL:
            return
        with stops.stage("saving", "keeping a copy to go on from"):
            try:
                save_checkpoint(self.path, self._model, self._trainer.history, self._trainer.config,
                                dataset=self._dataset, preset=self._preset,
                                training_state=self._trainer.training_state())  # fmt: skip
            except CheckpointError as error:
                print(f"aegui: {shown(error)} Training goes on.", file=sys.stderr)
            else:
                if not self._said:
                    print(f"A copy to go on from (--resume) is kept in {shown(self.path)} every "
                          f"{RECOVERY_COPY_INTERVAL:.0f} s or so, until the model is saved.")  # fmt: skip
                self._said = True
        self._written = time.monotonic()

    def remove(self) -> None:
        """Once the model is saved: the copy this run wrote (or went on from) goes."""
        if self._said or self._resumed_from_it:
            self.path.unlink(missing_ok=True)


def recovery_path(save: Path) -> Path:
    """Where a run saving to `save` keeps its copy to go on from: `NAME.recovery.aegui.pt` beside it."""
    return _beside_target(save, "recovery")


def previous_path(save: Path) -> Path:
    """Where a run saving over the file it resumed keeps that file as it was: `NAME.previous.aegui.pt`."""
    return _beside_target(save, "previous")


def _beside_target(save: Path, tag: str) -> Path:
    from aegui.core.writes import WriteError, beside, writable_target

    try:
        return beside(writable_target(save), tag, SUFFIX)
    except WriteError:  # (said when --save itself is checked)
        return beside(save, tag, SUFFIX)


def iterate(
    trainer, board, leads: bool, variational: bool, recovery: RecoveryCopy | None, stops: Stops, train_size: int
):
    """Run the training loop: a progress bar on a terminal, one line per epoch; (epochs, the Ended record, the
    images trained on)."""
    from tqdm import tqdm

    from aegui.core.training.trainer import BatchEnd, Ended, EpochEnd

    bar = tqdm(total=trainer.total_steps, unit="batch", leave=False, file=getattr(sys.stderr, "raw", sys.stderr),
               disable=not (sys.stderr.isatty() and leads), dynamic_ncols=True)  # fmt: skip
    epochs: list[EpochEnd] = []
    ended: Ended | None = None
    samples = 0
    try:
        for event in trainer.iterate():
            if isinstance(event, BatchEnd):
                bar.update(1)
                samples += min(trainer.batch_size, train_size - (event.batch - 1) * trainer.batch_size)
                if board is not None:
                    board.add_batch_losses([event.loss], event.step)
            elif isinstance(event, EpochEnd):
                epochs.append(event)
                if board is not None:
                    board.add_epoch(event)
                bar.clear()
                kl = f" test_kl= {event.test_kl:.4f}" if variational else ""
                print(f"Epoch: {event.epoch:04d} cost= {event.train_loss:.9f} test_mse= {event.test_mse:.9f}{kl}",
                      flush=True)  # fmt: skip
                bar.refresh()
                if recovery is not None and event.epoch < event.epochs:
                    recovery.epoch_ended(stops)
            elif isinstance(event, Ended):
                ended = event
    except KeyboardInterrupt:  # (where no handler could be set: training outside the main thread)
        trainer.request_stop()
        ended = Ended("stopped", "Interrupted.", 0, epochs[-1].elapsed if epochs else 0.0)
    finally:
        bar.close()
        if board is not None:
            board.close()
    assert ended is not None
    return epochs, ended, samples


def write_outputs(args, preset, dataset, trainer, group, epochs, ended, device, command: str, baseline: float,
                  peers: dict[str, dict | None]) -> None:  # fmt: skip
    """--metrics-out: every batch and epoch as CSV rows, or the metrics JSON."""
    from aegui.core.training import runs

    if args.metrics_out and args.metrics_out.suffix.lower() == ".csv":
        runs.write_runs_csv(args.metrics_out, [(preset.name, trainer.history)])
    elif args.metrics_out:
        where = {"device": str(device), "precision": trainer.precision, "world_size": group.world_size if group else 1,
                 "command": command, "resumed_from": str(args.resume) if args.resume else None,
                 "skipped_files": [list(pair) for pair in getattr(args, "skipped_files", [])],
                 "image_shape": list(dataset.image_shape), "mean_image_test_mse": baseline,
                 "pca": peers.get("pca"), "knn": peers.get("knn")}  # fmt: skip
        runs.write_metrics(args.metrics_out, preset.name, preset, dataset, where, epochs, ended)
