"""Small framework-free networks in NumPy: layers, models, losses, optimizers, training loop."""
