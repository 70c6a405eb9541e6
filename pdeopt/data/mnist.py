"""Reader for the four MNIST IDX files (gzipped or not), with checksum verification."""
from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from pathlib import Path

import numpy as np

from .._checks import check_bool, check_choice
from .datasets import Dataset

__all__ = ["MNIST_FILES", "find_mnist", "load_mnist", "read_idx"]

#: The four files, with the SHA-256 of their decompressed bytes (shared/data/README.md).
MNIST_FILES = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
_MAGIC = {2051: 3, 2049: 1}  # images: n, rows, cols; labels: n


class _NotFound(FileNotFoundError, ValueError):
    """MNIST is not where ``path`` points: a ``FileNotFoundError`` that is also the
    ``ValueError`` the conventions give a wrong argument (a missing data file)."""


def _locate(folder: Path, stem: str) -> Path | None:
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    return None


def find_mnist(path=None) -> Path:
    """The folder holding the four MNIST files: ``path``, else ``$PDEOPT_DATA``.

    Raises ``FileNotFoundError`` (also a ``ValueError``) naming the folder and the missing
    files.
    """
    if path is None:
        path = os.environ.get("PDEOPT_DATA")
        if not path:
            raise _NotFound(
                "MNIST not found: no path given and PDEOPT_DATA is not set. Put "
                + ", ".join(MNIST_FILES) + " (optionally .gz) in a folder and pass it as "
                "path=..., --data DIR, or PDEOPT_DATA=DIR.")
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a folder (str or Path), got {type(path).__name__}")
    folder = Path(path)
    if not folder.is_dir():
        raise _NotFound(f"MNIST not found: path {folder} is not a folder. Put the four IDX "
                        "files in a folder and point path=, --data or PDEOPT_DATA at it.")
    missing = [stem for stem in MNIST_FILES if _locate(folder, stem) is None]
    if missing:
        raise _NotFound(
            f"MNIST not found in path {folder}: missing {', '.join(missing)} (optionally .gz). "
            f"Put the four IDX files there, or point path=, --data or PDEOPT_DATA elsewhere.")
    return folder


def read_idx(file: Path, *, expected_magic: int, sha256: str | None = None) -> np.ndarray:
    """Read one IDX file (gzipped or not) into a uint8 array, checking its header.

    Every way a file can be corrupt (a truncated or damaged gzip stream, a wrong magic
    number, a size that does not match the header, a checksum mismatch) raises
    ``ValueError`` naming the file.
    """
    if not isinstance(file, (str, os.PathLike)):
        raise TypeError(f"file must be a path (str or Path), got {type(file).__name__}")
    check_choice(expected_magic, "expected_magic", tuple(_MAGIC))
    file = Path(file)
    opener = gzip.open if file.suffix == ".gz" else open
    try:
        with opener(file, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise ValueError(f"{file}: cannot be read as an IDX file ({exc})") from None
    if len(raw) < 8:
        raise ValueError(f"{file}: too short to be an IDX file ({len(raw)} bytes)")
    magic = int.from_bytes(raw[:4], "big")
    if magic != expected_magic:
        raise ValueError(f"{file}: magic number {magic}, expected {expected_magic}")
    ndim = _MAGIC[magic]
    header = 4 + 4 * ndim
    dims = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    if len(raw) != header + int(np.prod(dims)):
        raise ValueError(f"{file}: header says shape {dims} ({header + int(np.prod(dims))} "
                         f"bytes) but the file has {len(raw)} bytes")
    if sha256 is not None and hashlib.sha256(raw).hexdigest() != sha256:
        raise ValueError(f"{file}: SHA-256 does not match the published MNIST checksum "
                         "(corrupt or different file; pass verify=False to skip this check)")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def load_mnist(path=None, *, verify: bool = True) -> Dataset:
    """MNIST: 60 000 training and 10 000 test images, 28×28, float32 in [0, 1].

    Parameters
    ----------
    path : str or Path, optional
        Folder with ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
        ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte`` (each may be
        ``.gz``). Defaults to ``$PDEOPT_DATA``.
    verify : bool
        Check the SHA-256 of each decompressed file against the published values.

    Raises
    ------
    FileNotFoundError
        When the folder or a file is missing (the message names them); it is also a
        ``ValueError``.
    ValueError
        When a file is corrupt (the message names the file).

    Examples
    --------
    >>> mnist = load_mnist("/path/to/mnist")          # doctest: +SKIP
    >>> mnist.x_train.shape, mnist.x_test.shape       # doctest: +SKIP
    ((60000, 28, 28), (10000, 28, 28))
    """
    verify = check_bool(verify, "verify")
    folder = find_mnist(path)
    arrays = {}
    for stem, digest in MNIST_FILES.items():
        magic = 2051 if "images" in stem else 2049
        arrays[stem] = read_idx(_locate(folder, stem), expected_magic=magic,
                                sha256=digest if verify else None)
    parts = []
    for split in ("train", "t10k"):
        images, labels = arrays[f"{split}-images-idx3-ubyte"], arrays[f"{split}-labels-idx1-ubyte"]
        if images.shape[0] != labels.shape[0]:
            raise ValueError(f"{folder}: {split} has {images.shape[0]} images but "
                             f"{labels.shape[0]} labels")
        parts += [images.astype(np.float32) / 255.0, labels.astype(np.int64)]
    return Dataset(*parts)
