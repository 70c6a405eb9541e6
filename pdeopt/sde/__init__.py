"""Stochastic relaxation: Langevin estimators, Kramers' formula, homogenization, controlled SGD.

Source: Oberman (2017); Osher (2018), Deep Relaxation part.
"""
