"""WCAG 2.1 A and AA, checked by axe-core on every page of the built site, in light and dark mode.

axe-core is npm's (pinned in package.json, installed by ``make npm``); it runs inside Debian's
headless Chromium on the site as a reader gets it (tests/book_site.py). Any violation, whatever
its impact, fails the page's test and is listed with the elements concerned.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from book_site import PAGES, ROOT

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Pages Sphinx adds to the chapters of _toc.yml.
SITE_PAGES = [*PAGES, "search", "genindex"]
MODES = ["light", "dark"]

# Runs in the page: waits for MathJax (its output is part of what a reader meets), switches the
# theme's colour mode, then runs axe with the WCAG 2.1 A/AA rules only.
RUN_AXE = """
const [tags, mode, done] = arguments;
(async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  document.documentElement.dataset.mode = mode;
  document.documentElement.dataset.theme = mode;
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(' ') + '  ' + n.html.slice(0, 160)),
  }));
})().then(done, err => done([{id: 'axe-error', impact: 'error', help: String(err), nodes: []}]));
"""


def axe_violations(browser, url: str, mode: str = "light") -> list[dict]:
    """The WCAG 2.1 A/AA violations axe finds on the page at ``url`` in colour ``mode``."""
    assert AXE.is_file(), f"axe-core is missing ({AXE}): run `make npm` (npm ci)"
    browser.get(url)
    browser.execute_script(AXE.read_text())
    return browser.execute_async_script(RUN_AXE, WCAG_21_AA, mode)


def describe(violations: list[dict]) -> str:
    return "\n".join(f"{v['id']} ({v['impact']}, {len(v['nodes'])} elements): {v['help']}\n    "
                     + "\n    ".join(v["nodes"][:8]) for v in violations)


def test_every_page_of_the_site_is_checked(built_site: Path):
    built = {str(p.relative_to(built_site).with_suffix("")) for p in built_site.rglob("*.html")
             if not p.relative_to(built_site).parts[0].startswith("_")}
    assert built == set(SITE_PAGES) | {"index"}, "pages built but not checked (or checked but not built)"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("doc", SITE_PAGES)
def test_page_meets_wcag_21_aa(doc, mode, browser, site_server):
    violations = axe_violations(browser, f"{site_server}/{doc}.html", mode)
    assert not violations, f"{doc} ({mode} mode) breaks WCAG 2.1 A/AA:\n{describe(violations)}"


def test_axe_finds_a_violation_when_there_is_one(browser, site_server):
    """Guards the test above against an axe that never ran: an image with no text is caught."""
    browser.get(f"{site_server}/{PAGES[0]}.html")
    browser.execute_script("const img = document.createElement('img'); img.src = '_static/x.png';"
                           "document.querySelector('main').appendChild(img);")
    browser.execute_script(AXE.read_text())
    ids = [v["id"] for v in browser.execute_async_script(RUN_AXE, WCAG_21_AA, "light")]
    assert "image-alt" in ids


class Figures(HTMLParser):
    """The alt attribute of every figure of a page (an <img> from _images/; None when it has none).
    The theme's own icons (_static/) are labelled by the text beside them."""

    def __init__(self):
        super().__init__()
        self.alts: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "img" and "_images/" in attributes.get("src", ""):
            self.alts.append(attributes.get("alt"))


def looks_like_a_file_name(text: str) -> bool:
    """A path or a hashed name (what myst-nb writes when a cell gives no alt text), not a sentence."""
    return bool(re.fullmatch(r"\S*(\.(png|svg|jpe?g|gif)|/)\S*|[0-9a-f]{16,}\S*", text.strip()))


@pytest.mark.parametrize("doc", PAGES)
def test_every_figure_says_what_it_shows(doc, built_site):
    """axe accepts any alt text; the file path myst-nb writes by default tells a reader nothing.
    Each figure's alt text (cell metadata mystnb.image.alt) describes the plot in a sentence."""
    parser = Figures()
    parser.feed((built_site / f"{doc}.html").read_text())
    for alt in parser.alts:
        assert alt, f"{doc}: a figure without alt text"
        assert not looks_like_a_file_name(alt), f"{doc}: an image's alt text is a file name: {alt!r}"
        assert len(alt.split()) >= 8, f"{doc}: alt text too short to say what the plot shows: {alt!r}"


# Marks the focused element; lists the visible controls that were never focused.
MARK_FOCUS = """
const el = document.activeElement;
if (!el || el === document.body) return null;
const first = el.dataset.kbSeen === '1';
el.dataset.kbSeen = '1';
return first;
"""
UNREACHED = """
const controls = 'a[href], button:not([disabled]), summary, input:not([disabled]):not([type=hidden]), '
  + 'select, textarea, [tabindex]:not([tabindex="-1"])';
const visible = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden'
  && !el.closest('[inert], [aria-hidden="true"], dialog:not([open]), details:not([open]) > :not(summary)');
return [...document.querySelectorAll(controls)].filter(visible).filter(el => el.dataset.kbSeen !== '1')
  .map(el => el.outerHTML.slice(0, 160));
"""
# A short page, a page with hidden code cells (their summaries), and the search page.
KEYBOARD_PAGES = ["book/intro", "book/activations/06-cheat-sheet", "search"]


def unreached_by_tab(browser, url: str, prepare: str = "") -> list[str]:
    """Tab from the top of the page until focus comes back round; the visible controls (links,
    buttons, summaries, fields, scrollable regions) never focused on the way."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    browser.get(url)
    if prepare:
        browser.execute_script(prepare)
    for _ in range(2000):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        if browser.execute_script(MARK_FOCUS):  # an element focused a second time: the cycle closed
            break
    else:
        pytest.fail(f"{url}: focus did not come back round within 2000 Tab presses")
    return browser.execute_script(UNREACHED)


@pytest.mark.parametrize("doc", KEYBOARD_PAGES)
def test_keyboard_reaches_every_control(doc, browser, site_server):
    unreached = unreached_by_tab(browser, f"{site_server}/{doc}.html")
    assert not unreached, f"{doc}: controls the keyboard never reaches:\n" + "\n".join(unreached)


def test_keyboard_check_finds_a_link_taken_out_of_the_tab_order(browser, site_server):
    """Guards the test above: a visible link with tabindex=-1 is reported."""
    hide = ("const a = document.createElement('a'); a.href = '#x'; a.tabIndex = -1;"
            "a.textContent = 'unreachable'; document.querySelector('main').prepend(a);")
    unreached = unreached_by_tab(browser, f"{site_server}/{KEYBOARD_PAGES[0]}.html", hide)
    assert any("unreachable" in html for html in unreached)
