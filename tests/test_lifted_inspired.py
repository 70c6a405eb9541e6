"""Optimization-inspired blocks: exact algorithm iterates (Lemma 4) and exact gradients."""
import numpy as np
import pytest

from pdeopt.lifted import get_lifted_activation, layer_objective
from pdeopt.lifted.accelerated import heavy_ball, nesterov
from pdeopt.nn import build_layer, layer_gradient_check
from pdeopt.nn.inspired import (INSPIRED_KINDS, OptimizationBlock, algorithm_coefficients,
                                 inspired_net)


@pytest.mark.parametrize("kind", INSPIRED_KINDS)
def test_block_gradients_match_finite_differences(kind):
    block = build_layer(OptimizationBlock(kind, 3, activation="tanh"), (5,), rng=0)
    rng = np.random.default_rng(1)
    alpha, beta = block.default_coefficients()
    block.set_coefficients(alpha + 0.3 * rng.normal(size=alpha.shape),
                           beta + 0.3 * rng.normal(size=beta.shape))
    errs = layer_gradient_check(block, rng.normal(size=(4, 5)))
    assert max(errs.values()) < 1e-6, errs


def _tied(kind, steps, u, act):
    block = build_layer(OptimizationBlock(kind, steps, activation=act), (u.shape[0],), rng=0)
    block.params["W"][...] = u @ u
    block.params["b"][...] = 0.0
    block.set_coefficients(*algorithm_coefficients(block))
    return block


def test_weight_tied_blocks_compute_the_algorithms_iterates():
    # Lemma 4: with W = U², x_k = U⁻¹z_k where z_k are the iterates of the method on
    # f(z) = ½‖z‖² − Σ g̃(U_iᵀz) with unit step (∇f(z) = z − UΦ(Uz)).
    rng = np.random.default_rng(0)
    d, steps, name = 6, 5, "tanh"
    b = rng.normal(size=(d, d))
    lam, vec = np.linalg.eigh(b @ b.T / d + 0.1 * np.eye(d))
    u = (vec * np.sqrt(lam)) @ vec.T
    _, step = layer_objective(u, get_lifted_activation(name))
    grad = lambda z: z - step(z)  # noqa: E731
    x0 = rng.normal(size=d)
    z0 = u @ x0

    gd = _tied("gd", steps, u, name)
    z = z0
    for _ in range(steps):
        z = step(z)
    np.testing.assert_allclose(gd.forward(x0[None])[0], np.linalg.solve(u, z), atol=1e-12)

    # heavy ball, x_{k+1} = Φ(Wx_k) + β(x_k − x_{k−1})
    hb = _tied("hb", steps, u, name)
    hb.set_coefficients(*algorithm_coefficients(hb, momentum=0.4))
    z_hb = heavy_ball(grad, z0, step=1.0, momentum=0.4, max_iter=steps).x
    np.testing.assert_allclose(hb.forward(x0[None])[0], np.linalg.solve(u, z_hb), atol=1e-12)

    # Nesterov in the seed's form; the block's states are its y_t in x coordinates
    ag = _tied("agd", steps, u, name)
    ag.set_coefficients(*algorithm_coefficients(ag))
    z_ag = nesterov(grad, z0, lipschitz=1.0, max_iter=steps).x
    np.testing.assert_allclose(ag.forward(x0[None])[0], np.linalg.solve(u, z_ag), atol=1e-12)


def test_equal_parameter_counts_up_to_coefficients():
    nets = {k: inspired_net(k, width=16, steps=3, rng=0) for k in INSPIRED_KINDS}
    weights = {k: m.n_params - sum(v.size for n, v in m.param_views()
                                   if n.endswith(("alpha", "beta")))
               for k, m in nets.items()}
    assert len(set(weights.values())) == 1
    x = np.random.default_rng(0).random((5, 8, 8))
    for m in nets.values():
        assert m.forward(x).shape == (5, 10)
    with pytest.raises(ValueError, match="kind must be one of"):
        OptimizationBlock("newton", 3)
