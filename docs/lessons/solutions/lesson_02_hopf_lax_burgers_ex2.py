"""Exercise 2: the shock formation time t* = −1/min f'' measured from Godunov's solutions.

Along a characteristic, w_x = f''(ξ)/(1 + t f''(ξ)), so the steepest negative slope obeys
1/max(−w_x) = −1/f''(ξ) − t with ξ = √3 (where f'' = (1 − ξ²)e^{−ξ²/2} is smallest): a line
in t that reaches 0 at t* = e^{3/2}/2. Fit the line to the Godunov slopes on
[0.25, 0.75] t* and take its root. Godunov is first order and smears the steepening front
by a cell or two, so expect a few per cent (halving h halves the error).
"""
import numpy as np

from pdeopt.hj import solve_burgers


def fprime(x):
    return x * np.exp(-x**2 / 2)


T_STAR = np.exp(1.5) / 2
x = np.linspace(-10, 10, 4001)
h = x[1] - x[0]
times = np.linspace(0.25, 0.75, 6) * T_STAR
inverse_slope = [1 / np.max(-np.diff(solve_burgers(fprime(x), x, t).x) / h)
                 for t in times]
slope, intercept = np.polyfit(times, inverse_slope, 1)
t_star = -intercept / slope
print(f"fitted slope {slope:.3f} (exact -1), measured t* = {t_star:.4f}, "
      f"exact e^(3/2)/2 = {T_STAR:.4f}")

assert abs(t_star - T_STAR) / T_STAR < 0.03 and abs(slope + 1) < 0.05, (t_star, slope)
