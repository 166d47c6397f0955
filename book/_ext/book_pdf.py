"""The whole book as one PDF, printed offline by Debian's headless Chromium: ``make pdf``.

    python -m book._ext.book_pdf [SITE] [OUT]      (defaults: _build/html, _build/pdf/book.pdf)

The built site (``make book``) already holds every page with its figures, and MathJax, served
from the site itself, typesets the math in the browser. So the pages' articles, in _toc.yml order,
are put into one print document beside the site (``_print.html``), which Chromium loads from a
static server on 127.0.0.1, waits for MathJax, and prints through the DevTools protocol
(``Page.printToPDF``): one document gives page numbers that run through the book, links between
chapters that stay inside the PDF, and a PDF outline from the headings. The table of contents
with page numbers takes two prints: the first finds the page on which each chapter starts
(``pdftotext``, poppler-utils), the second prints the numbers.

Jupyter Book's own ``--builder pdfhtml`` needs pyppeteer, which downloads a Chromium of its own,
and ``pdflatex`` needs several hundred MB of TeX Live: neither is used here.
"""
from __future__ import annotations

import argparse
import base64
import html
import re
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup

from book._ext.course_site import ROOT, start_chromium, static_server, toc_parts

PRINT_PAGE = "_print.html"
PLACEHOLDER = "000"  # a page number's width in the first print, so the contents keep their length

# Print layout: chapters start on a new page; the theme's buttons, navigation and toggles are
# screen furniture; hidden code cells print closed (their summary says the code exists).
PRINT_CSS = """
@page { size: A4; margin: 18mm 16mm 20mm 16mm; }
html, body { background: white; display: block; }
body { font-size: 10.5pt; }
main.print-book { display: block; max-width: none; }
.print-chapter { break-before: page; }
.print-part { break-before: page; padding-top: 30vh; text-align: center; font-size: 22pt; }
.print-title { padding-top: 25vh; text-align: center; }
.print-toc ol { list-style: none; padding-left: 0; }
.print-toc li.part { font-weight: bold; margin-top: 0.8em; }
.print-toc li.chapter { display: flex; padding-left: 1.2em; }
.print-toc li.chapter a { color: inherit; text-decoration: none; }
.print-toc .dots { flex: 1; border-bottom: 1px dotted #999; margin: 0 0.4em 0.3em; }
.headerlink, .toggle-details, button, .copybtn, .header-article-items { display: none !important; }
figure, img, table, .cell_output { break-inside: avoid; }
img { max-width: 100%; }
pre { white-space: pre-wrap; }
"""

FOOTER = ('<div style="font-size:8pt;width:100%;text-align:center;color:#555;">'
          '<span class="pageNumber"></span></div>')

WAIT_FOR_MATH = """
const done = arguments[arguments.length - 1];
(async () => {
  await new Promise(r => (document.readyState === 'complete' ? r() : addEventListener('load', r)));
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  await Promise.all([...document.images].map(img => img.decode().catch(() => null)));
  return document.querySelectorAll('mjx-container').length;
})().then(done, err => done('error: ' + err));
"""


def chapter_id(doc: str) -> str:
    return "chapter-" + re.sub(r"\W+", "-", doc).strip("-")


def article(site: Path, doc: str) -> tuple[str, str]:
    """(title, article HTML) of one built page, with its links made absolute from the site root
    and links to other chapters turned into links inside the print document."""
    soup = BeautifulSoup((site / f"{doc}.html").read_text(), "html.parser")
    body = soup.select_one("article.bd-article")
    if body is None:
        raise SystemExit(f"{site / doc}.html has no <article class='bd-article'>: is it a Jupyter Book page?")
    title = body.find("h1").get_text(" ", strip=True).rstrip("#").strip()
    page_url = f"/{doc}.html"
    for tag, attribute in (("img", "src"), ("a", "href"), ("source", "src")):
        for element in body.find_all(tag):
            value = element.get(attribute)
            if not value or value.startswith(("data:", "mailto:")) or urlsplit(value).scheme:
                continue
            target = urljoin(page_url, value)
            path, _, fragment = target.partition("#")
            if tag == "a" and path.endswith(".html"):
                element[attribute] = "#" + (fragment or chapter_id(path.lstrip("/").removesuffix(".html")))
            else:
                element[attribute] = target
    return title, str(body)


def head(site: Path, doc: str) -> str:
    """The stylesheets and MathJax scripts of a built page, made absolute from the site root."""
    soup = BeautifulSoup((site / f"{doc}.html").read_text(), "html.parser")
    parts = []
    for link in soup.head.find_all("link", rel="stylesheet"):
        parts.append(f'<link rel="stylesheet" href="{urljoin(f"/{doc}.html", link["href"])}">')
    for script in soup.head.find_all("script"):
        if script.get("src") and "mathjax" in script["src"]:
            parts.append(f'<script defer src="{urljoin(f"/{doc}.html", script["src"])}"></script>')
        elif script.string and "window.MathJax" in script.string:
            parts.append(f"<script>{script.string}</script>")
    return "\n".join(parts)


