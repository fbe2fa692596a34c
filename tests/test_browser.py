"""The built book, read in a real browser with the network cut: Debian's ``chromium``, driven by Selenium.

Every chapter page and exercise page is opened at 1366 px from a local server, with every other address sent
to a proxy that does not exist, so a page that needs the internet shows it. The checks: every formula is
typeset by MathJax (served from the book's own ``_static``), no TeX is left as text, the browser logs no
error, solutions are folded, and what the book hides (the Colab install cell, the exercises' tests) is not
on the page. A missing browser fails the run: ``.ci/run`` installs ``chromium`` and ``chromium-driver``.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(p.name for p in (ROOT / "chapters").iterdir() if p.is_dir() and not p.name.startswith("."))
PAGES = ["intro.html"] + [
    f"chapters/{c}/{p}.html" for c in CHAPTERS for p in ("index", "tensorflow", "pytorch", "side_by_side")
]
PAGES += [
    f"chapters/{p.parent.parent.name}/exercises/{p.stem}.html"
    for p in sorted(ROOT.glob("chapters/*/exercises/*.ipynb"))
]

pytestmark = pytest.mark.book

# After MathJax has typeset the page (or half a second after load, where the page has no MathJax): what a
# reader sees.
READ_PAGE = """
const done = arguments[0];
const report = () => {
  const maths = Array.from(document.querySelectorAll('.math'));
  done({
    mathjax: !!(window.MathJax && window.MathJax.version),
    maths: maths.length,
    typeset: maths.filter(m => m.querySelector('mjx-container')).length,
    text: document.body.innerText,
    prose: (() => {  // the page's text but code, outputs and typeset formulas: where TeX must not be left
      const copy = document.body.cloneNode(true);
      copy.querySelectorAll('pre, code, script, style, mjx-container, .cell_output, .output').forEach(e => e.remove());
      return copy.textContent;
    })(),
    // a solution is folded when nothing of it but its title (and the toggle button) is laid out
    folded: Array.from(document.querySelectorAll('.solution')).map(s => Array.from(s.children)
      .filter(c => !c.classList.contains('admonition-title') && c.tagName !== 'BUTTON')
      .every(c => c.getClientRects().length === 0 || c.offsetHeight === 0
        || getComputedStyle(c).visibility === 'hidden')),
  });
};
if (window.MathJax && window.MathJax.startup && window.MathJax.startup.promise) {
  window.MathJax.startup.promise.then(report, report);
} else { setTimeout(report, 500); }
"""

TEX_LEFT = ("\\(", "\\)", "\\[", "\\]", "\\begin{", "\\frac", "\\operatorname")


def _find(name: str) -> str | None:
    return shutil.which(name)


def test_the_browser_is_installed() -> None:
    assert _find("chromium") and _find("chromedriver"), (
        "the browser tests need Debian's chromium and chromium-driver: apt-get install chromium chromium-driver"
    )


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def served(strict_book: Path) -> Iterator[str]:
    """The strictly built book, served on a free local port."""
    handler = functools.partial(_Quiet, directory=str(strict_book))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = _find("chromium") or "chromium"
    for argument in (
        "--headless=new",
        "--no-sandbox",  # as root in a container
        "--disable-dev-shm-usage",
        "--window-size=1366,900",
        "--proxy-server=http://127.0.0.1:9",  # nothing listens there: every address but loopback fails
        "--disable-background-networking",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=_find("chromedriver") or "chromedriver")
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_script_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _open(browser: Any, url: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    browser.get(url)
    seen = browser.execute_async_script(READ_PAGE)
    return seen, [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def test_the_network_is_cut(browser: Any, served: str) -> None:
    """The check has teeth: a page from the internet does not load in this browser."""
    browser.get(served + "/index.html")
    browser.execute_script(
        "window.fetched = 'pending'; fetch('https://cdn.jsdelivr.net/').then("
        "() => { window.fetched = 'loaded'; }, () => { window.fetched = 'failed'; });"
    )
    import time

    deadline = time.monotonic() + 30
    while browser.execute_script("return window.fetched") == "pending" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert browser.execute_script("return window.fetched") == "failed"
    browser.get_log("browser")  # the failed fetch's error is this test's, not the next page's


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_offline(browser: Any, served: str, page: str) -> None:
    seen, errors = _open(browser, f"{served}/{page}")
    assert not errors, f"{page}: the browser logged errors: {[e['message'][:300] for e in errors]}"
    if seen["maths"]:
        assert seen["mathjax"], f"{page}: {seen['maths']} formulas but no MathJax (it did not load offline)"
        assert seen["typeset"] == seen["maths"], (
            f"{page}: {seen['maths'] - seen['typeset']} formulas not typeset"
        )
    left = [t for t in TEX_LEFT if t in seen["prose"]]
    assert not left, f"{page}: TeX shows as text: {left}"
    assert "REPOSITORY =" not in seen["text"], f"{page}: the Colab install cell shows"
    assert "def test_" not in seen["text"], f"{page}: an exercise's tests show"
    if "/exercises/" in page:
        assert seen["folded"] and all(seen["folded"]), f"{page}: solutions must be folded: {seen['folded']}"


# Where each framework's columns of a side-by-side page are, and which are shown.
READ_COLUMNS = """
const box = (e) => e.getBoundingClientRect();
const shown = (e) => e.getClientRects().length > 0 && getComputedStyle(e).display !== 'none';
const rows = Array.from(document.querySelectorAll('.twice-sbs-row'));
return {
  rows: rows.length,
  html: rows.map(r => r.outerHTML.slice(0, 400)),
  pairs: rows.map(r => [r.querySelector('.twice-sbs-tensorflow'), r.querySelector('.twice-sbs-pytorch')]
    .map(c => c ? {left: box(c).left, top: box(c).top, width: box(c).width, shown: shown(c)} : null)),
  switch: (() => { const s = document.querySelector('.twice-sbs-switch'); return !!s && shown(s); })(),
  overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
};
"""


def _read_columns(browser: Any) -> Any:
    """READ_COLUMNS once the page is complete: every row with both its columns (a page still being laid out
    can show a row before its second column; seen once in a run of the whole file)."""
    import time

    deadline = time.monotonic() + 10
    while True:
        seen = browser.execute_script(READ_COLUMNS)
        complete = browser.execute_script("return document.readyState") == "complete"
        if complete and all(tf and pt for tf, pt in seen["pairs"]) or time.monotonic() > deadline:
            return seen
        time.sleep(0.2)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_side_by_side_page_at_1366_and_390_px(browser: Any, served: str, chapter: str) -> None:
    """Wide: every row has a TensorFlow column left of a PyTorch column, level with it, no switch. Phone
    width: the switch shows, one framework at a time, and choosing PyTorch shows PyTorch's columns."""
    try:
        browser.set_window_size(1366, 900)
        browser.get(f"{served}/chapters/{chapter}/side_by_side.html")
        wide = _read_columns(browser)
        assert wide["rows"] > 5 and not wide["switch"] and wide["overflow"] <= 0, wide["overflow"]
        for row, (tf, pt) in enumerate(wide["pairs"]):
            assert tf and pt, f"row {row} lacks a column: {wide['html'][row]}"
            assert tf["shown"] and pt["shown"] and tf["left"] + tf["width"] <= pt["left"]
            assert abs(tf["top"] - pt["top"]) < 2 and tf["width"] > 300
        browser.set_window_size(390, 844)
        browser.get(f"{served}/chapters/{chapter}/side_by_side.html")
        phone = _read_columns(browser)
        assert phone["switch"] and phone["overflow"] <= 0, phone
        assert all(tf["shown"] and not pt["shown"] for tf, pt in phone["pairs"])
        browser.execute_script("document.getElementById('twice-sbs-pytorch').click()")
        chosen = _read_columns(browser)
        assert all(pt["shown"] and not tf["shown"] for tf, pt in chosen["pairs"])
    finally:
        browser.set_window_size(1366, 900)


