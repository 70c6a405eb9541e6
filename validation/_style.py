"""The shared look of the validation figures: one colour per method, slope labels, percents.

Students read these figures in lectures, so every one follows the same rules: a title
that states the claim (:func:`claim`), axes labelled with units or "(dimensionless)",
a legend entry for every line and marker, tick labels that do not collide
(:func:`plain_log_ticks`), and one colour per method in every panel and figure
(:func:`color`, :func:`method`). Draw inside :func:`context` so fonts match::

    with _style.context():
        fig, ax = plt.subplots()
        ax.loglog(h, err, **_style.method("godunov"))
        _style.slope_triangle(ax, h, err, 1)
        _style.claim(fig, "Godunov's scheme converges at order 1")
        ctx.save_figure(fig)

Colours come from matplotlib's "tab10" palette. Within each family of methods that
share figures (HJ schemes, training algorithms, sparse solvers, ...) the colours are
distinct; red is kept for Monte Carlo estimates, black for exact solutions and grey
for theoretical bounds, so those three read the same everywhere.
"""
from __future__ import annotations

import contextlib
import re

import numpy as np

__all__ = ["RC", "context", "color", "method", "display_name", "claim", "sequence",
           "slope_triangle", "slope_label", "percent_axis", "pct", "plain_log_ticks",
           "EXACT", "THEORY", "MONTE_CARLO"]

BLUE, ORANGE, GREEN, RED, PURPLE = "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"
BROWN, PINK, OLIVE, CYAN = "#8c564b", "#e377c2", "#bcbd22", "#17becf"
EXACT, THEORY, MONTE_CARLO = "black", "#7f7f7f", RED

RC = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 8.5,
    "legend.framealpha": 0.9,
    "figure.titlesize": 12.5,
    "figure.titleweight": "bold",
    "axes.grid": True,
    "grid.alpha": 0.25,
    "grid.linewidth": 0.6,
    "lines.markersize": 5,
}

# (display name, colour, marker) per method; keys are normalised by _key.
_METHODS = {
    # reference curves, the same in every figure
    "exact": ("exact", EXACT, None),
    "theory": ("theory", THEORY, None),
    "monte-carlo": ("Monte Carlo", MONTE_CARLO, "o"),
    # HJ schemes (hj-hopf-lax, burgers-shock) and viscous time stepping (hj-cole-hopf)
    "lax-friedrichs": ("Lax–Friedrichs", BLUE, "o"),
    "godunov": ("Godunov", ORANGE, "s"),
    "eno2": ("ENO2", GREEN, "^"),
    "explicit": ("explicit", PURPLE, "o"),
    "crank-nicolson": ("Crank–Nicolson", BROWN, "s"),
    # training algorithms and relaxations
    "gd": ("gradient descent", OLIVE, "v"),
    "sgd": ("SGD", BLUE, "o"),
    "esgd": ("ESGD", ORANGE, "s"),
    "heat": ("HEAT", GREEN, "^"),
    "h-esgd": ("H-ESGD", PURPLE, "D"),
    "hj": ("HJ", BROWN, "P"),
    "controlled-sgd": ("controlled SGD", PINK, "X"),
    "elastic-averaging": ("elastic averaging", CYAN, "o"),
    "local-entropy-flow": ("gradient flow of f_γ", EXACT, None),
    # graph-based learning
    "gl": ("GL", BLUE, "o"),
    "wnll": ("WNLL", ORANGE, "s"),
    # phase retrieval
    "er": ("ER", BLUE, "o"),
    "hio": ("HIO", ORANGE, "s"),
    "oss": ("OSS", GREEN, "^"),
    "pdhg": ("PDHG", PURPLE, "D"),
    "dr": ("Douglas–Rachford", BROWN, "v"),
    # sparse recovery and unrolled solvers
    "ista": ("ISTA", BLUE, "o"),
    "fista": ("FISTA", ORANGE, "s"),
    "lista": ("LISTA", GREEN, "^"),
    "basis-pursuit": ("basis pursuit", PURPLE, "s"),
    "linearized-bregman": ("linearized Bregman", BROWN, "o"),
    # networks
    "mnistfc": ("mnistfc", BLUE, "o"),
    "lenet": ("LeNet", ORANGE, "s"),
}

_ALIASES = {
    "lf": "lax-friedrichs", "eno": "eno2", "cn": "crank-nicolson",
    "gradient-descent": "gd", "csgd": "controlled-sgd", "mc": "monte-carlo",
    "langevin": "monte-carlo", "hopf-lax": "exact", "cole-hopf": "exact",
    "hj-prox": "hj", "hjprox": "hj", "douglas-rachford": "dr", "bp": "basis-pursuit",
    "lbreg": "linearized-bregman", "bregman": "linearized-bregman", "theoretical": "theory",
    "bound": "theory", "easgd": "elastic-averaging",
}


def _key(name: str) -> str:
    key = re.sub(r"[\s_\u2013\u2014-]+", "-", str(name).strip().lower())
    return _ALIASES.get(key, key)


def color(name: str) -> str:
    """The colour of method ``name`` (case, spaces, dashes and underscores ignored).

    Examples
    --------
    >>> color("Lax–Friedrichs") == color("lax_friedrichs") == color("LF")
    True
    """
    try:
        return _METHODS[_key(name)][1]
    except KeyError:
        raise KeyError(f"no colour for method {name!r}; add it to validation/_style.py") from None


