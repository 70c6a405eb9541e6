"""Sphinx configuration of the pdeopt site (issue #21).

Built by ``sphinx-build -W -b html docs docs/_build/html``; warnings are errors. Everything
the site loads lies inside it (MathJax from sphinx-mathjax-offline, the theme's own fonts,
Sphinx's search index), so it works offline.

Three parts are generated here at ``builder-inited`` (into git-ignored folders), so nothing
is a hand-written list:

* ``api/modules/*.rst``: one page per subpackage of setup.cfg's ``packages`` with an
  ``__all__``, an autosummary of every public name (autosummary writes ``api/generated/``);
* ``validations/*.rst``: one page per validation of ``pdeopt list``, with its figure, claim,
  checks and claims-ledger rows from the committed ``figures/results.json``;
* the lessons' exercise solutions (``lessons/solutions/*.py``) are each run in a subprocess;
  one that fails, or does not end with an ``assert``, fails the build.

The lessons themselves are sphinx-gallery scripts in ``lessons/``, executed by the build.
"""
from __future__ import annotations

import ast
import configparser
import hashlib
import importlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sphinx.errors import ExtensionError
from sphinx.util import logging

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
os.environ.setdefault("MPLBACKEND", "Agg")

import pdeopt  # noqa: E402

logger = logging.getLogger("pdeopt-docs")

# -- project -------------------------------------------------------------------------------
project = "pdeopt"
author = "the pdeopt authors"
copyright = "the pdeopt authors"
release = version = pdeopt.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax 3 copied into _static/mathjax: no CDN
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "sphinx_design",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "lessons/README.rst", "lessons/solutions", "**.ipynb_checkpoints"]
root_doc = "index"

# -- HTML: furo, nothing from outside the site ----------------------------------------------
html_theme = "furo"
html_title = f"pdeopt {release}"
html_static_path = ["_static"]
html_show_sourcelink = False
html_favicon = "_static/favicon.svg"  # a local icon: the browser asks for no /favicon.ico
mathjax_path = "mathjax/tex-chtml.js"  # local copy (sphinx-mathjax-offline)
mathjax3_config = {"tex": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]]}}

