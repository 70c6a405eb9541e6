import os
from pathlib import Path

import pytest
from hypothesis import settings

# Fast, deterministic property tests; CI can raise the count with HYPOTHESIS_PROFILE=ci.
settings.register_profile("default", max_examples=40, deadline=None, derandomize=True)
settings.register_profile("ci", max_examples=80, deadline=None, derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

#: The real MNIST shipped beside the repository (../shared/data/mnist), if present.
MNIST_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist"


@pytest.fixture(scope="session")
def mnist_dir():
    path = Path(os.environ.get("PDEOPT_DATA", MNIST_DIR))
    if not any((path / name).exists()
               for name in ("train-images-idx3-ubyte.gz", "train-images-idx3-ubyte")):
        pytest.skip(f"MNIST is not in {path}")
    return path


def _cupy_gpu():
    """Whether CuPy can run on a GPU here, and why not when it cannot."""
    try:
        import cupy
    except Exception as exc:  # ImportError, or a CuPy built for another CUDA
        return False, f"CuPy is not installed ({exc}): pip install -e .[gpu] on a GPU machine"
    try:
        if cupy.cuda.runtime.getDeviceCount() > 0:
            return True, ""
    except Exception as exc:
        return False, f"CuPy finds no GPU ({exc})"
    return False, "CuPy finds no GPU"


def pytest_collection_modifyitems(config, items):
    """Tests marked ``cuda`` run on a GPU or under NUMBA_ENABLE_CUDASIM=1; tests marked
    ``gpu`` (CuPy) only on a GPU with CuPy; else they skip with the reason."""
    from pdeopt.kernels import cuda_available
    ok, why = cuda_available()
    if not ok:
        skip = pytest.mark.skip(reason=why)
        for item in items:
            if "cuda" in item.keywords:
                item.add_marker(skip)
    if any("gpu" in item.keywords for item in items):
        ok, why = _cupy_gpu()
        if not ok:
            skip = pytest.mark.skip(reason=why)
            for item in items:
                if "gpu" in item.keywords:
                    item.add_marker(skip)


@pytest.fixture
def fake_cupy():
    """A strict CuPy stand-in (pdeopt.testing.fake_cupy) installed as ``cupy`` for one test:
    the device code paths run on the CPU, host round trips fail, transfers are counted."""
    from pdeopt.testing.fake_cupy import installed
    with installed() as cp:
        yield cp
