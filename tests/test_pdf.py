"""`make pdf`: the whole book as one PDF, printed offline by Debian's Chromium (book/_ext/book_pdf.py).

The PDF is printed from the session's built site (tests/book_site.py) and read back with
poppler-utils' pdftotext and pdfimages, as a reader's PDF viewer would show it.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from book._ext import book_pdf
from book._ext.course_site import toc_parts

RAW_TEX = re.compile(r"\$[^$\n]{1,120}\$|\\frac|\\\(|\\\[|\\begin\{|\\mathrm|\\partial")


@pytest.fixture(scope="session")
def pdf_path(built_site, tmp_path_factory) -> Path:
    """The book printed from the session's built site, as `make pdf` prints it."""
    return book_pdf.build(built_site, tmp_path_factory.mktemp("pdf") / "book.pdf", "Test book")


@pytest.fixture(scope="session")
def pages(pdf_path) -> list[str]:
    """The text of each page of the printed book (pdftotext -layout)."""
    return book_pdf.pdf_pages(pdf_path)


def test_every_part_and_chapter_title_is_in_the_pdf(pages, built_site):
    text = book_pdf.normalised(" ".join(pages))
    for caption, _ in toc_parts():
        assert book_pdf.normalised(caption) in text, f"part {caption!r} missing from the PDF"
    for doc, title in book_pdf.chapter_titles(built_site).items():
        assert book_pdf.normalised(title) in text, f"chapter {title!r} ({doc}) missing from the PDF"


def test_contents_give_the_page_each_chapter_starts_on(pages, built_site):
    contents = book_pdf.normalised(" ".join(p for p in pages[:4]))
    for doc, title in book_pdf.chapter_titles(built_site).items():
        match = re.search(re.escape(book_pdf.normalised(title)) + r" (\d+)", contents)
        assert match, f"no entry with a page number for {title!r} in the contents"
        page = int(match.group(1))
        assert book_pdf.normalised(pages[page - 1]).startswith(book_pdf.normalised(title)), (
            f"the contents put {title!r} on page {page}, which starts otherwise")


def test_every_page_is_numbered(pages):
    for number, page in enumerate(pages[:-1], start=1):  # pdftotext ends with an empty page break
        assert page.split()[-1:] == [str(number)], f"page {number} has no page number at its foot"


def code_text(site: Path) -> str:
    """The text of every code block and code output of the site, whitespace normalised."""
    blocks = []
    for page in site.rglob("*.html"):
        soup = BeautifulSoup(page.read_text(), "html.parser")
        blocks += [pre.get_text() for pre in soup.select("article pre")]
    return book_pdf.normalised(" ".join(blocks))


def test_math_is_typeset_no_raw_tex_outside_code(pages, built_site):
    """TeX left in the text ($...$, \\frac, \\(...) means MathJax did not typeset it. Code cells
    legitimately hold TeX (matplotlib labels such as "$x_1$"), so a hit found in the site's code
    blocks is not one."""
    code = code_text(built_site)
    raw = [(n, m.group()) for n, page in enumerate(pages, start=1) for line in page.splitlines()
           for m in RAW_TEX.finditer(line) if book_pdf.normalised(m.group()) not in code]
    assert not raw, f"raw TeX in the PDF (page, text): {raw[:10]}"


def test_every_figure_is_in_the_pdf(pdf_path, built_site):
    figures = sum(len(BeautifulSoup(p.read_text(), "html.parser").select("article img"))
                  for p in (built_site / "book").rglob("*.html"))
    listing = subprocess.run(["pdfimages", "-list", str(pdf_path)], capture_output=True, text=True,
                             check=True).stdout.splitlines()[2:]
    images = [line for line in listing if line.split()[2] == "image"]  # not soft masks
    assert figures >= 60 and len(images) >= figures, f"{len(images)} images in the PDF, {figures} figures on the site"
