"""Paired comparisons over seeds: a method's gain over a baseline, with its standard error.

Shared by the validations that compare two training methods run from the same seeds (same
initialization, same minibatch order), where the effect may be smaller than the noise.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["check_paired_gain"]


def check_paired_gain(ctx, label: str, gain, *, claim, paper: str, unit: str = "points"):
    """Two checks on ``gain`` (baseline error − method error, one value per seed).

    * not worse: mean + 2 SE ≥ 0 (the headline: a resolved loss means the claim that the
      method matches or beats the baseline does not hold here);
    * better, resolved: mean − 2 SE ≥ 0 (fails when two standard errors exceed the gain:
      the claim is then partial, and the note gives the SE).

    Parameters
    ----------
    ctx : Context
        The validation's run context.
    label : str
        The checks' name (``"... mean + 2 SE"`` and ``"... mean - 2 SE"`` are appended).
    gain : array_like
        One paired difference per seed; at least two (SE = std(ddof=1)/√n).
    claim : str or list of str
        The claim id(s) both checks test.
    paper : str
        The paper's gain, for the note.
    unit : str
        The gain's unit, for the note.

    Returns
    -------
    tuple of float
        The mean gain and its standard error.
    """
    gain = np.asarray(gain, dtype=float)
    se = gain.std(ddof=1) / math.sqrt(gain.size) if gain.size > 1 else float("nan")
    note = f"mean {gain.mean():+.2f} ± {se:.2f} (SE) {unit}, {gain.size} seeds; paper {paper}"
    ctx.check(f"{label}, mean + 2 SE", gain.mean() + 2 * se, 0.0, comparison="ge", note=note,
              claim=claim, headline=True, paper=True)
    ctx.check(f"{label}, mean - 2 SE", gain.mean() - 2 * se, 0.0, comparison="ge", note=note,
              claim=claim, paper=True)
    return float(gain.mean()), float(se)
