"""Burgers' equation for w = u_x: characteristics, shock formation, Rankine–Hugoniot, widening.

For u_t + ½u_x² = 0, w = u_x solves w_t + (w²/2)_x = 0, w(·, 0) = f' (Osher 2018,
Deep Relaxation, "Conservation law: Burgers' equation"). With the single well
f(x) = −exp(−x²/2): f' = x e^{−x²/2}, f'' = (1 − x²)e^{−x²/2}, min f'' = −2e^{−3/2}
at x = ±√3, so t* = −1/min f'' = e^{3/2}/2 ≈ 2.2408.

1. Before t*, w = f'(x − tw) (``burgers_characteristics``); Godunov's scheme
   converges to it at order 1 (checked: 1 ± 0.2); ENO2 is more accurate.
2. Shock formation time: along the characteristic from √3 the slope is
   w_x = f''/(1 + t f''), so 1/max(−w_x) = −1/min f'' − t is linear and vanishes at
   t*. We fit that line to the Godunov solutions at 0.25–0.75 t* and take its root.
   The estimate converges at first order, t*_h − t* ≈ C·h: C is measured on a
   separate, coarser refinement (N/4 and N/2 cells: C = |t*_{4h} − t*_{2h}|/(2h)),
   and the finest estimate must lie within 2·C·h of the analytic t* (factor 2: the
   constant may drift between refinements). A run converging to a wrong time has
   a small C and fails.
3. After t*, a shock moves at the Rankine–Hugoniot speed (w_L + w_R)/2. The exact
   entropy solution is w = (x − y(x, t))/t with y the Hopf–Lax minimiser
   (``hopf_lax`` on 2·10⁵ nodes); its jump location X(t) is known to h_f/2 = 5e-5,
   so its speed by central differences over ±δ = 0.1 is known to h_f/(2δ) = 5e-4:
   that is the tolerance for speed vs (w_L + w_R)/2. Godunov's shock (the steepest
   drop, located to half a cell) must sit within one cell h of X(t).
4. The convex region of u, {w_x > 0} = (argmin w, argmax w), starts as f's
   (−1, 1) and its right end moves outward as x₁(t) = 1 + t f'(1) (the seed's
   derivation, p_x = 0 where x − tp = x₁). Measured as the argmax of w (three-point
   parabola); tolerance 2·C·h with C from the coarser refinement, as in 2.
"""
import numpy as np

from pdeopt.hj import burgers_characteristics, hopf_lax, solve_burgers

from . import _style
from ._harness import validation
from ._hj_common import observed_orders, order_table

T_STAR = np.exp(1.5) / 2


def f(x):
    return -np.exp(-x**2 / 2)


def fprime(x):
    return x * np.exp(-x**2 / 2)


def fsecond(x):
    return (1 - x**2) * np.exp(-x**2 / 2)


def cells(n, length=10.0):
    edges = np.linspace(-length, length, n + 1)
    return 0.5 * (edges[1:] + edges[:-1])


def first_order_tolerance(values, spacings):
    """2·C·h_finest, C = |v(4h) − v(2h)|/(2h) from the two coarsest of three grids."""
    h4, h2, h = spacings
    return 2 * np.abs(values[0] - values[1]) / (h4 - h2) * h


def shock_formation_time(x, times):
    h = x[1] - x[0]
    inverse_slope = [1 / np.max(-np.diff(solve_burgers(fprime(x), x, t).x) / h) for t in times]
    slope, intercept = np.polyfit(times, inverse_slope, 1)
    return -intercept / slope, inverse_slope


def right_endpoint(x, t):
    """argmax of w(·, t) by a three-point parabola: the right end of u's convex region."""
    w = solve_burgers(fprime(x), x, t).x
    i = int(np.argmax(w))
    shift = 0.5 * (w[i - 1] - w[i + 1]) / (w[i - 1] - 2 * w[i] + w[i + 1])
    return x[i] + shift * (x[1] - x[0])


def exact_shock(x_fine, t):
    """Right shock of the entropy solution from Hopf–Lax: position, w_L, w_R."""
    _, y = hopf_lax(f(x_fine), x_fine, t)
    w = (x_fine - y) / t
    jumps = np.abs(np.diff(y)) * (x_fine[:-1] > 0)
    k = int(np.argmax(jumps))
    return 0.5 * (x_fine[k] + x_fine[k + 1]), w[k], w[k + 1]


@validation("burgers-shock",
            source="Osher 2018, Deep Relaxation: Burgers' equation for w = u_x, shock time "
                   "t* = −1/min f'', convex region moving outwards",
            description="Godunov Burgers solver vs characteristics before t*, measured shock "
                        "time vs −1/min f'', Rankine–Hugoniot speed after, and the convex "
                        "region's endpoint x₁ + t f'(x₁).")
