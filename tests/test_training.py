import math
import threading
import time

import pytest
import torch
import torch.nn.functional as F

from aegui.core.checks import ConfigError
from aegui.core.model.autoencoder import ModelConfig, build_model
from aegui.core.model.steps import cross_entropy_sum, evaluate
from aegui.core.training.trainer import BatchEnd, Ended, EpochEnd, History, Paused, TrainConfig, Trainer

TINY = ModelConfig(hidden_sizes=(64,), code_size=16, activation="relu")


def make_trainer(data, seed=0, history=None, **settings):
    config = TrainConfig(**{"epochs": 2, "batch_size": 100, "lr": 3e-3, "optimizer": "adam", "seed": seed, **settings})
    return Trainer(build_model(TINY, seed=seed), data, config, history=history)


def test_loss_falls_and_records_are_complete(small_sample):
    trainer = make_trainer(small_sample, epochs=3)
    before = evaluate(trainer.model, small_sample.test_images)["mse"]
    events = list(trainer.iterate())
    batches = [e for e in events if isinstance(e, BatchEnd)]
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    assert len(batches) == 30 and len(epochs) == 3
    assert events[-1] == Ended("finished", "Optimization Finished!", 30, events[-1].elapsed)
    assert epochs[-1].test_mse < 0.7 * before
    assert epochs[-1].train_loss < epochs[0].train_loss
    assert [e.epoch for e in epochs] == [1, 2, 3]
    assert all(e.samples_per_s > 0 and e.seconds > 0 for e in epochs)
    assert batches[-1].eta == 0 and batches[0].eta > 0
    assert batches[-1].step == batches[-1].total_steps == 30
    assert len(trainer.history.batch_losses) == 30 and len(trainer.history.epochs) == 3
    assert math.isclose(epochs[-1].test_sse_per_image, epochs[-1].test_mse * 784, rel_tol=1e-6)


class FakeTime:
    """The trainer's `time` module with a clock that moves only when the test moves it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def perf_counter(self) -> float:
        return self.now

    def __getattr__(self, name: str):
        return getattr(time, name)


class RunningFlag(threading.Event):
    """A trainer's running flag that sees the trainer wait on it (paused): `waiting` is set then, and
    `on_wait`, when given, runs in the trainer's thread just before it waits."""

    def __init__(self, on_wait=None) -> None:
        super().__init__()
        self.set()
        self.waiting, self._on_wait = threading.Event(), on_wait

    def wait(self, timeout: float | None = None) -> bool:
        self.waiting.set()
        if self._on_wait is not None:
            self._on_wait()
        return super().wait(timeout)


def test_elapsed_is_wall_clock_with_pauses_left_out(small_sample, monkeypatch):
    """Elapsed and ETA count the time a person waits (a slow consumer, a busy machine), not only the time
    spent inside batches; a pause is not counted. (On a clock of the test's: batches take no time on it.)"""
    from aegui.core.training import trainer as training

    clock = FakeTime()
    monkeypatch.setattr(training, "time", clock)
    trainer = make_trainer(small_sample, epochs=1)

    def a_pause_of_300_ms() -> None:
        clock.now += 0.3
        trainer.resume()

    trainer._running = RunningFlag(on_wait=a_pause_of_300_ms)
    events = trainer.iterate()
    started = clock.now
    for _ in range(3):  # a consumer that takes 50 ms per batch
        assert isinstance(next(events), BatchEnd)
        clock.now += 0.05
    trainer.pause()
    assert isinstance(next(events), Paused)
    rest = list(events)
    assert trainer._running.waiting.is_set()  # the pause was waited out
    wall = clock.now - started
    assert wall == pytest.approx(0.45)
    last = [e for e in rest if isinstance(e, BatchEnd)][-1]
    assert last.elapsed == pytest.approx(0.15)  # the consumer's time counts, the pause does not
    assert rest[-1].elapsed == pytest.approx(0.15)


def test_reproducible_with_a_seed(small_sample):
    runs = [[e.loss for e in make_trainer(small_sample, seed=3).iterate() if isinstance(e, BatchEnd)] for _ in range(2)]
    assert runs[0] == runs[1]
    other = [e.loss for e in make_trainer(small_sample, seed=4).iterate() if isinstance(e, BatchEnd)]
    assert other != runs[0]


