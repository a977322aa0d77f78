"""What the status line, the progress bar and the messages say about a training run, and the run's
place in the history (so that a run whose process was lost can be taken back out of it)."""

from __future__ import annotations

from dataclasses import dataclass

from aegui.core.training.trainer import BatchEnd, Ended, History


def clock(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


@dataclass
class RunProgress:
    first_epoch: int  # the history's epoch number of the run's first epoch
    epochs: int  # epochs the run was asked for
    history_at_start: tuple[int, int]  # epochs and batch losses the history held when the run began
    text: str = ""  # the latest progress line, for the status line

    @classmethod
    def begin(cls, history: History, epochs: int) -> RunProgress:
        return cls(history.epochs_done + 1, epochs, (history.epochs_done, len(history.batch_losses)))

    def label(self, run_epoch: int, fraction: float) -> str:
        """The progress bar's label: "epoch 3/9 · 41%"."""
        return f"epoch {run_epoch}/{self.epochs} · {100 * fraction:.0f}%"

    def update(self, last: BatchEnd, batch_size: int) -> tuple[float, str]:
        """Take a progress report: the fraction of the run done and the progress bar's label
        (`text` becomes the status line)."""
        run_epoch = last.epoch - self.first_epoch + 1
        fraction = last.step / max(last.total_steps, 1)
        samples_per_s = last.step * batch_size / last.elapsed if last.elapsed > 0 else 0.0
        self.text = (
            f"Epoch {run_epoch} of {self.epochs} · loss {last.loss:.4f} · {samples_per_s:,.0f} samples/s · "
            f"{clock(last.elapsed)} elapsed · ETA {clock(last.eta)}"
        )
        return fraction, self.label(run_epoch, fraction)

    def take_back(self, history: History) -> None:
        """The run's epochs and losses leave the history (its weights were lost with its process)."""
        epochs, losses = self.history_at_start
        del history.epochs[epochs:], history.batch_losses[losses:]


def ended_report(ended: Ended, history: History) -> tuple[str, bool, str]:
    """For a run's end: the message, whether it reports a problem, and the status line afterwards."""
    if ended.reason == "finished" and history.epochs:
        last = history.epochs[-1]
        return (f"Finished: test MSE {last['test_mse']:.5f}, squared error per image {last['test_sse_per_image']:.2f}, "
                f"{clock(ended.elapsed)}.", False, f"Training finished after {clock(ended.elapsed)}.")  # fmt: skip
    if ended.reason == "stopped":
        return (f"Stopped after {ended.steps:,} batches.", False,
                f"Training stopped after {ended.steps:,} batches.")  # fmt: skip
    return ended.message, True, "Training ended early: see the message in the training panel."


def pca_test_mse(dataset, code_size: int, left_out: int = -1) -> tuple[int, float]:
    """(In a worker.) PCA with `code_size` components (fewer where there are fewer training images) fitted on the
    training images a model of that code size trained on (a class left out stays out): (components, test MSE)."""
    from aegui.core.model.pca import fit_components

    training = dataset.leaving_out(left_out) if left_out >= 0 else dataset
    components = fit_components(training.train_images, code_size)
    return len(components.directions), components.test_mse(dataset.test_images)


def pca_comparison(code_size: int, pca: float, test_mse: float) -> str:
    """The model's test MSE beside PCA's with as many components, as a person reads it."""
    ratio = test_mse / max(pca, 1e-12)
    verdict = "better than" if ratio < 1 else "as good as" if ratio == 1 else "worse than"
    return f"PCA with {code_size} components: {pca:.5f}, so this model is {ratio:.2f}x PCA's error ({verdict} PCA)."
