"""The Drawing feature: the canvas, what the model sees, the code bars and the reconstruction."""
