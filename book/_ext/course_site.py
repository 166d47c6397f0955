"""The built site: its pages in _toc.yml order, a static server on 127.0.0.1 and Debian's
headless Chromium.

One way to list the pages, serve the site and start the browser for everything that needs them:
the book's browser and accessibility tests and ``make pdf`` (which prints the book with Chromium). Never a browser a tool downloads: the
binaries are Debian's (``make browser``), and selenium-manager is kept offline.
"""
from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")
# Every host but 127.0.0.1 unreachable: the site must not need the network (MathJax is its own).
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"


def toc_parts(root: Path = ROOT) -> list[tuple[str, list[str]]]:
    """(caption, docnames) for the root page and each part of _toc.yml, in order."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    parts = [("Introduction", [toc["root"]])]

    def files(entries):
        for entry in entries or []:
            if "file" in entry:
                yield entry["file"]
            yield from files(entry.get("sections"))

    for part in toc.get("parts", []):
        parts.append((part["caption"], list(files(part["chapters"]))))
    return parts


def start_chromium(profile: Path, window: str = "1280,900"):
    """A selenium WebDriver of headless Chromium with a fresh profile in ``profile``, offline."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        raise RuntimeError("Debian's chromium and chromium-driver are needed: run `make browser` "
                           "(apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--window-size={window}", OFFLINE, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    os.environ.setdefault("SE_OFFLINE", "true")  # selenium-manager must not download anything
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_script_timeout(120)
    return driver


@contextlib.contextmanager
def static_server(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (a free port); yields its URL; stopped by its pid."""
    server = subprocess.Popen(
        [sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", str(directory)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        line = server.stdout.readline()  # "Serving HTTP on 127.0.0.1 port 40123 (http://...)"
        match = re.search(r"port (\d+)", line)
        if not match:
            raise RuntimeError(f"the static server did not start: {line!r}")
        yield f"http://127.0.0.1:{match.group(1)}"
    finally:
        os.kill(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
        server.stdout.close()
