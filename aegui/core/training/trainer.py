"""Training as a plain generator of small records: no Qt, no threads made here.

`Trainer.iterate()` yields a `BatchEnd` per batch, an `EpochEnd` per epoch and one `Ended` at the
end. Another thread may call `pause`, `resume`, `request_stop` and `set_lr`; they take effect
between batches. Every `snapshot_interval` seconds (and at each epoch's end) the trainer publishes
detached CPU copies of the weights, which readers such as the window use instead of the live model.
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator

import torch

from aegui.core.checks import ConfigError
from aegui.core.data.augment import add_noise, distort, mirror_images, shift_pixels
from aegui.core.data.datasets import Dataset
from aegui.core.data.shapes import check_fits
from aegui.core.model.autoencoder import AutoEncoder
from aegui.core.model.configs import TrainConfig, check_learning_rate
from aegui.core.model.device import precision_name, resolve_precision
from aegui.core.model.pca import Components, fit_components
from aegui.core.model.steps import batch_loss, evaluate, make_optimizer, make_scheduler, to_float
from aegui.core.training.distributed import ProcessGroup, wrap
from aegui.core.training.records import BatchEnd as BatchEnd
from aegui.core.training.records import Ended as Ended
from aegui.core.training.records import EpochEnd as EpochEnd
from aegui.core.training.records import Event as Event
from aegui.core.training.records import History as History
from aegui.core.training.records import Paused as Paused
from aegui.core.training.records import Snapshot as Snapshot
from aegui.core.training.resume import TrainingState


def _is_finite(state: dict[str, torch.Tensor]) -> bool:
    return all(bool(torch.isfinite(tensor).all()) for tensor in state.values() if tensor.is_floating_point())


@contextlib.contextmanager
def _whole() -> Iterator[None]:
    """Ctrl-C within the block raises its KeyboardInterrupt once the block is done: a batch is trained whole or not
    at all, so that where the run stands (`training_state`) always matches its weights. (Only where Ctrl-C raises
    KeyboardInterrupt: in the main thread, unless a handler of its own, such as the command line's, is set.)"""
    if threading.current_thread() is not threading.main_thread() \
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:  # fmt: skip
        yield
        return
    asked: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, _frame: asked.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if asked:
        raise KeyboardInterrupt


# --- the trainer ---------------------------------------------------------------------------------


class ForwardPass(torch.nn.Module):
    """A model's `logits_and_kl` as a module's forward: what DistributedDataParallel calls."""

    def __init__(self, model: AutoEncoder) -> None:
        super().__init__()
        self.model = model

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        return self.model.logits_and_kl(images)


class Trainer:
    """Trains an autoencoder on a dataset, one batch at a time, controllable from another thread.

    With a `group` (several processes under torchrun) each process takes its share of every global
    batch and their gradients are averaged; the losses reported are the processes' averages.
    """

    def __init__(
        self,
        model: AutoEncoder,
        dataset: Dataset,
        config: TrainConfig,
        device: torch.device | str = "cpu",
        history: History | None = None,
        snapshot_interval: float = 0.1,
        on_snapshot: Callable[[Snapshot], None] | None = None,
        group: ProcessGroup | None = None,
        resume: TrainingState | None = None,
    ) -> None:
        self.model = model
        self.group = group
        self.config = config
        self.device = torch.device(device)
        self.history = history if history is not None else History()
        self.snapshot_interval = snapshot_interval
        self.on_snapshot = on_snapshot  # called in the training thread with each published snapshot
        if config.exclude_class >= 0:  # a novelty experiment: the model never sees this class
            dataset = dataset.leaving_out(config.exclude_class)
        if len(dataset.train_images) == 0:
            raise ConfigError("The training set is empty.")
        check_fits(model.image_shape, dataset)
        self.components: Components | None = None  # principal components of the training images, once fitted
        if model.needs_components():  # a new model with a linear path starts as the components of its images
            self.components = fit_components(dataset.train_images, model.code_size, config.seed)
            model.start_from_components(self.components.mean, self.components.directions)
        self.model.to(self.device)
        self._train = dataset.train_images.reshape(len(dataset.train_images), -1).to(self.device)
        self._test = dataset.test_images.to(self.device)
        # A batch larger than the data is the whole data set: say so rather than fail.
        self.batch_size = min(config.batch_size, len(self._train))
        self.steps_per_epoch = math.ceil(len(self._train) / self.batch_size)
        if group is not None and 0 < len(self._train) % self.batch_size < group.world_size:
            self.steps_per_epoch -= 1  # a last batch too small to give every process an image is left out
        self._forward = model.logits_and_kl if group is None else wrap(ForwardPass(model), self.device)
        self.total_steps = config.epochs * self.steps_per_epoch
        self._batch_in_epoch = 0
        # a run interrupted in a file goes on along its schedule; otherwise a schedule spans this run alone
        goes_on = resume is not None and resume.interrupted
        self._done_before = resume.run_epochs_done if goes_on else 0
        # trained before a stop (all of them: stopped during the epoch's evaluation, which is then done first)
        self._skip = min(resume.batches_done, self.steps_per_epoch) if goes_on else 0
        self._plan_epochs = max(resume.run_epochs, self._done_before + config.epochs) if goes_on else config.epochs
        self._epochs_finished = 0
        self.optimizer = make_optimizer(self.model, config)
        self.scheduler = make_scheduler(self.optimizer, config, self._plan_epochs * self.steps_per_epoch)
        self._generator = torch.Generator().manual_seed(config.seed)
        self._augment_generator = torch.Generator(device=self.device).manual_seed(config.seed + 1)
        if resume is not None:
            self._resume(resume, goes_on)
        self.total_steps -= self._skip
        self._order_state = self._generator.get_state()  # as the epoch under way began: its order comes from it
        self.autocast = resolve_precision(config.precision, self.device)
        self.precision = precision_name(self.autocast)  # what "auto" became here
        self._stop = threading.Event()
        self._agreed_stop = False  # in a group: a stop asked of some process, as all of them know it
        self._running = threading.Event()
        self._running.set()
        self._pending_lr: float | None = None
        self._snapshot: Snapshot | None = None
        self._snapshot_version = 0

    def _resume(self, state: TrainingState, goes_on: bool) -> None:
        """Take up a saved run: the optimizer's state (and, going on, its schedule's settings and position) and
        the random generators, so that the images come in the order and with the distortions they would have."""
        if goes_on:
            self.optimizer.load_state_dict(state.optimizer)
            if state.scheduler is None:
                self.scheduler = None  # the rate was set by hand during the run: it stays as it was
            elif self.scheduler is not None:
                self.scheduler.load_state_dict(state.scheduler)
        else:  # a finished run goes on gently: the moments it had gathered, at the rate (and momentum) it ended on
            groups = self.optimizer.state_dict()["param_groups"]
            for group, ended in zip(groups, state.optimizer["param_groups"], strict=False):
                group.update({key: ended[key] for key in ("lr", "betas", "momentum") if key in group and key in ended})
            self.optimizer.load_state_dict({"state": state.optimizer["state"], "param_groups": groups})
            self.scheduler = None  # (a schedule begun again would warm up to its peak: a finished model got worse)
        self._generator.set_state(state.order_generator)
        with contextlib.suppress(RuntimeError):  # (a state from another kind of device: a fresh seed stays)
            self._augment_generator.set_state(state.augment_generator)

    @property
    def train_images(self) -> torch.Tensor:
        """The images it trains on, flat uint8 (N, values) on its device (a class left out is not among them)."""
        return self._train

    def training_state(self) -> TrainingState:
        """Where this run stands now, detached from it, to be saved and taken up again exactly."""
        optimizer = self.optimizer.state_dict()
        state = {index: {name: tensor.detach().to("cpu", copy=True) for name, tensor in values.items()}
                 for index, values in optimizer["state"].items()}  # fmt: skip
        groups = [dict(group) for group in optimizer["param_groups"]]
        return TrainingState({"state": state, "param_groups": groups},
                             self.scheduler.state_dict() if self.scheduler is not None else None,
                             self._plan_epochs, self._done_before + self._epochs_finished, self._batch_in_epoch,
                             self._order_state, self._augment_generator.get_state().cpu())  # fmt: skip

    # --- control, from any thread ---

    def _stopping(self) -> bool:
        """Whether to stop before the next batch: asked, or (in a group) asked of any process, as agreed with the
        last batch's averages, so that every process stops after the same batch (one that went on alone would wait
        for the others' gradients forever)."""
        return self._stop.is_set() if self.group is None else self._agreed_stop

    def request_stop(self) -> None:
        self._stop.set()
        self._running.set()  # wake a paused loop so it can stop

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def is_paused(self) -> bool:
        return not self._running.is_set()

    def set_lr(self, lr: float) -> None:
        """Change the learning rate before the next batch (this ends any schedule)."""
        self._pending_lr = check_learning_rate(lr)

    @property
    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def latest_snapshot(self) -> Snapshot | None:
        return self._snapshot

    @property
    def batches_into_epoch(self) -> int:
        """Batches trained of the epoch under way (0 at an epoch's end): what `training_state` records, uncopied."""
        return self._batch_in_epoch

    @property
    def epochs_finished(self) -> int:
        """Epochs this run has finished (its first may have begun within one, going on from a stop)."""
        return self._epochs_finished

    # --- the loop ---

    def _publish(self, step: int, epoch: int) -> None:
        state = {name: tensor.detach().to("cpu", copy=True) for name, tensor in self.model.state_dict().items()}
        if _is_finite(state):  # never publish weights that blew up
            self._snapshot_version += 1
            self._snapshot = Snapshot(self._snapshot_version, step, epoch, state)
            if self.on_snapshot is not None:
                self.on_snapshot(self._snapshot)

    def _restore_last_good(self) -> None:
        if self._snapshot is not None:
            self.model.load_state_dict(self._snapshot.state)

    def _apply_pending_lr(self) -> None:
        lr, self._pending_lr = self._pending_lr, None
        if lr is not None:
            self.scheduler = None
            for group in self.optimizer.param_groups:
                group["lr"] = lr * group.get("rate", 1.0)

    def iterate(self) -> Iterator[Event]:
        config, model = self.config, self.model
        first_epoch = self.history.epochs_done + 1
        last_epoch = self.history.epochs_done + config.epochs
        step = 0
        run_started, paused_seconds = time.perf_counter(), 0.0

        def elapsed() -> float:  # wall-clock seconds of this run, pauses excluded
            return time.perf_counter() - run_started - paused_seconds

        model.train()
        self._publish(step, first_epoch - 1)
        last_publish = time.perf_counter()
        for epoch in range(first_epoch, last_epoch + 1):
            epoch_started, epoch_train_seconds = elapsed(), 0.0
            order = torch.randperm(len(self._train), generator=self._generator).to(self.device)
            first, self._skip = self._skip, 0  # (a resumed run takes up its epoch after the batches it had)
            self._batch_in_epoch = first
            loss_sum, loss_seen = self._losses_before(first)
            kl_sum, seen = 0.0, 0
            for batch in range(first, self.steps_per_epoch):
                if self._stopping():
                    yield Ended("stopped", "Training stopped.", step, elapsed())
                    return
                if not self._running.is_set():
                    yield Paused(step)
                    pause_started = time.perf_counter()
                    self._running.wait()
                    paused_seconds += time.perf_counter() - pause_started
                    if self._stop.is_set():
                        yield Ended("stopped", "Training stopped.", step, elapsed())
                        return
                diverged = ""
                with _whole():  # (from its first random draw to its count, a batch is trained whole or not at all)
                    if self._pending_lr is not None:
                        self._apply_pending_lr()
                    started = time.perf_counter()
                    chosen = order[batch * self.batch_size : (batch + 1) * self.batch_size]
                    batch_images = len(chosen)  # the global batch: across all processes
                    images = to_float(self._train[chosen if self.group is None else self.group.share(chosen)])
                    if config.augment > 0:
                        images = distort(images, config.augment, self._augment_generator, model.image_shape)
                    images = shift_pixels(images, config.shift, self._augment_generator, model.image_shape)
                    images = mirror_images(images, config.mirror, self._augment_generator, model.image_shape)
                    inputs = add_noise(images, config.noise, config.noise_level, self._augment_generator)
                    kl_weight = config.kl_weight(epoch - 1 + batch / self.steps_per_epoch)  # over the whole history
                    with self._code_draws():
                        loss, kl = batch_loss(self._forward, inputs, config.loss, images, kl_weight, self.autocast)
                    self.optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    self.optimizer.step()
                    if self.scheduler is not None:
                        self.scheduler.step()
                    if self.group is None:
                        value = loss.item()
                    else:  # every process reports (and stops on) the same average
                        asked = float(self._stop.is_set())  # (a stop asked of any process stops them all alike)
                        both = torch.stack((loss.detach().float(), loss.new_tensor(kl), loss.new_tensor(asked)))
                        value, kl, asked = self.group.mean(both.float()).tolist()
                        self._agreed_stop = self._agreed_stop or asked > 0
                    finished = time.perf_counter()
                    if not math.isfinite(value):
                        self._restore_last_good()
                        diverged = (
                            f"The loss became {value} at epoch {epoch}, batch {batch + 1} "
                            f"(learning rate {self.lr:g}). The model is back at its last good weights"
                            + (f" from step {self._snapshot.step}" if self._snapshot else "")
                            + ". Try a lower learning rate."
                        )
                    else:
                        step += 1
                        self._batch_in_epoch = batch + 1
                        epoch_train_seconds += finished - started
                        loss_sum += value * batch_images
                        loss_seen += batch_images
                        kl_sum += kl * batch_images
                        seen += batch_images
                        self.history.batch_losses.append(value)
                        if finished - last_publish >= self.snapshot_interval:
                            self._publish(step, epoch)
                            last_publish = finished
                if diverged:
                    yield Ended("diverged", diverged, step, elapsed())
                    return
                so_far = elapsed()
                yield BatchEnd(epoch, batch + 1, step, self.total_steps, value, so_far,
                               so_far / step * (self.total_steps - step))  # fmt: skip
            # (Ctrl-C during the evaluation leaves every batch of the epoch counted: going on, it is evaluated first)
            scores = evaluate(model, self._test, config.loss)
            self._publish(step, epoch)
            last_publish = time.perf_counter()
            record = EpochEnd(
                epoch=epoch,
                epochs=last_epoch,
                train_loss=loss_sum / max(loss_seen, 1),
                test_loss=scores["loss"],
                test_mse=scores["mse"],
                test_sse_per_image=scores["sse_per_image"],
                samples_per_s=seen / max(epoch_train_seconds, 1e-9),
                seconds=elapsed() - epoch_started,
                elapsed=elapsed(),
                eta=elapsed() / max(step, 1) * (self.total_steps - step),
                lr=self.lr,
                train_kl=kl_sum / max(seen, 1),
                test_kl=scores["kl"],
            )
            with _whole():  # (the epoch is counted done with its record, and the next one's order)
                self.history.epochs.append(record.to_dict())
                self._epochs_finished += 1
                self._batch_in_epoch = 0
                self._order_state = self._generator.get_state()
            yield record
        yield Ended("finished", "Optimization Finished!", step, elapsed())

    @contextlib.contextmanager
    def _code_draws(self) -> Iterator[None]:
        """A VAE draws its codes with torch's global generator, which no training state keeps: for each batch it
        is seeded from the augmentation generator (which the state keeps), and put back as it was after, so that
        a resumed VAE draws what it would have."""
        if not self.model.config.variational:
            yield
            return
        seed = int(torch.randint(2**62, (1,), generator=self._augment_generator, device=self.device))
        here = self.device.type != "cpu"
        with torch.random.fork_rng([self.device] if here else [], device_type=self.device.type if here else None):
            if self.device.type == "cuda":
                index = torch.cuda.current_device() if self.device.index is None else self.device.index
                torch.cuda.default_generators[index].manual_seed(seed)
            elif here:
                torch.get_device_module(self.device.type).manual_seed(seed)
            torch.default_generator.manual_seed(seed)
            yield

    def _losses_before(self, batches: int) -> tuple[float, int]:
        """(the summed loss, the images) of an epoch's first `batches`, trained before a stop, from the history's
        batch losses: the epoch's record then has its whole training loss ((0, 0) where the history lacks them)."""
        losses = self.history.batch_losses[len(self.history.batch_losses) - batches :] if batches else []
        if len(losses) < batches or not batches:
            return 0.0, 0
        total, images = 0.0, 0
        for batch, loss in enumerate(losses):
            size = min(self.batch_size, len(self._train) - batch * self.batch_size)
            total += loss * size
            images += size
        return total, images

    def run(self, callback: Callable[[Event], None] | None = None) -> Ended:
        """Train to the end (or a stop); call `callback` with every record; return the last one."""
        for event in self.iterate():
            if callback is not None:
                callback(event)
            if isinstance(event, Ended):
                return event
        raise AssertionError("iterate() always ends with an Ended record")
