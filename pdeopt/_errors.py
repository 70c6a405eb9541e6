"""The error and warning classes of pdeopt (see ``CONVENTIONS.md``).

Bad input raises the built-in ``ValueError`` / ``TypeError`` naming the argument;
these classes cover what is left: a tolerance not met, a run that diverged, a backend
that is not there, an estimator used before ``fit``.
"""
from __future__ import annotations

__all__ = ["ConvergenceWarning", "DivergenceError", "BackendUnavailableError",
           "NotFittedError"]


class ConvergenceWarning(UserWarning):
    """An iterative method was given a tolerance and stopped on its budget without meeting it.

    The result is still returned, with ``success=False`` and ``status=2``.
    """


class DivergenceError(FloatingPointError):
    """An iterate became NaN or inf.

    The message names the method, the iteration and its parameters; ``error.result`` is
    the :class:`pdeopt.Result` of the iterations finished before it (``status=5``), so a
    diverging run loses nothing it recorded.
    """

    def __init__(self, message: str, result=None):
        super().__init__(message)
        self.result = result


class BackendUnavailableError(RuntimeError):
    """A backend was asked for that this machine (or this kernel) does not have."""


class NotFittedError(ValueError, AttributeError):
    """An estimator was used before ``fit`` (as ``sklearn.exceptions.NotFittedError``)."""