def burgers_shock(ctx):
    import matplotlib.pyplot as plt

    sizes = ctx.pick(quick=[500, 1000, 2000], default=[1000, 2000, 4000])

    # 1. Before the shock: characteristic solution, order of convergence.
    t_pre = 0.5 * T_STAR
    errs = {"godunov": [], "eno2": []}
    spacings = []
    for n in sizes:
        x = cells(n)
        spacings.append(x[1] - x[0])
        exact = burgers_characteristics(fprime, fsecond, x, t_pre)
        for scheme in errs:
            errs[scheme].append(np.max(np.abs(solve_burgers(fprime(x), x, t_pre, scheme=scheme).x
                                              - exact)))
    ctx.table(order_table(f"Burgers vs characteristics at t = t*/2 = {t_pre:.3f}, max error",
                          spacings, errs))
    ctx.check("Godunov vs characteristics: observed order", observed_orders(spacings,
              errs["godunov"])[-1], 1.0, tol=0.2, claim="osher2018/burgers-characteristics")
    ctx.check("ENO2 error below Godunov's (finest grid)", errs["eno2"][-1], errs["godunov"][-1],
              comparison="le", tol=0)
    ctx.progress("characteristics done")

    # 2. Shock formation time; the error constant from the two coarser grids.
    fit_times = np.linspace(0.25, 0.75, 6) * T_STAR
    estimates = np.array([shock_formation_time(cells(n), fit_times)[0] for n in sizes])
    tol_t = first_order_tolerance(estimates, spacings)
    ctx.table("| N | fitted t* | error |\n|---|---|---|\n" + "\n".join(
        f"| {n} | {e:.4f} | {e - T_STAR:.2e} |" for n, e in zip(sizes, estimates))
        + f"\n\nexact t* = −1/min f'' = {T_STAR:.4f}")
    ctx.check("shock formation time (finest grid) vs -1/min f''", estimates[-1], T_STAR,
              tol=tol_t, claim="osher2018/burgers-shock-time", headline=True,
              note="tol 2·C·h, C from the two coarser grids")
    ctx.progress("shock time done")

    # 3. After the shock: Rankine–Hugoniot on the exact solution; Godunov's shock position.
    x_fine = np.linspace(-10, 10, 200001)
    h_fine, delta = x_fine[1] - x_fine[0], 0.1
    x = cells(sizes[-1])
    h = x[1] - x[0]
    rh_err, pos_err, shock_rows = [], [], []
    for t in (1.5 * T_STAR, 2 * T_STAR, 3 * T_STAR):
        position, w_left, w_right = exact_shock(x_fine, t)
        later, earlier = exact_shock(x_fine, t + delta)[0], exact_shock(x_fine, t - delta)[0]
        speed = (later - earlier) / (2 * delta)
        rh_err.append(abs(speed - 0.5 * (w_left + w_right)))
        w = solve_burgers(fprime(x), x, t).x
        i = int(np.argmax(-np.diff(w) * (x[:-1] > 0)))
        pos_err.append(abs(0.5 * (x[i] + x[i + 1]) - position))
        shock_rows.append(f"| {t:.3f} | {position:.4f} | {speed:.5f} | "
                          f"{0.5 * (w_left + w_right):.5f} | {0.5 * (x[i] + x[i + 1]):.4f} |")
    ctx.table("| t | exact shock X | dX/dt | (w_L + w_R)/2 | Godunov shock |\n"
              "|---|---|---|---|---|\n" + "\n".join(shock_rows))
    ctx.check("|shock speed − Rankine–Hugoniot| (exact solution)", max(rh_err), 0.0,
              tol=h_fine / (2 * delta))
    ctx.check("|Godunov shock position − exact| / h", max(pos_err) / h, 0.0, tol=1.0)
    ctx.progress("shocks done")

    # 4. The convex region's right end moves outward as 1 + t f'(1).
    end_times = [0.5, 1.0, 1.5, 2.0]
    ends = np.array([[right_endpoint(cells(n), t) for t in end_times] for n in sizes])
    fine = ends[-1]
    predicted = 1 + np.array(end_times) * fprime(1.0)
    tol_end = first_order_tolerance(ends, spacings)
    ctx.table("| t | x₁ + t f'(x₁) | measured (finest) | tolerance 2Ch |\n|---|---|---|---|\n"
              + "\n".join(f"| {t} | {p:.4f} | {m:.4f} | {e:.2e} |"
                           for t, p, m, e in zip(end_times, predicted, fine, tol_end)))
    ctx.check("convex-region end moves outward (increasing in t, > 1)",
              bool(np.all(np.diff(fine) > 0) and fine[0] > 1), True, comparison="true",
              claim="osher2018/convex-region-moves")
    ctx.check("max_t |end − (1 + t f'(1))| / (2 C h)", np.max(np.abs(fine - predicted) / tol_end),
              1.0, comparison="le", claim="osher2018/convex-region-moves", headline=True,
              note="C from the two coarser grids, per t")

    # Figure: w at several times with the characteristic solution; 1/max slope; shock path.
    godunov = _style.color("godunov")
    with _style.context():
        fig, (ax_w, ax_s, ax_x) = plt.subplots(1, 3, figsize=(17, 5))
        snapshots = [(0.0, "t = 0")] + [(k * T_STAR, f"t = {name} = {k * T_STAR:.2f}")
                                         for k, name in ((0.5, "t*/2"), (1, "t*"), (2, "2t*"),
                                                         (3, "3t*"))]
        for col, (t, name) in zip(_style.sequence(len(snapshots)), snapshots):
            w = solve_burgers(fprime(x), x, t).x
            ax_w.plot(x, w, lw=1.4, color=col, label=f"Godunov, {name}")
            if t < T_STAR:
                ax_w.plot(x[::150], burgers_characteristics(fprime, fsecond, x[::150], t), "o",
                          ms=4, mfc="none", mew=1, color=_style.EXACT, zorder=3)
        ax_w.plot([], [], "o", ms=4, mfc="none", mew=1, color=_style.EXACT,
                  label="exact, characteristics w = f′(x − tw) (t < t*)")
        ax_w.set(xlim=(-6, 6), xlabel="x (dimensionless)", ylabel="w = u_x (dimensionless)",
                 title=f"w steepens and breaks into shocks after t* = {T_STAR:.3f}")
        ax_w.legend(loc="upper left", fontsize=8)

        _, inverse_slope = shock_formation_time(x, fit_times)
        tt = np.linspace(0, T_STAR * 1.05, 50)
        ax_s.plot(tt, 1 / (2 * np.exp(-1.5)) - tt, color=_style.EXACT, ls="--", lw=1.2,
                  label="exact: −1/min f″ − t")
        ax_s.plot(fit_times, inverse_slope, ls="none", **_style.method(
            "godunov", label=f"{{}} (N = {sizes[-1]}): 1/max(−w_x)"))
        ax_s.axvline(T_STAR, color=_style.THEORY, ls=":", lw=1.5,
                     label=f"t* = −1/min f″ = e^(3/2)/2 = {T_STAR:.3f}")
        fitted = np.poly1d(np.polyfit(fit_times, inverse_slope, 1))
        tf = np.linspace(fit_times[0], estimates[-1], 20)
        ax_s.plot(tf, fitted(tf), color=godunov, ls=":", lw=1.2,
                  label="line fitted to the Godunov points")
        ax_s.plot([estimates[-1]], [0.0], "*", ms=12, color=godunov, clip_on=False, zorder=4,
                  label=f"its root, the measured t* = {estimates[-1]:.3f}")
        ax_s.set(xlabel="t (dimensionless)", ylim=(0, None),
                 ylabel="1 / max(−∂w/∂x) (dimensionless)",
                 title="the steepest slope blows up at t* = −1/min f″")
        ax_s.legend(loc="upper right", fontsize=8)

        ts = np.linspace(1.05 * T_STAR, 3 * T_STAR, 12)
        ax_x.plot(ts, [exact_shock(x_fine, t)[0] for t in ts], color=_style.EXACT, lw=1.5,
                  label="shock position X(t), exact (Hopf–Lax)")
        tt = np.linspace(0, 2.2, 20)
        ax_x.plot(tt, 1 + tt * fprime(1.0), color=_style.THEORY, ls="--", lw=1.5,
                  label="x₁(t) = 1 + t f′(1) (theory)")
        ax_x.plot(end_times, fine, ls="none", **_style.method(
            "godunov", label=f"{{}} (N = {sizes[-1]}): right end of u's convex region"))
        ax_x.axvline(T_STAR, color=_style.THEORY, ls=":", lw=1.5, label="t*")
        ax_x.set(xlabel="t (dimensionless)", ylabel="position x (dimensionless)",
                 title="u's convex region widens; after t* a shock moves right")
        ax_x.legend(loc="upper left", fontsize=8)
        _style.claim(fig, "Burgers' equation for w = u_x: Godunov follows the characteristics, "
                          "a shock forms at t* = −1/min f″, u's convex region widens")
        ctx.save_figure(fig)
