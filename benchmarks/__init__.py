"""Benchmarks: `python -m benchmarks` prints every figure beside its bar and baseline."""
