"""Built-in digits, the MNIST IDX reader, splits and minibatches."""
import gzip

import numpy as np
import pytest

from pdeopt.data import (MNIST_FILES, load_digits, load_mnist, minibatches,
                         train_val_split)


def test_digits_scaled_split_and_deterministic():
    d = load_digits()
    assert d.x_train.dtype == np.float32 and d.x_train.shape[1:] == (8, 8)
    assert d.x_train.min() == 0.0 and d.x_train.max() == 1.0
    assert len(d.x_train) + len(d.x_test) == 1797 and d.n_classes == 10
    assert abs(len(d.x_test) / 1797 - 0.25) < 0.01
    e = load_digits()
    np.testing.assert_array_equal(d.y_test, e.y_test)
    assert not np.array_equal(load_digits(rng=1).y_test, d.y_test)


def _write_idx(path, magic, array, compress):
    raw = magic.to_bytes(4, "big") + b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    raw += array.astype(np.uint8).tobytes()
    if compress:
        with gzip.open(str(path) + ".gz", "wb") as fh:
            fh.write(raw)
    else:
        path.write_bytes(raw)


def _fake_mnist(folder, n=(5, 3), compress=True):
    rng = np.random.default_rng(0)
    for split, count in zip(("train", "t10k"), n):
        _write_idx(folder / f"{split}-images-idx3-ubyte", 2051,
                   rng.integers(0, 256, (count, 28, 28)), compress)
        _write_idx(folder / f"{split}-labels-idx1-ubyte", 2049, rng.integers(0, 10, count), compress)


@pytest.mark.parametrize("compress", [True, False])
def test_mnist_reader_on_small_files(tmp_path, compress):
    _fake_mnist(tmp_path, compress=compress)
    d = load_mnist(tmp_path, verify=False)
    assert d.x_train.shape == (5, 28, 28) and d.x_test.shape == (3, 28, 28)
    assert d.x_train.dtype == np.float32 and 0 <= d.x_train.min() and d.x_train.max() <= 1
    assert d.y_train.dtype == np.int64


def test_mnist_checksum_is_verified_by_default(tmp_path):
    _fake_mnist(tmp_path)
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.gz: SHA-256"):
        load_mnist(tmp_path)


def test_mnist_missing_files_name_the_folder_and_files(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError) as exc:
        load_mnist(tmp_path)
    assert str(tmp_path) in str(exc.value) and all(f in str(exc.value) for f in MNIST_FILES)
    monkeypatch.delenv("PDEOPT_DATA", raising=False)
    with pytest.raises(FileNotFoundError, match="PDEOPT_DATA is not set"):
        load_mnist()


def test_mnist_corrupt_file_names_it(tmp_path):
    _fake_mnist(tmp_path, compress=False)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x03" + b"\x00" * 8)
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte: magic number 2051"):
        load_mnist(tmp_path, verify=False)
    _fake_mnist(tmp_path, compress=False)
    raw = (tmp_path / "train-images-idx3-ubyte").read_bytes()
    (tmp_path / "train-images-idx3-ubyte").write_bytes(raw[:-10])
    with pytest.raises(ValueError, match="train-images-idx3-ubyte: header says shape"):
        load_mnist(tmp_path, verify=False)


def test_mnist_corrupt_gzip_stream_names_the_file(tmp_path):
    _fake_mnist(tmp_path, compress=True)
    gz = tmp_path / "train-labels-idx1-ubyte.gz"
    raw = bytearray(gz.read_bytes())
    raw[12:] = bytes(b ^ 0xFF for b in raw[12:])  # a damaged deflate stream after the header
    gz.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte.gz: cannot be read"):
        load_mnist(tmp_path, verify=False)
    gz.write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte.gz: cannot be read"):
        load_mnist(tmp_path, verify=False)


def test_mnist_bad_arguments(tmp_path):
    _fake_mnist(tmp_path)
    with pytest.raises(TypeError, match="verify must be True or False"):
        load_mnist(tmp_path, verify="no")
    with pytest.raises(TypeError, match="path must be a folder"):
        load_mnist(3)
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        load_mnist(tmp_path / "train-labels-idx1-ubyte.gz")


