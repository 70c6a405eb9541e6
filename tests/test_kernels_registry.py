"""The kernel registry: backend selection and clear errors."""
import os

import numpy as np
import pytest

from pdeopt import kernels
from pdeopt.kernels import BackendUnavailableError, register, select


def _twice_numpy(x):
    return 2 * x


register("test.twice", numpy=_twice_numpy)
register("test.twice_cuda", numpy=_twice_numpy, cuda=_twice_numpy)


def test_select_numpy_and_auto_fall_back_to_the_twin():
    assert select("test.twice", "numpy") is _twice_numpy
    assert select("test.twice", "auto") is _twice_numpy  # no numba version registered
    assert "test.twice" in kernels.kernel_names()


def test_missing_backends_raise_clearly():
    with pytest.raises(BackendUnavailableError, match="no numba version"):
        select("test.twice", "numba")
    with pytest.raises(BackendUnavailableError, match="no CUDA version"):
        select("test.twice", "cuda")
    with pytest.raises(ValueError, match="backend must be one of"):
        select("test.twice", "gpu")
    with pytest.raises(ValueError, match="unknown kernel 'nope'"):
        select("nope")
    with pytest.raises(ValueError, match="already registered"):
        register("test.twice", numpy=_twice_numpy)


def test_cuda_unavailable_is_a_clear_error_not_a_crash(monkeypatch):
    from pdeopt.kernels import _registry
    monkeypatch.setattr(_registry, "cuda_available", lambda: (False, "no CUDA GPU was found"))
    with pytest.raises(BackendUnavailableError, match="backend='cuda'.*no CUDA GPU"):
        select("test.twice_cuda", "cuda")


@pytest.mark.cuda
def test_cuda_backend_is_selectable_when_available():
    # Runs on a GPU, or on the CPU under NUMBA_ENABLE_CUDASIM=1 (CI does both paths).
    ok, why = kernels.cuda_available()
    assert ok, why
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        assert "cuda" in kernels.available_backends("test.twice_cuda")


def test_every_registered_kernel_has_a_numpy_twin():
    from pdeopt.kernels._registry import _KERNELS
    for name in kernels.kernel_names():
        assert callable(_KERNELS[name].numpy), name
    assert np.all(select("test.twice")(np.arange(3)) == [0, 2, 4])


def test_first_select_from_many_threads_sees_every_kernel(monkeypatch):
    import threading
    from pdeopt.kernels import _registry
    monkeypatch.setattr(_registry, "_LOADED", False)
    names, errors = [], []

    def ask():
        try:
            names.append(len(kernels.kernel_names()))
        except Exception as exc:  # pragma: no cover - the failure being tested
            errors.append(exc)
    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(set(names)) == 1
