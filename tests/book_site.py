"""The built book for the tests that look at it: its pages in _toc.yml order, one build of the
site per session, a static server and a headless Chromium (book/_ext/course_site.py, shared with
``make pdf``). conftest.py makes the fixtures available to every test file.

The build here uses the notebooks' stored outputs (execution off): nbval, run over ``book/`` by
the same test command, has just proved that a fresh kernel reproduces every stored output, so
executing each notebook a second time would only cost time. ``make book`` executes them.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from book._ext.course_site import start_chromium, static_server, toc_parts

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
# This clone may have no public remote; the test build is given one so that the repository and
# launch buttons are built and their links can be checked (book/_ext/course_build.py).
EXAMPLE_REPOSITORY = "https://github.com/nn-course/foundations"
EXAMPLE_HUB = "https://hub.example.edu"


PAGES = [doc for _, docs in toc_parts() for doc in docs]


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


@pytest.fixture(scope="session")
def site_server(built_site):
    """A static file server for the built site on 127.0.0.1, stopped by its process id."""
    with static_server(built_site) as url:
        yield url


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """Headless Chromium from Debian's packages, with every host but 127.0.0.1 unreachable."""
    driver = start_chromium(tmp_path_factory.mktemp("chromium-profile"))
    yield driver
    driver.quit()
