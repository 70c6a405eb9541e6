"""Command line for elastic averaging on the demo problem; under ``mpiexec`` each rank is a replica.

    mpiexec -n 4 python -m pdeopt.optim.elastic_mpi --steps 500 --out run.npz

Without ``mpiexec`` (or with one rank) it runs ``--replicas`` replicas in-process.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import numpy as np

from .elastic import demo_problem, elastic_averaging


def find_mpiexec():
    """``(path to mpiexec, "")``, or ``(None, reason)`` when mpiexec or mpi4py is missing."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return None, "mpi4py is not installed (pip install mpi4py mpich)"
    exe = shutil.which("mpiexec") or shutil.which("mpiexec", path=str(Path(sys.executable).parent))
    if exe is None:
        return None, "mpiexec is not on PATH (pip install mpich)"
    return exe, ""


def main(argv=None):
    """Run the demo problem; under ``mpiexec`` each rank is one replica."""
    parser = argparse.ArgumentParser(prog="python -m pdeopt.optim.elastic_mpi",
                                     description=main.__doc__)
    parser.add_argument("--steps", type=int, default=200)
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
                            gamma=args.gamma, lr=args.lr, steps=args.steps, inner=args.inner,
                            objective=objective, seed=args.seed, comm=comm)
    if comm is None or comm.Get_rank() == 0:  # every rank holds the same x and history
        print(f"elastic averaging, {res.info['parameters']['replicas']} replicas: "
              f"f(x) = {res.history['objective'][-1]:.6g} after {args.steps} steps")
        if args.out:
            np.savez(args.out, x=res.x, **res.history)
    return 0


if __name__ == "__main__":
    sys.exit(main())
