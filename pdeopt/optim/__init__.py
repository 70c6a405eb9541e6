"""Optimizers acting on a flat weight vector: the Entropy-SGD family, elastic averaging, RVSCGD.

Sources: Oberman (2017); Dinh & Xin (2020).
"""
