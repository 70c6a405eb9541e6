"""Proximal operators: soft, hard and transformed-ℓ1 thresholding; ISTA, FISTA, linearized Bregman.

Sources: Osher (2018), BinaryRelax part; Dinh & Xin (2020); Lin (2019).
"""
