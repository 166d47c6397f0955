"""The book: it builds with no warning, and its pages work in a real browser, offline.

The build here uses the notebooks' stored outputs (execution off): nbval, run over ``book/`` by
the same test command, has just proved that a fresh kernel reproduces every stored output, so
executing each notebook a second time would only cost time. ``make book`` executes them.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"


def toc_parts() -> list[tuple[str, list[str]]]:
    """(caption, docnames) for the root page and each part of _toc.yml, in order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    parts = [("Introduction", [toc["root"]])]

    def files(entries):
        for entry in entries or []:
            if "file" in entry:
                yield entry["file"]
            yield from files(entry.get("sections"))

    for part in toc.get("parts", []):
        parts.append((part["caption"], list(files(part["chapters"]))))
    return parts


PAGES = [doc for _, docs in toc_parts() for doc in docs]
NOTEBOOK_PAGE = "book/backprop/03-worked-example"
# This clone may have no public remote; the test build is given one so that the repository and
# launch buttons are built and their links can be checked (book/_ext/course_build.py).
EXAMPLE_REPOSITORY = "https://github.com/nn-course/foundations"
EXAMPLE_HUB = "https://hub.example.edu"


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["execute"]["execute_notebooks"] = "off"
    config.setdefault("repository", {})["url"] = EXAMPLE_REPOSITORY
    config["launch_buttons"]["jupyterhub_url"] = EXAMPLE_HUB
    config["sphinx"]["local_extensions"] = {
        name: str(ROOT / path) for name, path in config["sphinx"]["local_extensions"].items()
    }
    config_path = tmp_path_factory.mktemp("config") / "_config.yml"
    config_path.write_text(yaml.safe_dump(config))
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    run = subprocess.run(
        [str(jupyter_book), "build", str(ROOT), "--config", str(config_path), "-W", "-n", "--keep-going"],
        capture_output=True, text=True, timeout=900,
    )
    log = run.stdout + run.stderr
    assert run.returncode == 0, f"jupyter-book build failed:\n{log[-6000:]}"
    warnings = [line for line in log.splitlines() if "WARNING" in line]
    assert not warnings, "the build printed warnings:\n" + "\n".join(warnings)
    return HTML


def test_book_builds_with_no_warning(built_site):
    for doc in PAGES:
        assert (built_site / f"{doc}.html").is_file(), f"{doc} is in _toc.yml but was not built"


@pytest.fixture(scope="session")
def site_server(built_site):
    """A static file server for the built site on 127.0.0.1, stopped by its process id."""
    server = subprocess.Popen(
        [sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", str(built_site)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        line = server.stdout.readline()  # "Serving HTTP on 127.0.0.1 port 40123 (http://...)"
        match = re.search(r"port (\d+)", line)
        assert match, f"the static server did not start: {line!r}"
        yield f"http://127.0.0.1:{match.group(1)}"
    finally:
        os.kill(server.pid, 15)
        server.wait(timeout=10)
        server.stdout.close()


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
