"""Proximal operators: soft, hard and transformed-ℓ1 thresholding; ISTA, FISTA, linearized Bregman.

Sources: Osher (2018), BinaryRelax part; Dinh & Xin (2020); Lin (2019).

- :mod:`.thresholding` — the elementwise proximal maps, penalties and envelopes.
- :mod:`.lasso` — ISTA, FISTA and ADMM for the lasso, and their rate bounds.
- :mod:`.bregman` — linearized Bregman for basis pursuit, and the LP reference.
"""
from .bregman import basis_pursuit_lp, linearized_bregman
from .lasso import admm_lasso, fista, ista, lasso_bounds, lasso_objective
from .thresholding import (PENALTIES, hard_threshold, l0_penalty, l1_penalty, penalty,
                           penalty_envelope, soft_threshold, threshold, tl1_penalty,
                           tl1_threshold, tl1_threshold_value)

__all__ = ["PENALTIES", "admm_lasso", "basis_pursuit_lp", "fista", "ista", "lasso_bounds",
           "lasso_objective", "hard_threshold", "l0_penalty", "l1_penalty",
           "linearized_bregman", "penalty_envelope", "penalty", "soft_threshold", "threshold",
           "tl1_penalty", "tl1_threshold", "tl1_threshold_value"]
