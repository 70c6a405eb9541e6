"""Quantization: projections onto binary, ternary and b-bit sets; BinaryRelax.

Source: Osher (2018), BinaryRelax part.
"""
