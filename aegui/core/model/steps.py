"""The pieces of a training step, shared by the trainer, evaluation and the views: the optimizer and its
schedule, the loss of a batch, images as floats, and the evaluation of a model on a set of images."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from aegui.core.model.autoencoder import AutoEncoder
from aegui.core.model.configs import TrainConfig

PATH_RATE = 0.1  # a linear path's learning rate, as a share of the model's (see `parameter_groups`)


def parameter_groups(model: torch.nn.Module, lr: float) -> list[dict]:
    """The model's parameters for its optimizer: one group, or, for a model with a linear path, the layers and the
    path, the path at PATH_RATE times the rate. The path starts at the principal components, the best linear map;
    Adam moves every weight by about the rate whatever its gradient, so at the layers' rate the path was pushed
    far from them (flowers: 7.8x PCA's test error at the schedule's peak, 1.001x after 30 epochs); at a tenth it
    stays near them while the layers learn what they miss. Each group keeps its `rate` (its share of the rate)."""
    named = list(model.named_parameters())
    path = [parameter for name, parameter in named if ".path_" in f".{name}"]
    layers = [parameter for name, parameter in named if ".path_" not in f".{name}"]
    if not path:
        return [{"params": layers, "lr": lr, "rate": 1.0}]
    return [{"params": layers, "lr": lr, "rate": 1.0}, {"params": path, "lr": lr * PATH_RATE, "rate": PATH_RATE}]


def make_optimizer(model: torch.nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    parameters = parameter_groups(model, config.lr)
    # Fused kernels update every tensor in one call: faster on the CPU too, and far fewer trips
    # through Python (which matters when a window shares the interpreter).
    fused = {"fused": True} if parameters[0]["params"][0].device.type in ("cpu", "cuda") else {}
    if config.optimizer == "adam":
        return torch.optim.Adam(parameters, lr=config.lr, weight_decay=config.weight_decay, **fused)
    if config.optimizer == "sgd":
        return torch.optim.SGD(
            parameters, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay, **fused
        )
    # alpha 0.9 is TensorFlow's RMSPropOptimizer decay, as in the lesson
    return torch.optim.RMSprop(parameters, lr=config.lr, alpha=0.9, weight_decay=config.weight_decay)


def make_scheduler(
    optimizer: torch.optim.Optimizer, config: TrainConfig, total_steps: int
) -> torch.optim.lr_scheduler.LRScheduler | None:
    if config.schedule == "onecycle":
        peaks = [config.lr * group.get("rate", 1.0) for group in optimizer.param_groups]
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=peaks, total_steps=total_steps)
    if config.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps)
    return None


class _CrossEntropyWithLogits(torch.autograd.Function):
    """The summed binary cross-entropy of logits against targets in [0, 1], in fp32: the same values as
    `F.binary_cross_entropy_with_logits` (within fp32 rounding) in under half its time on a CPU, where
    torch's `log1p` and `log_sigmoid` are not vectorised: softplus(x) - x t, as max(x, 0) - x t +
    log(1 + exp(-|x|)) (log(1 + y) for y <= 1 errs by under 1e-7 per value), and the gradient
    sigmoid(x) - t. A training step of the `default` preset spends about a tenth less time."""

    @staticmethod
    def forward(ctx, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(logits, targets)
        terms = logits.abs().neg_().exp_().add_(1.0).log_()
        return terms.add_(logits.clamp(min=0.0)).sub_(logits * targets).sum()

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        logits, targets = ctx.saved_tensors
        logits_grad = torch.sigmoid(logits).sub_(targets).mul_(grad) if ctx.needs_input_grad[0] else None
        targets_grad = logits.neg().mul_(grad) if ctx.needs_input_grad[1] else None
        return logits_grad, targets_grad


def cross_entropy_sum(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of `logits` against `targets`, summed over every value (fp32)."""
    return _CrossEntropyWithLogits.apply(logits.float(), targets.float())


def batch_loss(
    model: AutoEncoder | Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor | None]],
    inputs: torch.Tensor,
    loss: str,
    targets: torch.Tensor | None = None,
    kl_weight: float = 1.0,
    autocast: torch.dtype | None = None,
) -> tuple[torch.Tensor, float]:
    """The training loss of a float batch (N, pixels) in [0, 1], per pixel value, and a VAE's mean KL per image;
    `model` is an AutoEncoder, or a function like its `logits_and_kl` (the same under
    DistributedDataParallel).

    The reconstruction of `inputs` is compared with `targets` (the inputs themselves unless a
    denoising autoencoder is given clean targets for noisy inputs). A VAE adds its KL divergence
    times `kl_weight`, per pixel too: with cross-entropy and weight 1, the negative evidence lower
    bound divided by the number of pixel values (784 for digits). With `autocast` (bf16) the layers
    compute in that type; the loss is taken in fp32.
    """
    forward = model.logits_and_kl if isinstance(model, AutoEncoder) else model
    targets = inputs if targets is None else targets
    with torch.autocast(inputs.device.type, dtype=autocast or torch.bfloat16, enabled=autocast is not None):
        logits, kl = forward(inputs)
    logits = logits.float()
    if loss == "bce":
        objective = cross_entropy_sum(logits, targets) / logits.numel()
    else:
        objective = F.mse_loss(torch.sigmoid(logits), targets)
    if kl is None:
        return objective, 0.0
    mean_kl = kl.mean()
    return objective + kl_weight * mean_kl / inputs.shape[1], float(mean_kl.detach())


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 images (N, ...) to flat float (N, pixels) in [0, 1]."""
    return images.reshape(len(images), -1).to(torch.float32).div_(255.0)


@torch.no_grad()
def evaluate(model: AutoEncoder, images: torch.Tensor, loss: str = "mse", chunk: int = 2000) -> dict[str, float]:
    """Reconstruction loss and mean squared error per pixel, squared error per image and (a VAE's)
    KL divergence per image over uint8 images; a VAE reconstructs from its codes' means."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    loss_sum = sse = kl_sum = 0.0
    for start in range(0, len(images), chunk):
        batch = to_float(images[start : start + chunk].to(device))
        logits, kl = model.logits_and_kl(batch)
        kl_sum += float(kl.sum()) if kl is not None else 0.0
        output = torch.sigmoid(logits)
        sse += float(((output - batch) ** 2).sum())
        if loss == "bce":
            loss_sum += float(cross_entropy_sum(logits, batch))
        else:
            loss_sum += float(((output - batch) ** 2).sum())
    model.train(was_training)
    count = max(len(images), 1)
    values = count * max(images[:1].numel(), 1)
    return {
        "loss": loss_sum / values,
        "mse": sse / values,
        "sse_per_image": sse / count,
        "kl": kl_sum / count,
    }


@torch.no_grad()
def mean_image_mse(dataset, chunk: int = 2000) -> float:
    """The test images' mean squared error per pixel against the mean training image: what a model that
    learned nothing but the average would score (a baseline beside its test MSE)."""
    mean = torch.zeros(dataset.train_images[:1].numel(), dtype=torch.float64)
    for start in range(0, len(dataset.train_images), chunk):
        mean += to_float(dataset.train_images[start : start + chunk]).double().sum(0)
    mean /= max(len(dataset.train_images), 1)
    total = sum(float(((to_float(dataset.test_images[start : start + chunk]).double() - mean) ** 2).sum())
                for start in range(0, len(dataset.test_images), chunk))  # fmt: skip
    return total / max(dataset.test_images.numel(), 1)
