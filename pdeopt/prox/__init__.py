"""Proximal operators: soft, hard and transformed-ℓ1 thresholding; ISTA, FISTA, linearized Bregman.

Sources: Osher (2018), BinaryRelax part; Dinh & Xin (2020); Lin (2019).
"""
from .bregman import basis_pursuit_lp, linearized_bregman
from .ista import admm_lasso, fista, ista, lasso_bounds, lasso_objective
from .threshold import (PENALTIES, hard_threshold, l0_penalty, l1_penalty, moreau_envelope,
                        penalty, soft_threshold, threshold, tl1_penalty, tl1_threshold,
                        tl1_threshold_value)

__all__ = ["PENALTIES", "admm_lasso", "basis_pursuit_lp", "fista", "ista", "lasso_bounds",
           "lasso_objective", "hard_threshold", "l0_penalty", "l1_penalty",
           "linearized_bregman", "moreau_envelope", "penalty", "soft_threshold", "threshold",
           "tl1_penalty", "tl1_threshold", "tl1_threshold_value"]
