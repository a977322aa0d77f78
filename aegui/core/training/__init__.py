"""Training: the trainer, its records and runs, resuming, pacing, the training process and several processes."""
