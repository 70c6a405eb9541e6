"""The documentation site, opened in a real browser (issue #21).

Builds the site with the README's command (``sphinx-build -W -b html docs docs/_build/html``,
incremental) unless ``PDEOPT_DOCS_HTML`` names an existing build, serves it from
``http.server`` on 127.0.0.1 and opens pages in the system's headless Chromium through
Selenium. No browser or driver is downloaded: without ``/usr/bin/chromium`` (or ``chromium``
on the PATH), ``chromedriver``, selenium or sphinx, every test here is skipped with the
reason. Chromium resolves no host but 127.0.0.1, so a page that tries to load anything from
outside the site fails visibly (console error, missing resource) as well as by the check of
``performance.getEntriesByType('resource')``.

Run: ``python -m pytest -q -m docs tests/test_docs_browser.py``.
"""
from __future__ import annotations

import functools
import http.server
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.docs

ROOT = Path(__file__).resolve().parents[1]
LESSON = "auto_lessons/lesson_01_hamilton_jacobi.html"
PAGES = [  # a page of each kind: home, lesson, gallery, validation, API index and entries
    "index.html",
    LESSON,
    "auto_lessons/index.html",
    "validations/index.html",
    "validations/hj-cole-hopf.html",
    "api/index.html",
    "api/modules/pdeopt.hj.html",
    "api/generated/pdeopt.hj.hopf_lax.html",
    "api/generated/pdeopt.hj.local_entropy.html",
]


def _find(*names):
    for name in names:
        path = shutil.which(name) or (name if os.path.isfile(name) else None)
        if path:
            return path
    return None


CHROMIUM = _find("/usr/bin/chromium", "chromium", "chromium-browser")
CHROMEDRIVER = _find("/usr/bin/chromedriver", "chromedriver")
HAVE_SELENIUM = importlib.util.find_spec("selenium") is not None
HAVE_SPHINX = importlib.util.find_spec("sphinx") is not None
PREBUILT = os.environ.get("PDEOPT_DOCS_HTML")


def _no_browser() -> str | None:
    if CHROMIUM is None:
        return "no chromium (apt-get install chromium chromium-driver)"
    if CHROMEDRIVER is None:
        return "no chromedriver (apt-get install chromium-driver)"
    if not HAVE_SELENIUM:
        return "selenium is not installed (pip install selenium)"
    return None


