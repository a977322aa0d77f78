"""The core: data, model, training, checkpoints. Imports torch and numpy, never Qt."""
