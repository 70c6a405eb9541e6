"""Hamilton–Jacobi relaxation: local entropy, viscous and inviscid HJ, Hopf–Lax, Burgers, proximal point.

Sources: Osher (2018), Deep Relaxation part; Oberman (2017).
"""
from .local_entropy import local_entropy

__all__ = ["local_entropy"]
