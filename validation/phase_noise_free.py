"""Noise-free phase retrieval: HIO, OSS and PDHG find the object; ER stagnates.

From exact magnitudes M = |F u| of two nanorice grains (tight support) and, in
default and full mode, of the vesicle in its rectangular support (grid 3× its
height), each algorithm starts from several independent random phases. A start counts as
a success when the R-factor Σ| |F x| − M |/ΣM of its estimate is below 1e-3 and
its real-space error, after removing translation, conjugate flip and global
phase, is below 1e-2. Fienup (1982) and every later comparison report that HIO
(and its smoothed variants) reach the solution from most starts while error
reduction stalls in a local minimum far above it; the checks say so with the
measured rates. PDHG runs with σ = 0 (exact data: the hard magnitude
constraint) and the seed's DR3 smoothing; PDHG with s = t = 1 and no smoothing
is Douglas–Rachford, shown beside it.
"""
import numpy as np

from . import _style
from ._harness import validation

#: The FFT of every reconstruction here: scipy's is deterministic, so the figures are
#: reproducible from the seed (FFTW_MEASURE plans are chosen by timing).
FFT = "scipy"


def douglas_rachford(magnitudes, support, x0, n_iter):
    """DR for |F x| = M, x ≥ 0 on the support (unitary FFT): final estimate, R history."""
    def fft(a):
        return np.fft.fft2(a, norm="ortho")

    def p_x(v):
        return np.maximum(np.real(np.fft.ifft2(v, norm="ortho")), 0.0) * support

    def p_m(w):
        return magnitudes * np.exp(1j * np.angle(w))

    w = fft(x0.astype(complex))
    history = []
    for _ in range(n_iter):
        pm = p_m(w)
        x = p_x(2 * pm - w)
        w = w + fft(x) - pm
        history.append(np.sum(np.abs(np.abs(fft(x)) - magnitudes)) / np.sum(magnitudes))
    return x, np.array(history)


@validation("phase-noise-free",
            source="Osher 2018, phase retrieval; Fienup, Appl. Opt. 21, 2758 (1982)",
            description="from noise-free magnitudes HIO, OSS and PDHG reach R < 1e-3 and "
                        "real-space error < 1e-2 from most random starts; ER stagnates.")
