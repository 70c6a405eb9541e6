"""Hamilton–Jacobi relaxation: local entropy, viscous and inviscid HJ, Hopf–Lax, Burgers, prox.

Sources: Osher (2018), Deep Relaxation part; Oberman (2017).

* :func:`local_entropy` — f_γ = −log(G_γ * e^{−f}) and ∇f_γ = (x − ⟨y⟩)/γ;
* :func:`solve_viscous_hj` — u_t + ½|∇u|² = (ε/2)Δu by finite differences;
* :func:`hopf_lax`, :func:`moreau_envelope` — the exact inviscid solution and prox;
* :func:`solve_hj` — Lax–Friedrichs, Godunov and ENO2 schemes for u_t + ½|∇u|² = 0;
* :func:`solve_burgers`, :func:`burgers_characteristics` — w = u_x;
* :func:`proximal_point`, :func:`proximal_step_sizes`, :func:`hj_prox` — proximal methods.

The PDE solvers and :func:`proximal_point` return a :class:`pdeopt.Result`. With
``backend="cuda"`` (or a device array and ``"auto"``) :func:`solve_hj`, :func:`solve_burgers`
and the explicit :func:`solve_viscous_hj` run their whole time loop on the GPU.
"""
from .burgers import burgers_characteristics, solve_burgers
from .envelope import hopf_lax, moreau_envelope
from .entropy import local_entropy
from .proximal import hj_prox, proximal_point, proximal_step_sizes
from .schemes import SCHEMES, solve_hj
from .viscous import solve_viscous_hj

__all__ = ["local_entropy", "solve_viscous_hj", "hopf_lax", "moreau_envelope", "solve_hj",
           "SCHEMES", "solve_burgers", "burgers_characteristics", "proximal_point",
           "proximal_step_sizes", "hj_prox"]
