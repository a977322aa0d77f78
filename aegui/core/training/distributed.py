"""Training on several processes: torchrun starts them, each trains on its share of every batch, and
DistributedDataParallel averages their gradients (gloo on CPUs, nccl on CUDA GPUs).

    torchrun --nproc-per-node 2 -m aegui train …     # one machine, two processes
    aegui train --nproc 2 …                          # the same, torchrun started for you

Every process builds the same model from the same seed and walks the same seeded order of the training
set; a batch is the same global batch as one process would take, split between the processes, so
the optimizer steps as one process's would (within the rounding of the gradient average).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist

from aegui.core.errors import AeguiError


class DistributedError(AeguiError):
    """Several processes were asked for and could not be started or joined."""


@dataclass(frozen=True)
class ProcessGroup:
    """This process's place among those torchrun started."""

    rank: int
    world_size: int
    local_rank: int

    @property
    def leads(self) -> bool:
        """Rank 0 alone prints, writes the metrics and saves the model."""
        return self.rank == 0

    def share(self, indices: torch.Tensor) -> torch.Tensor:
        """This process's part of a global batch: every world_size-th image, from its rank on."""
        return indices[self.rank :: self.world_size]

    def mean(self, values: torch.Tensor) -> torch.Tensor:
        """The average over the processes of a small tensor (losses to report)."""
        total = values.detach().clone()
        dist.all_reduce(total)
        return total / self.world_size


def from_environment() -> ProcessGroup | None:
    """The process group torchrun describes in the environment, or None for a single process."""
    try:
        world_size = int(os.environ.get("WORLD_SIZE", "1"))
        if world_size <= 1:
            return None
        return ProcessGroup(int(os.environ["RANK"]), world_size, int(os.environ.get("LOCAL_RANK", "0")))
    except (KeyError, ValueError) as error:
        raise DistributedError(f"WORLD_SIZE is set but torchrun's other variables are not usable ({error}).") from error


def join(group: ProcessGroup, device: torch.device) -> torch.device:
    """Join the other processes (gloo on the CPU, nccl on CUDA); the device this process trains on."""
    if device.type == "cuda":
        device = torch.device("cuda", group.local_rank % torch.cuda.device_count())
        torch.cuda.set_device(device)
    elif device.type != "cpu":
        raise DistributedError(f"Several processes train on CPUs or CUDA GPUs, not on {device.type}.")
    backend = "nccl" if device.type == "cuda" else "gloo"
    try:
        dist.init_process_group(backend=backend)
    except (RuntimeError, ValueError) as error:
        raise DistributedError(f"Could not join the other training processes ({backend}): {error}") from error
    return device


def leave() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def wrap(module: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """The module under DistributedDataParallel: its gradients are averaged over the processes in backward."""
    from torch.nn.parallel import DistributedDataParallel

    return DistributedDataParallel(module, device_ids=[device.index] if device.type == "cuda" else None)


def launch(processes: int, arguments: Sequence[str]) -> int:
    """Run `aegui <arguments>` (less `--nproc`) in `processes` processes on this machine under torchrun;
    its exit code."""
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}",
               "-m", "aegui", *without_nproc(arguments)]  # fmt: skip
    try:  # (a session of its own: a stop reaches the processes through here, once, not from the terminal too)
        torchrun = subprocess.Popen(command, start_new_session=True)
    except OSError as error:
        raise DistributedError(f"Could not start torchrun: {error}") from error
    stopped = 0
    while True:
        try:
            return 128 + stopped if torchrun.wait() == 0 and stopped else torchrun.returncode
        except KeyboardInterrupt as error:  # (Ctrl-C, or SIGTERM and SIGHUP as the command line raises them)
            stopped = stopped or getattr(error, "number", signal.SIGINT)
            _stop_workers(torchrun.pid)


def _stop_workers(torchrun: int) -> None:
    """Ask torchrun's processes to stop after their batch, each keeping what is finished (they agree on the batch;
    the leader saves). Sent to the workers themselves: torchrun, asked, would kill them."""
    try:
        children = Path(f"/proc/{torchrun}/task/{torchrun}/children").read_text().split()
    except OSError:  # (no /proc: the workers get it through torchrun)
        children = [str(torchrun)]
    for child in children:
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(child), signal.SIGTERM)


def without_nproc(arguments: Sequence[str]) -> list[str]:
    """The arguments less `--nproc N` (torchrun would take it for its own --nproc-per-node)."""
    kept, skip = [], False
    for argument in arguments:
        if skip:
            skip = False
        elif argument == "--nproc":
            skip = True
        elif not argument.startswith("--nproc="):
            kept.append(argument)
    return kept