def phase_noise_free(ctx):
    import matplotlib.pyplot as plt

    from pdeopt import phase as ph

    # Set up: two phantoms and their exact magnitudes: two nanorice grains with a tight
    # support, and (not in quick mode) the vesicle in its rectangle, oversampled 3×.
    cases = [("nanorice2", ph.nanorice(64, variant=2, rng=0), ctx.pick(1000, 1000, 2000))]
    if not ctx.quick:
        cases.append(("vesicle", ph.vesicle(64, oversampling=3.0, rng=0),
                      ctx.pick(2000, 2000, 3000)))
    n_runs = ctx.pick(quick=3, default=6, full=40)
    methods = {
        "ER": (ph.error_reduction, {}),
        "HIO": (ph.hio, {"beta": 0.9}),
        "OSS": (ph.oss, {"beta": 0.9}),
        "PDHG (DR3, σ=0)": (ph.pdhg, {"sigma": 0.0, "smoothing": "dr3"}),
        "PDHG = DR (s=t=1, G=0)": (ph.pdhg, {"sigma": 0.0, "smoothing": None}),
    }
    seed = int(ctx.rng.integers(2 ** 31))
    all_results = {}
    for label, truth, n_iter in cases:
        magnitudes = ph.simulate(truth.object)

        # Compute: n_runs reconstructions per method from seeded random phases.
        results = {}
        for name, (algorithm, params) in methods.items():
            # ER stagnates within a few hundred iterations: more would only cost time
            iters = min(n_iter, 500) if name == "ER" else n_iter
            # scipy's FFT: reproducible rounding whatever FFT library is installed (see
            # phase_statistics.FFT)
            runs = ph.reconstruct_many(algorithm, magnitudes, truth.support, iters, n_runs,
                                       rng=seed, fft=FFT, **params)
            r = np.array([run.history["r_factor"][-1] for run in runs])
            err = np.array([ph.real_space_error(run.x, truth.object) for run in runs])
            results[name] = (runs, r, err)
        ctx.progress(f"{label}: {len(methods)} methods × {n_runs} runs of {n_iter} iterations")
        all_results[label] = (truth, magnitudes, results)

        rows = [f"**{label}** (64², noise-free, {n_runs} starts, {n_iter} iterations)", "",
                "| method | median R | median real-space error | "
                "success rate (R<1e-3, err<1e-2) |", "| --- | --- | --- | --- |"]
        for name, (_, r, err) in results.items():
            rows.append(f"| {name} | {np.median(r):.2e} | {np.median(err):.2e} | "
                        f"{np.mean((r < 1e-3) & (err < 1e-2)):.0%} |")
        ctx.table("\n".join(rows))

        # Check: "most" starts (more than half) succeed for HIO, OSS and PDHG.
        for name in ("HIO", "OSS", "PDHG (DR3, σ=0)", "PDHG = DR (s=t=1, G=0)"):
            _, r, err = results[name]
            ctx.check(f"{label} {name}: share with R<1e-3, err<1e-2",
                      np.mean((r < 1e-3) & (err < 1e-2)), 0.5, comparison="ge",
                      note="at least half of the starts")
        # ER stagnates: its median R stays at least 10× above HIO's (a local minimum).
        ctx.check(f"{label} ER median R / HIO median R",
                  np.median(results["ER"][1]) / np.median(results["HIO"][1]), 10.0,
                  comparison="ge", note="ER stagnates", claim="osher2018/hio-beats-er")

    # PDHG with s = t = 1, σ = 0 and G = 0 is Douglas–Rachford (the seed's primal-dual
    # slide): its iterates equal those of DR written out here independently,
    # w ← w + F P_X F⁻¹(2 P_M w − w) − P_M w, x = P_X F⁻¹(2 P_M w − w), from w⁰ = F x⁰.
    # Rounding (~1e-16 per FFT step) is amplified by P_M, which is not nonexpansive (the
    # magnitude set is not convex): the iterates are compared after 1 and 10 steps, to
    # 1e-12, and the growth of the gap over more steps is reported.
    truth = cases[0][1]
    magnitudes = ph.simulate(truth.object)
    x0 = ctx.rng.uniform(size=truth.object.shape) * truth.support
    gaps = {}
    for n_dr in (1, 10, 30, 100):
        res = ph.pdhg(magnitudes, truth.support, n_dr, x0=x0, sigma=0.0, s=1.0, t=1.0,
                      smoothing=None, restart_best=False, fft=FFT)
        x_dr, r_dr = douglas_rachford(magnitudes, truth.support, x0, n_dr)
        gaps[n_dr] = (np.max(np.abs(res.x - x_dr)) / np.max(np.abs(x_dr)),
                      np.max(np.abs(res.history["r_factor"][-n_dr:] - r_dr)))
    for n_dr in (1, 10):
        ctx.check(f"PDHG (s=t=1, σ=0, G=0) vs Douglas–Rachford: max |x - x_DR| / max|x_DR| "
                  f"after {n_dr} it.", gaps[n_dr][0], 0.0, tol=1e-12,
                  claim="osher2018/pdhg-is-dr", headline=n_dr == 10,
                  note=f"R histories within {gaps[n_dr][1]:.1e}")
    ctx.table("PDHG (s = t = 1, σ = 0, G = 0) vs Douglas–Rachford from the same start: "
              "relative gap of the iterates after n steps: " + ", ".join(
                  f"n = {n}: {g[0]:.1e}" for n, g in gaps.items())
              + " (rounding, amplified by the non-convex magnitude projection).")

    # Draw: per case, the object, the median reconstruction of each method, the curves.
    with _style.context():
        _draw(ctx, plt, ph, all_results)


def _sci(v):
    """``v`` for a title: plain decimals down to 0.001, else mathtext a×10ᵇ."""
    if v >= 1e-3:
        return f"{v:.3g}"
    mant, exp = f"{v:.1e}".split("e")
    return rf"${mant}\times10^{{{int(exp)}}}$"