def test_stop_from_another_thread(small_sample):
    trainer = make_trainer(small_sample, epochs=1000)
    seen = []
    for event in trainer.iterate():
        seen.append(event)
        if len(seen) == 5:
            threading.Thread(target=trainer.request_stop).start()
        if isinstance(event, Ended):
            break
    assert seen[-1].reason == "stopped"
    assert len(seen) < 100


def test_pause_blocks_until_resumed(small_sample):
    trainer = make_trainer(small_sample, epochs=1)
    running = trainer._running = RunningFlag()
    events = trainer.iterate()
    next(events)
    trainer.pause()
    assert trainer.is_paused
    assert isinstance(next(events), Paused)
    resumed = threading.Event()

    def resume_once_blocked():
        if running.waiting.wait(30):  # the trainer waits for the resume
            resumed.set()
            trainer.resume()

    helper = threading.Thread(target=resume_once_blocked)
    helper.start()
    following = next(events)  # blocks in the trainer until resumed
    assert resumed.is_set() and isinstance(following, BatchEnd)
    assert list(events)[-1].reason == "finished"
    helper.join()


def test_stop_while_paused(small_sample):
    trainer = make_trainer(small_sample, epochs=1)
    running = trainer._running = RunningFlag()
    events = trainer.iterate()
    next(events)
    trainer.pause()
    assert isinstance(next(events), Paused)
    stopped = threading.Event()

    def stop_once_blocked():
        if running.waiting.wait(30):
            stopped.set()
            trainer.request_stop()

    helper = threading.Thread(target=stop_once_blocked)
    helper.start()
    assert next(events).reason == "stopped"  # blocks in the trainer until the stop
    assert stopped.is_set()
    helper.join()


def test_divergence_stops_and_restores_last_good_weights(small_sample):
    trainer = make_trainer(small_sample, epochs=5, optimizer="sgd", lr=1e4, momentum=0.0, loss="bce")
    start = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    ended = trainer.run()
    assert ended.reason == "diverged"
    assert "learning rate" in ended.message and "last good weights" in ended.message
    state = trainer.model.state_dict()
    assert all(torch.isfinite(t).all() for t in state.values())
    snapshot = trainer.latest_snapshot()
    assert all(torch.equal(state[k], snapshot.state[k]) for k in state)
    if snapshot.step == 0:
        assert all(torch.equal(state[k], start[k]) for k in state)


def test_snapshots_are_detached_copies(small_sample):
    trainer = make_trainer(small_sample)
    trainer.snapshot_interval = 0.0
    versions = []
    for event in trainer.iterate():
        if isinstance(event, BatchEnd):
            versions.append(trainer.latest_snapshot().version)
    snapshot = trainer.latest_snapshot()
    assert versions == sorted(versions) and len(set(versions)) > 10
    weight = snapshot.state["encoder.0.weight"]
    assert weight.data_ptr() != trainer.model.encoder[0].weight.data_ptr()
    assert not weight.requires_grad
    with torch.no_grad():
        trainer.model.encoder[0].weight.add_(1.0)
    assert not torch.equal(weight, trainer.model.encoder[0].weight)


def test_learning_rate_changes_between_batches(small_sample):
    trainer = make_trainer(small_sample, epochs=1)
    events = trainer.iterate()
    next(events)
    trainer.set_lr(1e-4)
    next(events)
    assert trainer.lr == pytest.approx(1e-4)
    with pytest.raises(ConfigError):
        trainer.set_lr(-1.0)


def test_schedules_run(small_sample):
    for schedule in ("onecycle", "cosine"):
        trainer = make_trainer(small_sample, schedule=schedule)
        assert trainer.run().reason == "finished"
        assert trainer.lr < 3e-3


def test_batch_larger_than_data_uses_whole_set(small_sample):
    trainer = make_trainer(small_sample, batch_size=50_000, epochs=1)
    assert trainer.batch_size == 1000 and trainer.steps_per_epoch == 1
    assert trainer.run().reason == "finished"