def test_real_mnist(mnist_dir, monkeypatch):
    monkeypatch.setenv("PDEOPT_DATA", str(mnist_dir))
    d = load_mnist()
    assert d.x_train.shape == (60000, 28, 28) and d.x_test.shape == (10000, 28, 28)
    assert d.y_train[:5].tolist() == [5, 0, 4, 1, 9]
    assert np.bincount(d.y_test).tolist()[0] == 980


def test_split_is_deterministic_disjoint_and_stratified():
    x = np.arange(1000).reshape(-1, 1)
    y = np.repeat(np.arange(4), 250)
    a = train_val_split(x, y, val_fraction=0.2, rng=3, stratify=True)
    b = train_val_split(x, y, val_fraction=0.2, rng=3, stratify=True)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    x_tr, y_tr, x_va, y_va = a
    assert len(x_va) == 200 and not set(x_tr.ravel()) & set(x_va.ravel())
    assert np.bincount(y_va).tolist() == [50] * 4
    with pytest.raises(ValueError, match="exactly one of"):
        train_val_split(x, y)
    with pytest.raises(ValueError, match="same number of samples"):
        train_val_split(x, y[:10], n_val=2)


def test_minibatches_cover_the_epoch_once():
    x, y = np.arange(10), np.arange(10)
    seen = np.concatenate([xb for xb, _ in minibatches(x, y, 3, rng=0)])
    assert sorted(seen.tolist()) == list(range(10))
    sizes = [len(xb) for xb, _ in minibatches(x, y, 3, rng=0, drop_last=True)]
    assert sizes == [3, 3, 3]
    first = [xb.tolist() for xb, _ in minibatches(x, y, 4, rng=np.random.default_rng(7))]
    again = [xb.tolist() for xb, _ in minibatches(x, y, 4, rng=np.random.default_rng(7))]
    assert first == again
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        minibatches(x, y, 0)  # refused at the call, not at the first batch


@pytest.mark.parametrize("fn", [lambda x, y: train_val_split(x, y, n_val=1),
                                lambda x, y: minibatches(x, y, 2)])
def test_split_and_minibatches_refuse_bad_arrays(fn):
    x, y = np.arange(6.0), np.arange(6)
    for bad, err, match in ((None, TypeError, "x must be an array"),
                            ("abc", TypeError, "x must be an array"),
                            (np.array(["a"] * 6), TypeError, "x must be a numeric array"),
                            (3.0, ValueError, "x must have a sample axis"),
                            (np.zeros((0, 2)), ValueError, "x must not be empty")):
        with pytest.raises(err, match=match):
            fn(bad, y)
    with pytest.raises(TypeError, match="y must be an array"):
        fn(x, None)
    with pytest.raises(ValueError, match="same number of samples"):
        fn(x, y[:4])


def test_split_and_digits_bad_options():
    x, y = np.arange(10.0), np.arange(10) % 2
    for frac in (0.0, 1.0, -0.5, np.nan):
        with pytest.raises(ValueError, match="val_fraction"):
            train_val_split(x, y, val_fraction=frac)
    with pytest.raises(ValueError, match="n_val must be < the number of samples 10"):
        train_val_split(x, y, n_val=10)
    with pytest.raises(TypeError, match="n_val must be an integer"):
        train_val_split(x, y, n_val=2.5)
    with pytest.raises(TypeError, match="stratify must be True or False"):
        train_val_split(x, y, n_val=2, stratify="yes")
    with pytest.raises(TypeError, match="rng"):
        train_val_split(x, y, n_val=2, rng="0")
    with pytest.raises(ValueError, match="rng must be a non-negative"):
        minibatches(x, y, 2, rng=-1)
    with pytest.raises(ValueError, match="test_fraction must be in"):
        load_digits(test_fraction=1.0)
    with pytest.raises(TypeError, match="test_fraction must be a real number"):
        load_digits(test_fraction=None)
