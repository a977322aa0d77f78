"""The Features feature: the first layer's weights, what each code value does, activations."""
