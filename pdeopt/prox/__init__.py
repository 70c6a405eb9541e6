"""Proximal operators: soft, hard and transformed-ℓ1 thresholding; ISTA, FISTA, linearized Bregman.

Sources: Osher (2018), BinaryRelax part; Dinh & Xin (2020); Lin (2019).
"""
from .threshold import (PENALTIES, hard_threshold, l0_penalty, l1_penalty, moreau_envelope,
                        penalty, soft_threshold, threshold, tl1_penalty, tl1_threshold,
                        tl1_threshold_value)

__all__ = ["PENALTIES", "hard_threshold", "l0_penalty", "l1_penalty", "moreau_envelope",
           "penalty", "soft_threshold", "threshold", "tl1_penalty", "tl1_threshold",
           "tl1_threshold_value"]