# -- API reference -------------------------------------------------------------------------
autosummary_generate = True
autosummary_generate_overwrite = True  # rewritten only when their content changes
autodoc_typehints = "none"  # the numpydoc Parameters say the types
autodoc_default_options = {"inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks = set()

# -- lessons (sphinx-gallery) --------------------------------------------------------------
# PDEOPT_DOCS_LESSONS=REGEX (e.g. lesson_04) executes and checks only the matching lessons
# and their solutions, to iterate on one; the full build (no variable) runs them all.
LESSONS = os.environ.get("PDEOPT_DOCS_LESSONS", "")
sphinx_gallery_conf = {
    "examples_dirs": ["lessons"],
    "gallery_dirs": ["auto_lessons"],
    "filename_pattern": r"lesson_" + (f".*({LESSONS})" if LESSONS else ""),  # execute them
    "ignore_pattern": r"(__init__|/solutions/)",
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "download_all_examples": True,
    "doc_module": ("pdeopt",),
    "backreferences_dir": "gen_modules/backreferences",
    "image_scrapers": ("matplotlib",),
    "remove_config_comments": True,
    "min_reported_time": 1,
    "within_subsection_order": "FileNameSortKey",
    "first_notebook_cell": "%matplotlib inline",
    "show_memory": False,
    "write_computation_times": False,  # its page loads DataTables from a CDN
    "show_signature": False,
}


# -- generation hooks ----------------------------------------------------------------------
def _write(path: Path, text: str) -> None:
    """Write only when the content changes, so Sphinx re-reads only what changed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _prune(folder: Path, keep: set[str], pattern: str = "*.rst") -> None:
    """Remove generated files of ``folder`` that no longer correspond to anything."""
    if folder.is_dir():
        for p in folder.glob(pattern):
            if p.name not in keep:
                p.unlink()


def _heading(text: str, char: str) -> str:
    return f"{text}\n{char * len(text)}\n"


def _escape(text) -> str:
    """Plain text as reStructuredText: every markup character escaped."""
    return re.sub(r"([\\`*_|<>\[\]:])", r"\\\1", str(text)).replace("\n", " ")


def public_packages() -> list[str]:
    """``pdeopt`` and the packages listed in setup.cfg, in that order, that have ``__all__``."""
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    names = [n.strip() for n in cfg["options"]["packages"].split("\n") if n.strip()]
    found = []
    for name in names:
        if name.count(".") != 1 and name != "pdeopt":
            continue
        mod = importlib.import_module(name)
        if getattr(mod, "__all__", None):
            found.append(name)
    # public modules inside a package (not packages themselves) that users import directly
    return found + [m for m in PUBLIC_MODULES if importlib.util.find_spec(m) is not None]


#: Public modules that are not packages of setup.cfg but have an ``__all__`` of their own.
PUBLIC_MODULES = ["pdeopt.testing.strategies", "pdeopt.testing.fake_cupy"]


def _public_names(modname: str) -> list[str]:
    mod = importlib.import_module(modname)
    return [n for n in mod.__all__ if not (n.startswith("__") and n.endswith("__"))]


def generate_api(app) -> None:
    """api/modules/<package>.rst: the module docstring and an autosummary of its __all__.

    An object exported by two packages (``pdeopt.BackendUnavailableError`` is also
    ``pdeopt.kernels.BackendUnavailableError``) gets one page, under the first package; the
    second lists it with a link there.
    """
    out = DOCS / "api" / "modules"
    stub_dir = DOCS / "api" / "generated"
    pages, stubs, seen = set(), set(), {}
    for modname in public_packages():
        mod = importlib.import_module(modname)
        names = _public_names(modname)
        own, elsewhere = [], []
        for n in names:
            obj = getattr(mod, n)
            key = id(obj) if callable(obj) or isinstance(obj, type) else (modname, n)
            if key in seen:
                elsewhere.append((n, seen[key]))
            else:
                seen[key] = f"{modname}.{n}"
                own.append(n)
        lines = [
            f".. _api-{modname}:", "",
            _heading(f"``{modname}``", "="),
            f".. automodule:: {modname}", "   :no-members:", "",
            f".. currentmodule:: {modname}", "",
            _heading("Public names", "-"),
            f"Every name of ``{modname}.__all__`` ({len(names)})"
            + "".join(f"; ``{n}`` is {getattr(mod, n)!r}" for n in mod.__all__
                      if n.startswith("__") and n.endswith("__")) + ".", "",
            ".. autosummary::", "   :toctree: ../generated", "   :nosignatures:", "",
        ]
        lines += [f"   {n}" for n in own] + [""]
        if elsewhere:
            lines += ["Also exported here, documented where first exported:", ""]
            lines += [f"* ``{n}``: :obj:`{target}`" for n, target in elsewhere] + [""]
        page = out / f"{modname}.rst"
        _write(page, "\n".join(lines) + "\n")
        new_stubs = {f"{modname}.{n}.rst" for n in own}
        if any(not (stub_dir / s).exists() for s in new_stubs):
            page.touch()  # autosummary writes the missing stubs: re-read this page's toctree
        pages.add(page.name)
        stubs |= new_stubs
    _prune(out, pages)
    # a renamed or removed function leaves no stale stub behind (it would be in no toctree)
    _prune(stub_dir, stubs)


def _fmt(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:.4g}"
    if v is None:
        return ""
    return str(v)


def _table(header: list[str], rows: list[list[str]], widths: list[int] | None = None) -> list:
    lines = [".. list-table::", "   :header-rows: 1", "   :class: pdeopt-checks"]
    if widths:
        lines.append("   :widths: " + " ".join(map(str, widths)))
    lines.append("")
    for row in [header] + rows:
        lines.append(f"   * - {row[0] or ' '}")
        lines += [f"     - {c or ' '}" for c in row[1:]]
    return lines + [""]


def _checks_table(checks: list[dict]) -> list[str]:
    rows = []
    for c in checks:
        rows.append([_escape(c.get("name", "")), _escape(_fmt(c.get("measured"))),
                     _escape(_fmt(c.get("expected"))), _escape(c.get("comparison", "")),
                     _escape(_fmt(c.get("tolerance"))),
                     "**pass**" if c.get("passed") else "**FAIL**"])
    return _table(["check", "measured", "expected", "comparison", "tolerance", "result"],
                  rows, [40, 12, 12, 8, 12, 6])


_CLAIM_COLUMNS = ("paper_value", "measured", "scale", "verdict", "reason")


def _claims_table(rows: list[dict]) -> list[str]:
    """The claims-ledger rows of one validation: the claim (id, paper, where), then the
    paper's value, what was measured, at which scale, the verdict and its reason."""
    known = {"id", "paper", "where", "claim", "validation", *_CLAIM_COLUMNS}
    extra = [k for k in rows[0] if k not in known]
    body = []
    for r in rows:
        where = ", ".join(_escape(r[k]) for k in ("paper", "where") if r.get(k))
        cell = _escape(r.get("claim", ""))
        if r.get("id"):
            cell += f" (``{r['id']}``{'; ' + where if where else ''})"
        body.append([cell] + [_escape(_fmt(r.get(k))) for k in (*_CLAIM_COLUMNS, *extra)])
    header = ["claim", "paper's value", "measured", "scale", "verdict", "reason", *extra]
    return _table(header, body)


def _load_results(path: Path) -> dict:
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def generate_validations(app) -> None:
    """validations/<name>.rst from the registry and the committed figures/results.json."""
    from pdeopt.validation._harness import registry

    out = DOCS / "validations"
    figdir = out / "figures"
    reg = registry()
    results = _load_results(ROOT / "figures" / "results.json")
    by_name = {v["name"]: v for v in results.get("validations", [])}
    claims = results.get("claims")
    names = sorted(reg)

    def owner(stem: str):  # the longest validation name that the figure's stem starts with
        hits = [n for n in names if stem == n or stem.startswith(n + "-")]
        return max(hits, key=len) if hits else None

    figures: dict[str, list[str]] = {n: [] for n in names}
    kept_figs = set()
    for png in sorted((ROOT / "figures").glob("*.png")):
        n = owner(png.stem)
        if n is None:
            continue
        figures[n].append(png.name)
        kept_figs.add(png.name)
        dst = figdir / png.name
        if not dst.exists() or dst.read_bytes() != png.read_bytes():
            figdir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(png, dst)
    _prune(figdir, kept_figs, "*.png")

    mode = results.get("mode", "?")
    seed = results.get("seed", "?")
    pages = {"index.rst"}
    index_rows = []
    for n in names:
        v = reg[n]
        r = by_name.get(n, {})
        checks = r.get("checks", [])
        n_pass = sum(bool(c.get("passed")) for c in checks)
        lines = [f".. _validation-{n}:", "", _heading(n, "="),
                 f"**Claim.** {_escape(v.description)}", "",
                 f"**Source.** {_escape(v.source)}", "",
                 f":Module: ``{v.func.__module__}.{v.func.__name__}``",
                 ":Run it: " + (f"``pdeopt validate --full {n} --data MNIST_FOLDER`` "
                                "(needs MNIST)" if v.needs_mnist else f"``pdeopt validate {n}``"),
                 f":Status: {r.get('status', 'not in figures/results.json')}"
                 + (f" ({n_pass} of {len(checks)} checks pass)" if checks else ""), ""]
        for png in figures[n]:
            lines += [f".. figure:: figures/{png}", f"   :alt: {png[:-4]}",
                      "   :width: 100%", "", f"   ``figures/{png}``", ""]
        lines += [_heading("Checks", "-")]
        if checks:
            lines += [f"From ``figures/results.json`` (``pdeopt validate``, mode ``{mode}``, "
                      f"seed {seed}).", ""] + _checks_table(checks)
        else:
            lines += ["This validation has no checks in ``figures/results.json`` "
                      "(it runs only at paper scale, or has not been run).", ""]
        lines += [_heading("Claims ledger", "-")]
        if claims is None:
            lines += ["The claims ledger does not exist yet: once ``figures/results.json`` "
                      "has a ``claims`` key, its rows whose ``validation`` is "
                      f"``{n}`` appear here.", ""]
        else:
            rows = [c for c in claims if c.get("validation") == n]
            if rows:
                lines += _claims_table(rows)
            else:
                lines += [f"The claims ledger has no row for ``{n}``.", ""]
        full = ROOT / "figures" / "full" / n / "results.json"
        if full.exists():
            fr = _load_results(full)
            fchecks = [c for x in fr.get("validations", []) if x.get("name") == n
                       for c in x.get("checks", [])]
            lines += [_heading("Paper-scale run", "-"),
                      f"From ``figures/full/{n}/results.json`` (mode "
                      f"``{fr.get('mode', '?')}``); its report is "
                      f"``figures/full/{n}/REPORT.md``.", ""] + _checks_table(fchecks)
        _write(out / f"{n}.rst", "\n".join(lines) + "\n")
        pages.add(f"{n}.rst")
        status = r.get("status", "—")
        index_rows.append([f":ref:`{n} <validation-{n}>`", _escape(v.source),
                           f"{n_pass} / {len(checks)}" if checks else "—", _escape(status)])
    index = [".. _validations:", "", _heading("Gallery of validations", "="),
             "Every validation of ``pdeopt list``: what it claims, the paper it comes from, "
             "its figure, and each check it makes (measured against expected, with the "
             "tolerance), as recorded in the committed ``figures/results.json`` "
             f"(``pdeopt validate``, mode ``{mode}``, seed {seed}). These pages are generated "
             "at build time from the validation registry; ``pdeopt validate NAME`` reruns one.",
             "", *_table(["validation", "source", "checks passed", "status"], index_rows,
                         [22, 56, 10, 12]),
             ".. toctree::", "   :hidden:", "", *[f"   {n}" for n in names], ""]
    _write(out / "index.rst", "\n".join(index) + "\n")
    _prune(out, pages)


# -- docstrings: plain-text absolute values are not substitutions ---------------------------
# The docstrings write |x|, ‖x‖ and |a − b| as plain text, readable in help(); in
# reStructuredText "|x|" is a substitution reference. Outside math, literals, roles, literal
# blocks and doctests, a bare "|" is escaped before docutils parses the docstring.
_BLOCK_START = re.compile(r"^\s*\.\. (math|code-block|code|sourcecode|highlight|raw|"
                          r"literalinclude|testcode|doctest)::")
_INLINE = re.compile(r"(``.+?``|:[\w:+-]+:`[^`]*`|`[^`]*`_{0,2})")


def _escape_bars(line: str) -> str:
    bullet = re.match(r"^\s*[*+-] ", line)  # a list item's marker is not touched
    if bullet:
        return line[:bullet.end()] + _escape_bars(line[bullet.end():])
    parts = _INLINE.split(line)
    outside = range(0, len(parts), 2)  # even parts lie outside inline markup
    lone_star = sum(parts[i].count("*") for i in outside) == 1  # "(n, *shape)": not emphasis
    for i in outside:
        parts[i] = re.sub(r"(?<!\\)\|", r"\\|", parts[i])
        if lone_star:
            parts[i] = parts[i].replace("*", r"\*")
    return "".join(parts)


_COLUMN = re.compile(r"^(\s*)(``[^`]+``)\s{2,}(\S.*)$")


def columns_to_definitions(app, what, name, obj, options, lines) -> None:
    """Two aligned columns (``module``  what it holds, continued under the text) become a
    definition list, which is what they mean."""
    out, i = [], 0
    while i < len(lines):
        m = _COLUMN.match(lines[i])
        if not m:
            out.append(lines[i])
            i += 1
            continue
        indent, term, text = m.groups()
        column = len(lines[i]) - len(text)
        body = [text]
        i += 1
        while (i < len(lines) and lines[i].strip() and not _COLUMN.match(lines[i])
               and len(lines[i]) - len(lines[i].lstrip()) >= column - 2):
            body.append(lines[i].strip())
            i += 1
        if out and out[-1].strip() and not (out[-1].startswith(indent + "    ")
                                            or set(out[-1].strip()) <= set("-=~")):
            out.append("")
        out += [indent + term, indent + "    " + " ".join(body)]
        if i < len(lines) and lines[i].strip() and not _COLUMN.match(lines[i]):
            out.append("")
    lines[:] = out


def _introduces_formulas(lines: list[str], i: int) -> bool:
    """A prose line ending in ":", a blank line, then a more indented block that is not a
    list, a directive or a doctest: plain-text formulas, shown as they are written."""
    line = lines[i].rstrip()
    if not line.endswith(":") or line.endswith("::") or re.match(r"^\s*:[^:]+:$", line):
        return False
    if i + 2 >= len(lines) or lines[i + 1].strip():
        return False
    nxt = lines[i + 2]
    indent = len(line) - len(line.lstrip())
    if not nxt.strip() or len(nxt) - len(nxt.lstrip()) <= indent:
        return False
    return not re.match(r"^\s*([-*+•] |\d+[.)] |\.\. |>>>|:)", nxt)


def escape_docstring_bars(app, what, name, obj, options, lines) -> None:
    block_indent = None  # indentation of the line that opened a block, while inside it
    doctest = False
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if doctest:
            if stripped:
                continue
            doctest = False
        if block_indent is not None:
            if not stripped or indent > block_indent:
                continue
            block_indent = None
        if stripped.startswith(">>>"):
            doctest = True
            continue
        if _BLOCK_START.match(line) or stripped.startswith(".. |"):
            block_indent = indent
            continue
        if stripped.startswith(".. "):
            continue
        if _introduces_formulas(lines, i):
            line += ":"  # "...by Chambolle–Pock:" + indented formulas: a literal block
        lines[i] = _escape_bars(line)
        if stripped.endswith("::") or line.endswith("::"):
            block_indent = indent


def skip_foreign_members(app, what, name, obj, skip, options):
    """Class pages document pdeopt's own members, not those inherited from scikit-learn."""
    module = getattr(obj, "__module__", None) or ""
    if callable(obj) and module and not module.startswith("pdeopt"):
        return True
    return None


# -- lessons: format checks and the exercise solutions -------------------------------------
LESSON_SECTIONS = ("What you will learn", "The mathematics", "Exercises")


def check_lessons(app) -> None:
    """Each lesson keeps the format of CONTRIBUTING-lessons.md (fails the build otherwise)."""
    lessons = [p for p in sorted((DOCS / "lessons").glob("lesson_*.py"))
               if re.search(LESSONS, p.name)]
    solutions = DOCS / "lessons" / "solutions"
    problems = []
    for lesson in lessons:
        text = lesson.read_text(encoding="utf-8")
        for section in LESSON_SECTIONS:
            if section not in text:
                problems.append(f"{lesson.name}: no section {section!r}")
        for needle, what in ((".. math::", "a .. math:: block"),
                             (":func:`pdeopt.", "a :func:`pdeopt...` link to the API"),
                             (":ref:`validation-", "a :ref:`validation-NAME` link"),
                             (".. dropdown::", "a dropdown with a solution")):
            if needle not in text:
                problems.append(f"{lesson.name}: no {what}")
        sols = sorted(solutions.glob(f"{lesson.stem}_ex*.py"))
        if len(sols) < 2:
            problems.append(f"{lesson.name}: {len(sols)} solution(s) in solutions/, need >= 2")
        for s in sols:
            if f"/lessons/solutions/{s.name}" not in text:
                problems.append(f"{lesson.name}: does not show solutions/{s.name}")
    if problems:
        message = "lesson format (docs/CONTRIBUTING-lessons.md):\n  " + "\n  ".join(problems)
        logger.error(message)
        raise ExtensionError(message)


def _source_hash() -> str:
    h = hashlib.sha256()
    for folder in ("pdeopt", "kernels"):
        for p in sorted((ROOT / folder).rglob("*.py")):
            h.update(str(p.relative_to(ROOT)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def check_solutions(app) -> None:
    """Run every lessons/solutions/*.py in a subprocess; an error or a failed assert stops
    the build. A solution that passed with the same file and the same pdeopt sources is not
    rerun (the record lives in the doctree folder)."""
    files = [p for p in sorted((DOCS / "lessons" / "solutions").glob("*.py"))
             if re.search(LESSONS, p.name)]
    bad = []
    for f in files:
        body = ast.parse(f.read_text(encoding="utf-8")).body
        if not body or not isinstance(body[-1], ast.Assert):
            bad.append(f"{f.name}: does not end with an assert of its answer")
    if bad:
        logger.error("exercise solutions:\n  " + "\n  ".join(bad))
        raise ExtensionError("exercise solutions:\n  " + "\n  ".join(bad))
    record = Path(app.doctreedir) / "solutions-passed.json"
    passed = json.loads(record.read_text()) if record.exists() else {}
    src = _source_hash()

    def key(f: Path) -> str:
        return hashlib.sha256(f.read_bytes() + src.encode()).hexdigest()

    todo = [f for f in files if passed.get(f.name) != key(f)]
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONHASHSEED="0")

    def run(f: Path):
        t = time.perf_counter()
        p = subprocess.run([sys.executable, f.name], cwd=f.parent, env=env,
                           capture_output=True, text=True, timeout=300)
        return f, p, time.perf_counter() - t

    failures = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        for f, p, dt in pool.map(run, todo):
            if p.returncode != 0:
                failures.append(f"{f.name} (exit {p.returncode}):\n{p.stdout[-2000:]}"
                                f"{p.stderr[-4000:]}")
                passed.pop(f.name, None)
            else:
                logger.info(f"[solutions] {f.name} passed in {dt:.1f} s")
                passed[f.name] = key(f)
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(passed, indent=1))
    if failures:
        logger.error("exercise solution failed:\n" + "\n".join(failures))
        raise ExtensionError("exercise solution failed:\n" + "\n".join(failures))
    logger.info(f"[solutions] {len(files)} checked ({len(files) - len(todo)} unchanged)")


def setup(app):
    # the pages exist before Sphinx lists the source files (autosummary reads that list at
    # builder-inited to write its stubs)
    app.connect("config-inited", lambda app, config: generate_api(app))
    app.connect("config-inited", lambda app, config: generate_validations(app))
    app.connect("autodoc-process-docstring", columns_to_definitions, priority=590)
    app.connect("autodoc-process-docstring", escape_docstring_bars, priority=600)
    app.connect("autodoc-skip-member", skip_foreign_members)
    app.connect("builder-inited", check_lessons, priority=100)
    app.connect("builder-inited", check_solutions, priority=100)
    app.add_css_file("pdeopt.css")
    return {"parallel_read_safe": True}
