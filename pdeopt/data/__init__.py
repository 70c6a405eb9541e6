"""Built-in data (scikit-learn's bundled digits), the MNIST IDX loader, splits and minibatches.

Nothing is downloaded: digits ship with scikit-learn; MNIST is read from a folder
given by ``path`` or the ``PDEOPT_DATA`` environment variable.
"""
from .batches import minibatches, train_val_split
from .datasets import Dataset, load_digits
from .mnist import MNIST_FILES, find_mnist, load_mnist

__all__ = ["Dataset", "load_digits", "load_mnist", "find_mnist", "MNIST_FILES",
           "train_val_split", "minibatches"]
