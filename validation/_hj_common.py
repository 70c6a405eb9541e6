"""Helpers shared by the hj validations: test functions and observed orders of convergence."""
import numpy as np


def multiwell(x):
    """A nonconvex f with several local minima, growing like x²/4 (outflow boundaries)."""
    return 0.25 * x**2 + 1.5 * np.cos(2 * x)


def observed_orders(spacings, errors):
    """p_k = log(e_k/e_{k+1}) / log(h_k/h_{k+1}) for successive refinements."""
    h, e = np.asarray(spacings, float), np.asarray(errors, float)
    return np.log(e[:-1] / e[1:]) / np.log(h[:-1] / h[1:])


def order_table(title, spacings, columns, parameter="h"):
    """Markdown table: h (or ``parameter``), then each named error list and observed orders."""
    head = f"| {parameter} | " + " | ".join(f"{name} error | order" for name in columns) + " |"
    rule = "|---|" + "---|---|" * len(columns)
    rows = []
    orders = {name: observed_orders(spacings, errs) for name, errs in columns.items()}
    for k, h in enumerate(spacings):
        cells = []
        for name, errs in columns.items():
            p = f"{orders[name][k - 1]:.2f}" if k > 0 else ""
            cells.append(f"{errs[k]:.3e} | {p}")
        rows.append(f"| {h:.4g} | " + " | ".join(cells) + " |")
    return f"**{title}**\n\n" + "\n".join([head, rule] + rows)


def plot_orders(ax, spacings, columns, styles=None, **common):
    """Log-log error vs h, one line per column; ``styles[name]``: that line's plot keywords.

    Reference slopes are drawn by the caller with ``_style.slope_triangle`` beside the
    data they describe.
    """
    h = np.asarray(spacings, float)
    styles = styles or {}
    for name, errs in columns.items():
        kw = {"ls": "-", "label": name, **common, **styles.get(name, {})}
        ax.loglog(h, errs, **kw)
    ax.set(xlabel="grid spacing h (dimensionless)", ylabel="max error (dimensionless)")