READ_TABLES = """
return {
  tables: Array.from(document.querySelectorAll('article table'))
    .map(t => [t.scrollWidth, t.parentElement.clientWidth]),
  overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
};
"""


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_overview_tables_fit_the_column_at_1366_and_390_px(browser: Any, served: str, chapter: str) -> None:
    """The API tables wrap within the column (wide) and become lists of rows (phone), and the page itself
    does not scroll sideways at either width."""
    try:
        for width in (1366, 390):
            browser.set_window_size(width, 900)
            browser.get(f"{served}/chapters/{chapter}/index.html")
            seen = browser.execute_script(READ_TABLES)
            assert seen["tables"] and all(wide <= room + 1 for wide, room in seen["tables"]), (width, seen)
            assert seen["overflow"] <= 0, (width, seen)
    finally:
        browser.set_window_size(1366, 900)


# What scrolls sideways on a page: the page itself, and each code or output block and figure that is wider
# than the room it has (a block scrolls inside itself, which the page's width does not show).
READ_OVERFLOW = """
const done = arguments[0];
const wider = (e) => e.scrollWidth > e.clientWidth + 1;
const longest = (e) => e.textContent.split('\\n').reduce((a, b) => (b.length > a.length ? b : a), '');
const measure = () => done({
  page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  blocks: Array.from(document.querySelectorAll('article pre, article .output, article .cell_output'))
    .filter(e => e.getClientRects().length > 0 && wider(e))
    .map(e => `${e.scrollWidth} px in ${e.clientWidth}: ${longest(e).slice(0, 100)}`),
  figures: Array.from(document.querySelectorAll('article img'))
    .filter(i => i.getClientRects().length > 0 && i.getBoundingClientRect().right
      > i.closest('article').getBoundingClientRect().right + 1)
    .map(i => i.getAttribute('alt') || i.getAttribute('src')),
});
// Measured as a reader sees the page: with its web fonts and its typeset formulas.
const typeset = (window.MathJax && window.MathJax.startup && window.MathJax.startup.promise) || Promise.resolve();
Promise.all([document.fonts.ready, typeset]).then(measure, measure);
"""


@pytest.mark.parametrize("width", [1366, 390])
@pytest.mark.parametrize("page", PAGES)
def test_nothing_scrolls_sideways(browser: Any, served: str, page: str, width: int) -> None:
    """Item 2 of issue 14, as a reader meets it on a laptop (1366 px) and a phone (390 px): no code line,
    output line, table or figure is cut off or needs sideways scrolling. tests/test_book.py keeps the
    notebooks' lines within 80 characters; this checks that 80 characters do fit the rendered column, and that
    on a phone code wraps, long inline code breaks and wide formulas scroll in their own box."""
    try:
        browser.set_window_size(width, 900)
        browser.get(f"{served}/{page}")
        seen = browser.execute_async_script(READ_OVERFLOW)
    finally:
        browser.set_window_size(1366, 900)
    assert seen["page"] <= 0, f"{page} at {width} px: the page is {seen['page']} px wider than the window"
    assert not seen["blocks"], f"{page} at {width} px: {len(seen['blocks'])} blocks scroll: {seen['blocks'][:5]}"
    assert not seen["figures"], f"{page} at {width} px: figures wider than the text: {seen['figures'][:5]}"