@pytest.fixture(scope="module")
def site() -> Path:
    """The built site: PDEOPT_DOCS_HTML, or docs/_build/html built now (incrementally)."""
    if not PREBUILT and not HAVE_SPHINX:
        pytest.skip('sphinx is not installed (pip install ".[docs]")')
    if PREBUILT:
        html = Path(PREBUILT)
        if not (html / "index.html").is_file():
            pytest.fail(f"PDEOPT_DOCS_HTML={PREBUILT} holds no index.html")
        return html
    html = ROOT / "docs" / "_build" / "html"
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-W", "-b", "html", "docs", str(html)],
                          cwd=ROOT, capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        pytest.fail("sphinx-build -W failed:\n" + proc.stdout[-3000:] + proc.stderr[-6000:])
    return html


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(_Quiet, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser(site, tmp_path_factory):
    why = _no_browser()
    if why:
        pytest.skip(why)
    yield from _chromium(tmp_path_factory)


def _chromium(tmp_path_factory):
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager downloads nothing
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-extensions",
                "--window-size=1280,900",
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=opts, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    yield driver
    driver.quit()


def _wait(predicate, timeout=30.0, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _open(driver, url: str) -> list:
    """Load url, wait for it (MathJax and images included); return its console messages."""
    driver.get_log("browser")  # drop what earlier pages left
    driver.get(url)
    _wait(lambda: driver.execute_script("return document.readyState") == "complete",
          what=f"{url} to load")
    if driver.execute_script("return document.querySelector('span.math, div.math') !== null"):
        _wait(lambda: driver.execute_script(
            "return !!(window.MathJax && MathJax.startup && MathJax.startup.promise)"),
            what=f"MathJax to start on {url}")
        driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "MathJax.startup.promise.then(() => done(true), e => done(String(e)));")
    driver.execute_script("for (const i of document.images) i.loading = 'eager';")
    _wait(lambda: driver.execute_script(
        "return Array.from(document.images).every(i => i.complete)"),
        what=f"the images of {url}")
    return driver.get_log("browser")


def _check_page(driver, base: str, page: str) -> None:
    url = f"{base}/{page}"
    logs = _open(driver, url)
    errors = [entry["message"] for entry in logs if entry["level"] == "SEVERE"]
    assert not errors, f"{page}: console errors {errors}"
    broken = driver.execute_script(
        "return Array.from(document.images).filter(i => !(i.naturalWidth > 0))"
        ".map(i => i.getAttribute('src'))")
    assert not broken, f"{page}: images that did not load: {broken}"
    resources = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    outside = [r for r in resources + [driver.current_url]
               if not (r.startswith(base + "/") or r.startswith("data:")
                       or r.startswith("blob:"))]
    assert not outside, f"{page}: requests outside the site: {outside}"
    text = driver.execute_script("return document.body.innerText")
    for raw in ("\\(", "\\)", "\\[", "\\]", "$$"):
        assert raw not in text, f"{page}: raw math {raw!r} left in the visible text"
    has_math = driver.execute_script(
        "return document.querySelector('span.math, div.math') !== null")
    if has_math:
        n = driver.execute_script("return document.querySelectorAll('mjx-container').length")
        assert n > 0, f"{page}: math on the page but no mjx-container (MathJax did not render)"


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_offline(browser, server, page):
    """Math typeset, every image loaded, a silent console, nothing loaded from outside."""
    _check_page(browser, server, page)


def test_lesson_math_and_figure(browser, server):
    _open(browser, f"{server}/{LESSON}")
    assert browser.execute_script("return document.querySelectorAll('mjx-container').length") > 5
    figures = browser.execute_script(
        "return Array.from(document.querySelectorAll('img.sphx-glr-single-img, "
        "img.sphx-glr-multi-img')).map(i => i.naturalWidth)")
    assert figures and all(w > 0 for w in figures), figures


def test_every_lesson_and_validation_page(browser, server, site):
    """Every lesson: math typeset, images loaded, silent console, nothing from outside, at
    least one figure and two exercises with hidden solutions. Every validation page too."""
    lessons = sorted(p.relative_to(site).as_posix()
                     for p in (site / "auto_lessons").glob("lesson_*.html"))
    assert lessons, "no lesson in the site"
    validations = sorted(p.relative_to(site).as_posix()
                         for p in (site / "validations").glob("*.html"))
    for page in lessons + validations:
        _check_page(browser, server, page)
        if page in lessons:
            n_fig = browser.execute_script(
                "return document.querySelectorAll('img.sphx-glr-single-img, "
                "img.sphx-glr-multi-img').length")
            n_sol = browser.execute_script(
                "return document.querySelectorAll('details.sd-dropdown').length")
            assert n_fig >= 1 and n_sol >= 2, f"{page}: {n_fig} figures, {n_sol} solutions"


def test_exercise_solution_opens(browser, server):
    """A solution is hidden until its dropdown is opened, then shown."""
    from selenium.webdriver.common.by import By

    _open(browser, f"{server}/{LESSON}")
    dropdowns = browser.find_elements(By.CSS_SELECTOR, "details.sd-dropdown")
    assert len(dropdowns) >= 2, "a lesson has at least two exercises with solutions"
    first = dropdowns[0]
    code = first.find_element(By.CSS_SELECTOR, "div.highlight")
    assert first.get_attribute("open") is None and not code.is_displayed()
    summary = first.find_element(By.TAG_NAME, "summary")
    browser.execute_script(  # no smooth scrolling: the click lands where the summary is
        "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", summary)
    summary.click()
    _wait(code.is_displayed, timeout=10, what="the solution to be shown")
    assert "assert" in code.text, "the solution is shown with its checked assertion"


def test_search_finds_hopf_lax(browser, server):
    from selenium.webdriver.common.by import By

    _open(browser, f"{server}/search.html?q=hopf_lax")

    def hits():
        links = browser.find_elements(By.CSS_SELECTOR, "#search-results a")
        return [a.get_attribute("href") for a in links if "hopf_lax" in a.text]

    found = _wait(hits, timeout=30, what="search results for hopf_lax")
    assert any("pdeopt.hj.hopf_lax" in h for h in found), found
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors


_EXTERNAL = re.compile(
    r"<(?:script|img|iframe|source|video|audio|embed)\b[^>]*\bsrc=[\"'](?:https?:)?//"
    r"|<link\b[^>]*\bhref=[\"'](?:https?:)?//[^>]*>", re.I)


def test_no_page_loads_from_outside(site):
    """Every page of the site (not only those opened above): no script, style, image or
    frame from another host. Plain links to papers and projects are allowed."""
    offenders = []
    for page in site.rglob("*.html"):
        for m in _EXTERNAL.finditer(page.read_text(encoding="utf-8", errors="replace")):
            tag = m.group(0)
            if tag.lower().startswith("<link") and re.search(r"rel=[\"'](?:canonical|"
                                                             r"alternate)", tag, re.I):
                continue
            offenders.append(f"{page.relative_to(site)}: {tag[:120]}")
    assert not offenders, "\n".join(offenders[:20])


def test_every_public_name_has_a_page(site):
    """Each name of each subpackage's __all__ has its rendered API page (or, exported twice,
    a link from the second package to the first one's page)."""
    if not HAVE_SPHINX:
        pytest.skip("sphinx is not installed: docs/conf.py lists the packages")
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        import conf  # docs/conf.py: the list of packages and names the build documents
    finally:
        sys.path.pop(0)
    missing = []
    for modname in conf.public_packages():
        page = site / "api" / "modules" / f"{modname}.html"
        if not page.is_file():
            missing.append(str(page.relative_to(site)))
            continue
        html = page.read_text(encoding="utf-8")
        for name in conf._public_names(modname):
            stub = site / "api" / "generated" / f"{modname}.{name}.html"
            if not stub.is_file() and f"<code class=\"docutils literal notranslate\"><span " \
                    f"class=\"pre\">{name}</span></code>: " not in html:
                missing.append(f"{modname}.{name}")
    assert not missing, missing


def test_docstring_hooks_keep_math_literals_and_doctests():
    """docs/conf.py escapes plain-text |x| only in prose; math, literals, doctests and
    literal blocks are left as written, and two aligned columns become a definition list."""
    if not HAVE_SPHINX:
        pytest.skip('sphinx is not installed (pip install ".[docs]")')
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        import conf
    finally:
        sys.path.pop(0)
    lines = ["the norm |x| and ``|y|`` and :math:`|z|`, shape (n, *rest)",
             "", ".. math::", "", "    |x - y|^2", "",
             ">>> abs(-1)  # |x|", "1", "",
             "by Chambolle–Pock:", "", "    z = |w|", "        = w", "",
             "* a bullet with |x|"]
    conf.escape_docstring_bars(None, "function", "f", None, {}, lines)
    assert lines[0] == r"the norm \|x\| and ``|y|`` and :math:`|z|`, shape (n, \*rest)"
    assert lines[4] == "    |x - y|^2" and lines[6] == ">>> abs(-1)  # |x|"
    assert lines[9] == "by Chambolle–Pock::" and lines[11] == "    z = |w|"
    assert lines[14] == r"* a bullet with \|x\|"
    cols = ["Modules", "-------", "``a``   first, and", "        continued", "``bb``  second"]
    conf.columns_to_definitions(None, "module", "m", None, {}, cols)
    assert cols[2:] == ["``a``", "    first, and continued", "``bb``", "    second"]