def display_name(name: str) -> str:
    """How a legend names method ``name`` ("godunov" → "Godunov", "eno2" → "ENO2")."""
    entry = _METHODS.get(_key(name))
    return entry[0] if entry else str(name)


def method(name: str, label: str | None = None, marker: bool = True) -> dict:
    """Keyword arguments for ``ax.plot``: the method's colour, marker and legend label.

    ``label`` replaces the display name; ``"{}"`` inside it stands for that name.
    """
    shown, col, mark = _METHODS[_key(name)] if _key(name) in _METHODS else (name, None, None)
    if col is None:
        color(name)          # raises with the hint
    kw = {"color": col, "label": shown if label is None else label.format(shown)}
    if marker and mark:
        kw["marker"] = mark
    return kw


def sequence(n: int, cmap: str = "viridis", start: float = 0.0, stop: float = 0.85):
    """``n`` colours along a sequential map, for a parameter sweep (t, δ, ε, n, ...)."""
    import matplotlib.pyplot as plt
    return plt.get_cmap(cmap)(np.linspace(start, stop, n))


@contextlib.contextmanager
def context():
    """Font sizes and light grid of every validation figure (a ``plt.rc_context``)."""
    import matplotlib.pyplot as plt
    with plt.rc_context(RC):
        yield


def claim(fig, text: str, y: float = 1.0):
    """The figure's title: one sentence stating what the figure shows."""
    fig.suptitle(text, y=y)
    fig.tight_layout()


def _log_or_lin(ax, axis):
    return (ax.get_xscale() if axis == "x" else ax.get_yscale()) == "log"


def slope_label(ax, x, y, text, where: float = 0.5, side: str = "below", offset: float = 6):
    """Write ``text`` beside the line through the points (x, y), not on it.

    The label sits at fraction ``where`` along the line (in log coordinates on log axes),
    ``offset`` points to its ``side`` ("below" or "above"), diagonally away from it.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    lx, ly = _log_or_lin(ax, "x"), _log_or_lin(ax, "y")
    tx = np.log(x) if lx else x
    ty = np.log(y) if ly else y
    order = np.argsort(tx)
    t0 = tx[order][0] + where * (tx[order][-1] - tx[order][0])
    v0 = np.interp(t0, tx[order], ty[order])
    xm, ym = (np.exp(t0) if lx else t0), (np.exp(v0) if ly else v0)
    # below a rising line is to its lower right; below a falling one, to its lower left
    rising = (ty[order][-1] - ty[order][0]) >= 0
    right = rising == (side == "below")
    dx = offset if right else -offset
    dy = -offset if side == "below" else offset
    ha, va = ("left" if right else "right"), ("top" if side == "below" else "bottom")
    return ax.annotate(text, (xm, ym), xytext=(dx, dy), textcoords="offset points",
                       ha=ha, va=va, fontsize=8.5, color="0.2")


def slope_triangle(ax, x, y, p, *, side: str = "below", gap: float = 0.45,
                   color: str = "0.35", text: str | None = None):
    """A reference line of slope ``p`` (log–log) beside the data (x, y), with its label.

    The line spans the data's x range shifted by the factor ``gap`` below (or 1/gap above)
    the data, so it never hides them; its label ("slope p") is written beside the line
    on the side away from the data.

    Returns the line (pass it to a legend if wanted).
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    xs = np.geomspace(x.min(), x.max(), 20)
    # anchor so that the reference stays on one side of every data point
    ratio = y / x ** p
    anchor = ratio.min() * gap if side == "below" else ratio.max() / gap
    ys = anchor * xs ** p
    (line,) = ax.loglog(xs, ys, ls=":", lw=1.2, color=color)
    slope_label(ax, xs, ys, text or f"slope {p:g}", where=0.55, side=side)
    return line


def percent_axis(ax, axis: str = "y", decimals: int | None = None, scale: float = 100.0):
    """Tick labels like "20 %" on an axis holding percentages (``scale=1``: fractions)."""
    from matplotlib.ticker import PercentFormatter
    fmt = PercentFormatter(xmax=scale, decimals=decimals, symbol=" %")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def pct(value: float, digits: int = 1) -> str:
    """``value`` (a percentage) as "12.3 %" — never scientific notation."""
    return f"{value:.{digits}f} %"


def plain_log_ticks(ax, axis: str = "both"):
    """On log axes spanning under ~2 decades, label 1-2-5 ticks as plain numbers.

    Avoids the "2×10⁻³ 3×10⁻³ 4×10⁻³" pile-up matplotlib draws on short log ranges.
    """
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    def fmt(v, _pos):
        return f"{v:g}"

    for name in ("x", "y") if axis == "both" else (axis,):
        if not _log_or_lin(ax, name):
            continue
        ax_ = ax.xaxis if name == "x" else ax.yaxis
        lo, hi = ax.get_xlim() if name == "x" else ax.get_ylim()
        decades = abs(np.log10(hi / lo)) if lo > 0 and hi > 0 else 2.0
        subs = (1.0, 2.0, 3.0, 5.0) if decades < 1.3 else (1.0, 2.0, 5.0)
        ax_.set_major_locator(LogLocator(base=10, subs=subs))
        ax_.set_major_formatter(FuncFormatter(fmt))
        ax_.set_minor_formatter(NullFormatter())
