"""The book: it builds with no warning, and its pages work in a real browser, offline.

The site, its server and the browser are tests/book_site.py's fixtures (one build per session).
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from book._ext.course_build import BOOK_LINK
from book_site import EXAMPLE_HUB, EXAMPLE_REPOSITORY, HTML, PAGES, ROOT, toc_parts

SCREENSHOTS = HTML.parent / "screenshots"
NOTEBOOK_PAGE = "book/backprop/03-worked-example"


def test_book_builds_with_no_warning(built_site):
    for doc in PAGES:
        assert (built_site / f"{doc}.html").is_file(), f"{doc} is in _toc.yml but was not built"


# Runs in the page: waits for MathJax, then reports what a reader would see go wrong.
INSPECT_PAGE = """
const done = arguments[arguments.length - 1];
(async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  const math = [...document.querySelectorAll('.math')];
  const notRendered = math.filter(el => !el.querySelector('mjx-container')).map(el => el.textContent.slice(0, 80));
  const brokenImages = [...document.images].filter(img => !(img.complete && img.naturalWidth > 0)).map(img => img.src);
  const main = document.querySelector('main') || document.body;
  const text = main.innerText;
  return {
    mathCount: math.length,
    mjxCount: document.querySelectorAll('mjx-container').length,
    notRendered, brokenImages,
    rawMath: /\\$\\$|\\\\\\(|\\\\\\[/.test(text),
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
  };
})().then(done, err => done({error: String(err)}));
"""


def broken_internal_links(links: list[str], origin: str, site: Path) -> list[str]:
    broken = []
    for link in links:
        if not link.startswith(origin):
            continue
        parts = urlsplit(link)
        target = site / unquote(parts.path).lstrip("/")
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            broken.append(link)
        elif parts.fragment and target.suffix == ".html":
            if f'id="{unquote(parts.fragment)}"' not in target.read_text(errors="replace"):
                broken.append(link)
    return broken


@pytest.mark.parametrize("doc", PAGES)
def test_page_renders_math_images_and_links(doc, browser, site_server, built_site):
    browser.get(f"{site_server}/{doc}.html")
    report = browser.execute_async_script(INSPECT_PAGE)
    assert "error" not in report, report.get("error")
    assert not report["notRendered"], f"math not rendered by MathJax: {report['notRendered'][:5]}"
    assert report["mjxCount"] >= report["mathCount"]
    assert not report["rawMath"], "raw TeX delimiters ($$, \\(, \\[) left in the page's text"
    assert not report["brokenImages"], f"images that did not load: {report['brokenImages']}"
    broken = broken_internal_links(report["links"], site_server, built_site)
    assert not broken, f"broken internal links: {broken}"


def test_math_is_rendered_somewhere(browser, site_server, built_site):
    """Guards the page test against a site where MathJax never ran and no math was found."""
    browser.get(f"{site_server}/{PAGES[0]}.html")
    report = browser.execute_async_script(INSPECT_PAGE)
    assert report["mjxCount"] > 0, "MathJax rendered nothing on the first page"


def test_notebook_page_links_to_repository_and_launches_jupyterlab(browser, site_server, built_site):
    from urllib.parse import parse_qs

    browser.get(f"{site_server}/{NOTEBOOK_PAGE}.html")
    links = browser.execute_async_script(INSPECT_PAGE)["links"]
    notebook = f"{NOTEBOOK_PAGE}.ipynb"
    assert EXAMPLE_REPOSITORY in links, "no repository button"
    assert not [link for link in links if "executablebooks" in link], "a button points at Jupyter Book's repository"
    assert f"{EXAMPLE_REPOSITORY}/issues/new" in [link.split("?")[0] for link in links], "no issues button"
    assert f"https://mybinder.org/v2/gh/nn-course/foundations/main?urlpath=lab/tree/{notebook}" in links
    hub = [urlsplit(link) for link in links if link.startswith(EXAMPLE_HUB)]
    assert hub, "no JupyterHub launch button"
    query = parse_qs(hub[0].query)
    assert hub[0].path == "/hub/user-redirect/git-pull"  # nbgitpuller clones the course, opens the page
    assert query["repo"] == [EXAMPLE_REPOSITORY] and query["branch"] == ["main"]
    assert query["urlpath"] == [f"lab/tree/foundations/{notebook}"]
    assert f"{site_server}/_sources/{notebook}" in links, "no download button for the notebook"


def test_search_finds_a_topic(browser, site_server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{site_server}/search.html?q=gradient")
    results = WebDriverWait(browser, 30).until(
        lambda b: b.find_elements(By.CSS_SELECTOR, "#search-results ul.search li")
    )
    assert results, "search for 'gradient' returned nothing"


def test_screenshot_of_each_chapter(browser, site_server):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for caption, docs in toc_parts():
        browser.get(f"{site_server}/{docs[0]}.html")
        browser.execute_async_script(INSPECT_PAGE)  # waits for MathJax
        path = SCREENSHOTS / (re.sub(r"\W+", "-", caption.lower()).strip("-") + ".png")
        assert browser.save_screenshot(str(path)), f"no screenshot saved for {caption}"
        assert path.stat().st_size > 10_000, f"screenshot of {caption} looks empty"


def test_every_book_page_ends_with_links_to_the_exercises_that_practise_it(built_site):
    for doc in PAGES:
        if not doc.startswith("book/"):
            continue
        page = (built_site / f"{doc}.html").read_text()
        assert 'id="practise-it"' in page, f"{doc} has no 'Practise it' section"
        section = page[page.index('id="practise-it"'):]
        section = section[:section.index("</section>")]
        assert re.search(r'href="(\.\./)+exercises/\w+/\w+\.html', section), f"{doc}: no link to an exercise"


EXERCISE_TASK = re.compile(r"^#+ (Task \d+|Question [A-Z]|\d+\.)")


def test_every_exercise_task_links_to_the_page_that_teaches_it():
    import nbformat

    for path in sorted((ROOT / "exercises").glob("*/*.ipynb")):
        tasks = [cell.source for cell in nbformat.read(path, 4).cells
                 if cell.cell_type == "markdown" and EXERCISE_TASK.match(cell.source)]
        assert tasks, f"{path.name}: no tasks found"
        for task in tasks:
            assert BOOK_LINK.search(task), f"{path.name}: {task.splitlines()[0]!r} links to no book page"