def test_history_continues(small_sample):
    history = History()
    make_trainer(small_sample, history=history, epochs=1).run()
    make_trainer(small_sample, history=history, epochs=2).run()
    assert [e["epoch"] for e in history.epochs] == [1, 2, 3]
    assert len(history.batch_losses) == 30


@pytest.mark.parametrize(
    "settings",
    [
        {"lr": 0.0},
        {"lr": float("nan")},
        {"lr": 1e9},
        {"epochs": 0},
        {"batch_size": 0},
        {"loss": "l1"},
        {"optimizer": "lbfgs"},
        {"momentum": 1.5},
    ],
)
def test_bad_training_settings(settings):
    with pytest.raises(ConfigError):
        TrainConfig(**settings)


def test_all_optimizers_and_losses_learn(small_sample):
    for optimizer, lr in (("rmsprop", 1e-3), ("adam", 1e-3), ("sgd", 0.5)):
        for loss in ("mse", "bce"):
            trainer = make_trainer(small_sample, optimizer=optimizer, lr=lr, loss=loss)
            records = [e for e in trainer.iterate() if isinstance(e, EpochEnd)]
            assert records[-1].test_loss < records[0].test_loss * 1.01, (optimizer, loss)


def test_convolutional_model_learns(small_sample):
    config = ModelConfig(kind="conv", channels=(4, 8), hidden_sizes=(), code_size=8, activation="relu")
    trainer = Trainer(build_model(config, seed=0), small_sample, TrainConfig(epochs=3, batch_size=100, lr=3e-3,
                      optimizer="adam"))  # fmt: skip
    records = [e for e in trainer.iterate() if isinstance(e, EpochEnd)]
    assert records[-1].test_mse < records[0].test_mse


def test_the_fast_cross_entropy_matches_torchs_in_value_and_gradient():
    generator = torch.Generator().manual_seed(0)
    logits = torch.cat([torch.randn(2000, generator=generator) * 6, torch.tensor([-200.0, -30.0, 0.0, 30.0, 200.0])])
    targets = torch.cat([torch.rand(2000, generator=generator), torch.tensor([0.0, 1.0, 0.5, 0.0, 1.0])])
    for needs in ((True, False), (True, True)):
        mine = [logits.clone().requires_grad_(), targets.clone().requires_grad_(needs[1])]
        theirs = [logits.clone().requires_grad_(), targets.clone().requires_grad_(needs[1])]
        ours, reference = cross_entropy_sum(*mine), F.binary_cross_entropy_with_logits(*theirs, reduction="sum")
        ours.backward()
        reference.backward()
        assert torch.allclose(ours, reference, rtol=1e-6)
        assert torch.allclose(mine[0].grad, theirs[0].grad, atol=1e-7)
        assert (mine[1].grad is None) == (not needs[1])
        if needs[1]:
            assert torch.allclose(mine[1].grad, theirs[1].grad, atol=1e-6)


def test_distortions_keep_images_valid_and_change_them():
    from aegui.core.data.augment import distort

    images = torch.zeros(64, 784)
    images[:, 300:320] = 1.0
    generator = torch.Generator().manual_seed(0)
    distorted = distort(images, 1.0, generator)
    assert distorted.shape == images.shape and distorted.min() >= 0 and distorted.max() <= 1
    assert not torch.allclose(distorted, images)
    assert torch.equal(distort(images, 0.0, generator), images)
    again = distort(images, 1.0, torch.Generator().manual_seed(0))
    assert torch.equal(again, distorted)  # reproducible from the seed


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 5, 7)])
def test_pixel_shifts_move_a_share_of_images_one_whole_pixel_and_resample_nothing(shape):
    from aegui.core.data.augment import shift_pixels

    count = 2000
    images = torch.zeros(count, *shape)
    images[:, :, 1:-1, 1:-1] = torch.rand(count, shape[0], shape[1] - 2, shape[2] - 2)  # a black border: nothing lost
    flat = images.reshape(count, -1)
    shifted = shift_pixels(flat, 0.5, torch.Generator().manual_seed(0), shape)
    assert shifted.shape == flat.shape
    padded = torch.nn.functional.pad(images, (1, 1, 1, 1))
    moves = [(top, left) for top in range(3) for left in range(3)]
    windows = torch.stack([padded[..., top : top + shape[1], left : left + shape[2]] for top, left in moves], 1)
    matches = (windows.reshape(count, 9, -1) == shifted[:, None]).all(2)  # (image, move): exactly that window
    assert bool(matches.any(1).all())  # each image is itself or moved one whole pixel: values copied, not blended
    moved = ~matches[:, 4]
    assert 0.45 < moved.float().mean().item() < 0.55
    directions = matches[moved].float().argmax(1)
    assert set(directions.tolist()) == {0, 1, 2, 3, 5, 6, 7, 8}  # all eight directions, never "not moved"
    assert torch.equal(shift_pixels(flat, 0.0, torch.Generator(), shape), flat)
    again = shift_pixels(flat, 0.5, torch.Generator().manual_seed(0), shape)
    assert torch.equal(again, shifted)  # reproducible from the seed


