"""The design card's layout rule: only pdeopt.kernels imports numba."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _numba_imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                 else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        for name in names:
            if name == "numba" or name.startswith("numba."):
                yield node.lineno


@pytest.mark.parametrize("folder", ["pdeopt", "validation"])
def test_nothing_outside_kernels_imports_numba(folder):
    offenders = [f"{p.relative_to(ROOT)}:{line}" for p in sorted((ROOT / folder).rglob("*.py"))
                 for line in _numba_imports(p)]
    assert not offenders, f"numba imported outside kernels/: {offenders}"


def test_the_rule_sees_an_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from numba import cuda\n")
    assert list(_numba_imports(bad)) == [2]