def chapter_titles(site: Path) -> dict[str, str]:
    """docname -> the title of its built page, for every page of _toc.yml in order."""
    return {doc: article(site, doc)[0] for _, docs in toc_parts() for doc in docs}


def print_document(site: Path, title: str, pages: dict[str, int | None]) -> str:
    """The whole book as one HTML document: title, contents (with ``pages``' numbers), chapters."""
    parts = toc_parts()
    toc, chapters = [], []
    for caption, docs in parts:
        toc.append(f'<li class="part">{html.escape(caption)}</li>')
        if caption != parts[0][0]:
            chapters.append(f'<div class="print-part">{html.escape(caption)}</div>')
        for doc in docs:
            name, body = article(site, doc)
            number = pages.get(doc) or PLACEHOLDER
            toc.append(f'<li class="chapter"><a href="#{chapter_id(doc)}">{html.escape(name)}</a>'
                       f'<span class="dots"></span><span>{number}</span></li>')
            chapters.append(f'<section class="print-chapter" id="{chapter_id(doc)}">{body}</section>')
    first = parts[0][1][0]
    return f"""<!DOCTYPE html>
<html lang="en" data-theme="light" data-mode="light"><head><meta charset="utf-8">
<title>{html.escape(title)}</title>
{head(site, first)}
<style>{PRINT_CSS}</style></head>
<body><main class="print-book">
<div class="print-title"><h1>{html.escape(title)}</h1></div>
<nav class="print-toc print-chapter" aria-label="Contents"><h2>Contents</h2><ol>{"".join(toc)}</ol></nav>
{"".join(chapters)}
</main></body></html>"""


def print_pdf(driver, url: str, out: Path) -> None:
    driver.get(url)
    typeset = driver.execute_async_script(WAIT_FOR_MATH)
    if isinstance(typeset, str):
        raise RuntimeError(f"the print document did not finish loading: {typeset}")
    result = driver.execute_cdp_cmd("Page.printToPDF", {
        "printBackground": True, "preferCSSPageSize": True,
        "displayHeaderFooter": True, "headerTemplate": "<div></div>", "footerTemplate": FOOTER,
        "generateDocumentOutline": True, "generateTaggedPDF": True,
    })
    out.write_bytes(base64.b64decode(result["data"]))


def pdf_pages(pdf: Path) -> list[str]:
    """The text of each page of ``pdf`` (pdftotext, poppler-utils)."""
    try:
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
    except FileNotFoundError:
        raise SystemExit("pdftotext is missing: run `make poppler` (apt-get install poppler-utils)") from None
    return text.split("\f")


def normalised(text: str) -> str:
    """Text with runs of white space made one space, and words broken at a hyphen rejoined."""
    return re.sub(r"-\s+", "-", re.sub(r"\s+", " ", text)).strip()


def chapter_pages(pdf: Path, titles: dict[str, str]) -> dict[str, int]:
    """The page on which each chapter starts: the first page after the previous chapter's that
    begins with the chapter's title (every chapter starts a page), counted from the contents."""
    pages = [normalised(p) for p in pdf_pages(pdf)]
    # The title page carries the book's title, which is also the first chapter's: start after it.
    found, start = {}, next(n for n, page in enumerate(pages) if page.startswith("Contents"))
    for doc, title in titles.items():
        want = normalised(title)
        for number in range(start, len(pages)):
            if pages[number].startswith(want):
                found[doc] = number + 1
                start = number + 1
                break
        else:
            raise RuntimeError(f"chapter {title!r} not found at the top of any page after page {start}")
    return found


def build(site: Path, out: Path, title: str) -> Path:
    if not (site / "index.html").is_file():
        raise SystemExit(f"no built site in {site}: run `make book` first")
    titles = chapter_titles(site)
    out.parent.mkdir(parents=True, exist_ok=True)
    document = site / PRINT_PAGE
    with tempfile.TemporaryDirectory() as profile, static_server(site) as url:
        driver = start_chromium(Path(profile))
        try:
            document.write_text(print_document(site, title, {}))
            print_pdf(driver, f"{url}/{PRINT_PAGE}", out)
            document.write_text(print_document(site, title, chapter_pages(out, titles)))
            print_pdf(driver, f"{url}/{PRINT_PAGE}", out)
        finally:
            driver.quit()
            document.unlink(missing_ok=True)
    return out


def main(argv: list[str] | None = None) -> None:
    import yaml

    parser = argparse.ArgumentParser(description="Print the built book to one PDF with Debian's Chromium.")
    parser.add_argument("site", nargs="?", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("out", nargs="?", type=Path, default=ROOT / "_build" / "pdf" / "book.pdf")
    args = parser.parse_args(argv)
    title = yaml.safe_load((ROOT / "_config.yml").read_text())["title"]
    print(f"wrote {build(args.site.resolve(), args.out.resolve(), title)}")


if __name__ == "__main__":
    main()
