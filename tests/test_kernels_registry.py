"""The kernel registry: backend selection and clear errors."""
import os
import subprocess
import sys
from pathlib import Path

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


def _kernel_modules():
    """The kernel modules, from the files in the package's folder (not from the registry)."""
    folder = Path(kernels.__file__).parent
    return sorted(p.stem for p in folder.glob("*.py") if not p.stem.startswith("_"))


def test_first_select_from_many_threads_sees_every_kernel(monkeypatch):
    import threading
    from pdeopt.kernels import _registry
    # Every kernel name, seen by a fresh interpreter that imports each module file itself.
    script = ("import importlib, sys; from pdeopt.kernels import _registry as r\n"
              "for m in sys.argv[1:]: importlib.import_module('pdeopt.kernels.' + m)\n"
              "print(' '.join(sorted(r._KERNELS)))")
    expected = set(subprocess.run([sys.executable, "-c", script, *_kernel_modules()],
                                  capture_output=True, text=True, check=True).stdout.split())
    assert len(expected) > 10
    # This process as if nothing were loaded yet: an empty registry, no kernel module imported
    # (so importing one registers its kernels again).
    monkeypatch.setattr(_registry, "_KERNELS", {})
    monkeypatch.setattr(_registry, "_LOADED", False)
    for name in _kernel_modules():
        monkeypatch.delitem(sys.modules, f"pdeopt.kernels.{name}", raising=False)
        monkeypatch.delattr(kernels, name, raising=False)
    start, seen, errors = threading.Barrier(8), [], []

    def ask():
        start.wait()  # all eight threads ask at once
        try:
            names = set(kernels.kernel_names())
            for name in names:
                select(name)
            seen.append(names)
        except Exception as exc:  # pragma: no cover - the failure being tested
            errors.append(exc)
    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(seen) == 8
    assert all(names == expected for names in seen)


def test_numba_caches_outside_the_package(monkeypatch, tmp_path):
    # in the package folder, pip would leave the cache behind on uninstall (issue #18)
    from pdeopt.kernels import _registry
    import importlib
    package = Path(kernels.__file__).parent.resolve()
    dispatchers = [obj for name in _kernel_modules()
                   for obj in vars(importlib.import_module(f"pdeopt.kernels.{name}")).values()
                   if hasattr(obj, "_cache") and hasattr(obj, "py_func")]
    assert len(dispatchers) > 10
    for dispatcher in dispatchers:
        cache = Path(dispatcher._cache._cache_path).resolve()
        assert package not in cache.parents and package != cache, dispatcher
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    assert _registry._cache_dir() == str(tmp_path / "mine")   # the user's choice wins
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert Path(_registry._cache_dir()) == tmp_path / "pdeopt" / "numba"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert Path(_registry._cache_dir()) == tmp_path / ".cache" / "pdeopt" / "numba"
