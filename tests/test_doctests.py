"""The docstring examples of pdeopt.kernels and pdeopt.validation, under their installed names.

``pytest --doctest-modules`` (setup.cfg) collects the examples of pdeopt/ itself; kernels/ and
validation/ live outside pdeopt/ in the source tree, and pytest would import them from there
as second packages named ``kernels`` and ``validation``.
"""
import doctest
import importlib
import pkgutil

import pytest

PACKAGES = ("pdeopt.kernels", "pdeopt.validation")
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE  # as doctest_optionflags in setup.cfg


def _modules():
    for package in PACKAGES:
        yield package
        for mod in pkgutil.iter_modules(importlib.import_module(package).__path__):
            yield f"{package}.{mod.name}"


@pytest.mark.parametrize("name", list(_modules()))
def test_docstring_examples_pass(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=FLAGS, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed (above)"