def test_noise_kinds():
    from aegui.core.data.augment import add_noise

    images = torch.full((4, 784), 0.5)
    generator = torch.Generator().manual_seed(0)
    gaussian = add_noise(images, "gaussian", 0.3, generator)
    assert gaussian.min() >= 0 and gaussian.max() <= 1 and gaussian.std() > 0.2
    masked = add_noise(images, "masking", 0.25, generator)
    assert abs((masked == 0).float().mean().item() - 0.25) < 0.05
    assert torch.equal(add_noise(images, "none", 0.3, generator), images)


def test_denoising_trains_on_noisy_inputs_with_clean_targets(small_sample, monkeypatch):
    import aegui.core.training.trainer as training

    seen = []
    original = training.batch_loss

    def spy(forward, inputs, loss, targets=None, kl_weight=1.0, autocast=None):
        seen.append((inputs.clone(), targets.clone()))
        return original(forward, inputs, loss, targets, kl_weight, autocast)

    monkeypatch.setattr(training, "batch_loss", spy)
    trainer = make_trainer(small_sample, epochs=1, noise="masking", noise_level=0.5, augment=0.5)
    assert trainer.run().reason == "finished"
    inputs, targets = seen[0]
    assert (inputs == 0).float().mean() > (targets == 0).float().mean() + 0.1  # pixels masked in the inputs only


def test_pixel_shifts_reach_the_batches_inputs_and_targets_alike(small_sample, monkeypatch):
    import aegui.core.training.trainer as training

    seen = []
    original = training.batch_loss

    def spy(forward, inputs, loss, targets=None, kl_weight=1.0, autocast=None):
        seen.append(inputs.clone())
        assert targets is None or torch.equal(targets, inputs)  # no noise: the shifted image is its own target
        return original(forward, inputs, loss, targets, kl_weight, autocast)

    monkeypatch.setattr(training, "batch_loss", spy)
    assert make_trainer(small_sample, epochs=1, shift=1.0).run().reason == "finished"
    trainer = make_trainer(small_sample, epochs=1)
    first = training.to_float(trainer._train[torch.randperm(len(trainer._train), generator=torch.Generator()
                                                            .manual_seed(0))[: trainer.batch_size]])  # fmt: skip
    padded = torch.nn.functional.pad(first.reshape(-1, 28, 28), (1, 1, 1, 1))
    windows = torch.stack([padded[:, top : top + 28, left : left + 28] for top in range(3) for left in range(3)], 1)
    matches = (windows.reshape(len(first), 9, -1) == seen[0][:, None]).all(2)
    assert bool(matches.any(1).all())  # each image of the first batch, moved one whole pixel, not blurred
    assert not bool(matches[:, 4].any())  # and none left where it was


@pytest.mark.parametrize("settings", [{"noise": "salt"}, {"augment": 2.0}, {"noise_level": -0.1}, {"shift": 1.5}])
def test_bad_augmentation_settings(settings):
    with pytest.raises(ConfigError):
        TrainConfig(**settings)
