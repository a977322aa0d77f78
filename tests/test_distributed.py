"""Training in several processes (torchrun, gloo on the CPU): the same global batch as one process, the
same result within rounding; rank 0 alone prints, writes the metrics and saves the model."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch

import aegui
from aegui.cli import main
from aegui.core.model.device import describe_device
from aegui.core.training.distributed import DistributedError, ProcessGroup, from_environment, without_nproc
from tests.conftest import REPO

SMALL = ["train", "--dataset", "sample", "--epochs", "2", "--hidden", "64", "--code-size", "8", "--seed", "3"]


def test_two_gloo_processes_train_as_one_and_only_rank_0_speaks(tmp_path, capsys):
    metrics, saved = tmp_path / "two.json", tmp_path / "two.aegui.pt"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-m", "aegui", *SMALL, "--nproc", "2", "--metrics-out", str(metrics),
                             "--save", str(saved)], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=240)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert sum(line.startswith("Model:") for line in lines) == 1 and "2 processes" in result.stdout
    assert [line[:11] for line in lines if line.startswith("Epoch:")] == ["Epoch: 0001", "Epoch: 0002"]
    assert lines.count("Optimization Finished!") == 1
    two = json.loads(metrics.read_text())
    assert two["config"]["world_size"] == 2
    assert aegui.load_model(saved).code_size == 8  # the checkpoint opens like any model

    alone = tmp_path / "one.json"
    assert main([*SMALL, "--metrics-out", str(alone)]) == 0
    one = json.loads(alone.read_text())
    assert one["config"]["world_size"] == 1
    assert two["final"]["test_mse"] == pytest.approx(one["final"]["test_mse"], rel=0.05)


def test_each_process_takes_its_share_of_the_global_batch():
    batch = torch.arange(10)
    shares = [ProcessGroup(rank, 3, rank).share(batch) for rank in range(3)]
    assert sorted(torch.cat(shares).tolist()) == batch.tolist()
    assert [len(share) for share in shares] == [4, 3, 3]


def test_the_environment_torchrun_sets_is_read(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert from_environment() is None
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert from_environment() == ProcessGroup(1, 2, 1) and not from_environment().leads
    monkeypatch.setenv("RANK", "one")
    with pytest.raises(DistributedError):
        from_environment()


def test_nproc_is_not_passed_on_to_torchrun():
    assert without_nproc(["train", "--nproc", "2", "--epochs", "1", "--nproc=4"]) == ["train", "--epochs", "1"]


def test_the_device_line_counts_threads_in_english():
    """torchrun's processes on 2 cores get one thread each."""
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        assert describe_device(torch.device("cpu")) == "cpu (1 thread)"
        torch.set_num_threads(2)
        assert describe_device(torch.device("cpu")) == "cpu (2 threads)"
    finally:
        torch.set_num_threads(before)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_two_nodes_on_this_machine_train_as_one_process(tmp_path):
    """Two torchrun launchers as two nodes (c10d rendezvous on 127.0.0.1), one process each: one set of lines,
    one model file, the same test error as one process within rounding."""
    import shutil

    torchrun = shutil.which("torchrun", path=os.path.dirname(sys.executable))
    if torchrun is None:
        pytest.skip("torchrun is not installed beside this Python")
    port, metrics, saved = _free_port(), tmp_path / "nodes.json", tmp_path / "nodes.aegui.pt"
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    launchers = [subprocess.Popen([torchrun, "--nnodes", "2", "--node-rank", str(rank), "--nproc-per-node", "1",
                                   "--rdzv-backend", "c10d", "--rdzv-endpoint", f"127.0.0.1:{port}", "--rdzv-id",
                                   "aegui-test", "-m", "aegui", *SMALL, "--metrics-out", str(metrics), "--save",
                                   str(saved)], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for rank in (0, 1)]  # fmt: skip
    outputs = [launcher.communicate(timeout=300) for launcher in launchers]
    assert [launcher.returncode for launcher in launchers] == [0, 0], outputs[0][1][-2000:] + outputs[1][1][-2000:]
    everything = outputs[0][0] + outputs[1][0]
    assert everything.count("Optimization Finished!") == 1 and "2 processes" in everything
    nodes = json.loads(metrics.read_text())
    assert nodes["config"]["world_size"] == 2 and aegui.load_model(saved).code_size == 8
    alone = tmp_path / "one.json"
    assert main([*SMALL, "--metrics-out", str(alone)]) == 0
    one = json.loads(alone.read_text())
    assert nodes["final"]["test_mse"] == pytest.approx(one["final"]["test_mse"], rel=0.05)
