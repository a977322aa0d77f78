"""The Generate feature: new digits drawn from the model's code density."""
