"""Every hj kernel against its NumPy twin (CUDA under the simulator)."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from pdeopt.kernels import select

STEPS = [("viscous_step", (0.7,)), ("lax_friedrichs_step", (1.3,)),
         ("godunov_step", (1,)), ("godunov_step", (2,))]


def _args_2d(name, args):
    return args * 2 if name == "lax_friedrichs_step" else args


def _run(name, dim, backend, u, args, dt=1e-3):
    spacing = (0.1,) if dim == 1 else (0.1, 0.07)
    extra = args if dim == 1 else _args_2d(name, args)
    return select(f"hj.{name}_{dim}d", backend)(u, *spacing, dt, *extra)


@pytest.mark.parametrize("name,args", STEPS)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(3, 70),
       scale=st.sampled_from([1e-3, 1.0, 1e3]))
def test_stencils_1d_numba_equals_numpy(name, args, seed, n, scale):
    u = scale * np.random.default_rng(seed).normal(size=n)
    np.testing.assert_allclose(_run(name, 1, "numba", u, args), _run(name, 1, "numpy", u, args),
                               rtol=1e-13, atol=1e-13 * scale)


@pytest.mark.parametrize("name,args", STEPS)
@given(seed=st.integers(0, 2**32 - 1), n0=st.integers(3, 25), n1=st.integers(3, 25))
def test_stencils_2d_numba_equals_numpy(name, args, seed, n0, n1):
    u = np.random.default_rng(seed).normal(size=(n0, n1))
    np.testing.assert_allclose(_run(name, 2, "numba", u, args), _run(name, 2, "numpy", u, args),
                               rtol=1e-13, atol=1e-13)


def test_stencil_exact_on_quadratics():
    # For u = x²/2 all schemes' p = x exactly in the interior; Godunov gives H = x²/2.
    x = np.linspace(-1, 1, 21)
    u = 0.5 * x**2
    h = x[1] - x[0]
    for backend in ("numpy", "numba"):
        out = select("hj.godunov_step_1d", backend)(u, h, 1e-3, 2)
        np.testing.assert_allclose(out[2:-2], (u - 1e-3 * 0.5 * x**2)[2:-2], atol=1e-15)
        # viscous: ½p² − ε/2·u'' with u'' = 1
        out = select("hj.viscous_step_1d", backend)(u, h, 1e-3, 0.4)
        np.testing.assert_allclose(out[1:-1], (u - 1e-3 * (0.5 * x**2 - 0.2))[1:-1], atol=1e-15)


@pytest.mark.cuda
@pytest.mark.parametrize("name,args", STEPS)
def test_stencils_cuda_equal_numpy(name, args):
    rng = np.random.default_rng(3)
    u1, u2 = rng.normal(size=37), rng.normal(size=(9, 7))
    for dim, u in ((1, u1), (2, u2)):
        np.testing.assert_allclose(_run(name, dim, "cuda", u, args),
                                   _run(name, dim, "numpy", u, args), rtol=1e-13, atol=1e-13)


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 200), m=st.integers(1, 4),
       t=st.floats(1e-4, 1e3), scale=st.sampled_from([1e-2, 1.0, 1e4]))
def test_lower_envelope_equals_brute_force(seed, n, m, t, scale):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3) + 0.013 * np.arange(n)
    f = scale * rng.normal(size=(m, n))
    u_fast, j_fast = select("hj.lower_envelope", "numba")(f, x, t)
    u_ref, j_ref = select("hj.lower_envelope", "numpy")(f, x, t)
    np.testing.assert_allclose(u_fast, u_ref, rtol=1e-14, atol=0)
    np.testing.assert_array_equal(j_fast, j_ref)


def test_lower_envelope_ties_give_same_values():
    x = np.arange(50.0)
    f = np.round(np.random.default_rng(0).normal(size=(3, 50)))
    u_fast, j_fast = select("hj.lower_envelope", "numba")(f, x, 0.5)
    u_ref, j_ref = select("hj.lower_envelope", "numpy")(f, x, 0.5)
    np.testing.assert_allclose(u_fast, u_ref, rtol=1e-15, atol=0)
    # where they differ, both indices attain the minimum
    i = np.nonzero(j_fast != j_ref)
    np.testing.assert_allclose(f[i[0], j_fast[i]] + (x[i[1]] - x[j_fast[i]]) ** 2,
                               f[i[0], j_ref[i]] + (x[i[1]] - x[j_ref[i]]) ** 2)


@pytest.mark.cuda
def test_solvers_run_on_cuda_backend():
    from pdeopt.hj import solve_hj, solve_viscous_hj
    x = np.linspace(-2, 2, 24)
    f = np.cos(2 * x) + x**2 / 4
    np.testing.assert_allclose(solve_hj(f, x, 0.05, scheme="eno2", backend="cuda").x,
                               solve_hj(f, x, 0.05, scheme="eno2", backend="numpy").x,
                               atol=1e-13)
    np.testing.assert_allclose(solve_viscous_hj(f, x, 0.002, backend="cuda").x,
                               solve_viscous_hj(f, x, 0.002, backend="numpy").x, atol=1e-13)
