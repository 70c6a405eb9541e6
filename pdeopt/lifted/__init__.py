"""Lifted training: LPOM and ADMM; optimization algorithms as architectures.

Source: Lin (2019).
"""