def _draw(ctx, plt, ph, all_results):
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch, Rectangle

    fig, axes = plt.subplots(len(all_results), 6, figsize=(20, 4.2 * len(all_results) + 0.6),
                             squeeze=False, gridspec_kw={"width_ratios": [1, 1, 1, 1.15, 1.5,
                                                                           1.5]})
    for row, (label, (truth, magnitudes, results)) in enumerate(all_results.items()):
        vmax = float(truth.object.max())
        axes[row, 0].imshow(truth.object, cmap="gray", vmin=0, vmax=vmax)
        axes[row, 0].contour(truth.support, levels=[0.5], colors="r", linewidths=0.8)
        axes[row, 0].set_title(f"{label}: true object,\nsupport D in red")
        for ax, name in zip(axes[row, 1:4], ("ER", "HIO", "PDHG (DR3, σ=0)")):
            runs, r, err = results[name]
            i = int(np.argsort(err)[len(err) // 2])
            im = ax.imshow(ph.align(runs[i].x, truth.object), cmap="gray", vmin=0, vmax=vmax)
            ax.set_title(f"{_legend(name)}, median start\nR = {_sci(r[i])}, error = {_sci(err[i])}")
        for ax in axes[row, :4]:
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
        fig.colorbar(im, ax=axes[row, 3], fraction=0.046, pad=0.04,
                     label="density (arbitrary units)")
        ax = axes[row, 4]
        longest = max(len(run.history["r_factor"]) for v in results.values() for run in v[0])
        for name, (runs, _, _) in results.items():
            curve = np.median([run.history["r_factor"] for run in runs], axis=0)
            ax.semilogy(np.arange(1, len(curve) + 1), curve, lw=1.3, color=_color(name))
            if len(curve) < longest:
                ax.plot(len(curve), curve[-1], "|", ms=12, mew=2, color=_color(name))
                ax.annotate(f"{name} run for {len(curve)} it. only\n(stagnated)",
                            (len(curve), curve[-1]), xytext=(6, 6),
                            textcoords="offset points", fontsize=8, color=_color(name))
        ax.axhline(1e-3, color=_style.THEORY, ls=":", lw=1.2)
        ax.set(xlabel="iteration", ylabel="R-factor, median over starts\n(dimensionless)",
               title=f"{label}: convergence")
        ax = axes[row, 5]
        lows = []
        for name, (_, r, err) in results.items():
            r, err = np.maximum(r, 1e-14), np.maximum(err, 1e-14)
            lows.append((r.min(), err.min()))
            ax.loglog(r, err, ls="none", ms=5, alpha=0.8,
                      **_style.method(_key(name), label=_legend(name)))
        x_lo = min(1e-4, min(v[0] for v in lows) / 5)
        y_lo = min(1e-3, min(v[1] for v in lows) / 5)
        ax.set_xlim(x_lo, None)
        ax.set_ylim(y_lo, None)
        ax.add_patch(Rectangle((1e-30, 1e-30), 1e-3, 1e-2, color=_style.THEORY, alpha=0.15,
                               lw=0))
        ax.axvline(1e-3, color=_style.THEORY, ls=":", lw=1.2)
        ax.axhline(1e-2, color=_style.THEORY, ls=":", lw=1.2)
        ax.set(xlabel="final R-factor (dimensionless)",
               ylabel="real-space error (dimensionless)",
               title=f"{label}: every start, one marker each")
    # one legend for all panels: a method's line (convergence) and marker (every start)
    handles = [Line2D([], [], lw=1.3, **_style.method(_key(name), label=_legend(name)))
               for name in all_results[next(iter(all_results))][2]]
    handles += [Line2D([], [], color=_style.THEORY, ls=":", lw=1.2,
                       label="success thresholds: R = $10^{-3}$, error = $10^{-2}$"),
                Patch(color=_style.THEORY, alpha=0.15, label="success region (shaded)")]
    fig.legend(handles=handles, loc="lower center", ncol=4, fontsize=9, frameon=False)
    fig.suptitle("From noise-free magnitudes HIO, OSS and PDHG recover the object from "
                 "most random starts; ER stagnates far above")
    fig.tight_layout(rect=(0, 0.13 / len(all_results), 1, 1))
    ctx.save_figure(fig)


def _key(name):
    """The shared-style key of a method label in ``methods``."""
    return {"ER": "er", "HIO": "hio", "OSS": "oss", "PDHG (DR3, σ=0)": "pdhg",
            "PDHG = DR (s=t=1, G=0)": "dr"}[name]


def _color(name):
    return _style.color(_key(name))


def _legend(name):
    return {"PDHG (DR3, σ=0)": "PDHG (GPS), DR3, σ = 0",
            "PDHG = DR (s=t=1, G=0)": "PDHG = Douglas–Rachford (s = t = 1, G = 0)"}.get(
                name, name)
