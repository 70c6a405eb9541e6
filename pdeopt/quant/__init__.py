"""Quantization: projections onto binary, ternary and b-bit sets; BinaryRelax.

Source: Osher (2018), BinaryRelax part (Yin, Zhang, Lyu, Osher, Qi, Xin, SIAM J. Imaging
Sci. 2018).

The projections, :class:`QuantizedSet` and the BinaryRelax/BinaryConnect steps also take
device arrays (CuPy, numba) and keep them on the GPU.
"""
from .binaryrelax import BinaryConnect, BinaryRelax, bwn, minimize_quantized, twn
from .project import LayerCode, project_binary, project_bits, project_ternary
from .qset import KINDS, QuantizedSet, dist

__all__ = ["BinaryConnect", "BinaryRelax", "bwn", "minimize_quantized", "twn", "KINDS",
           "LayerCode", "QuantizedSet", "dist", "project_binary", "project_bits",
           "project_ternary"]
