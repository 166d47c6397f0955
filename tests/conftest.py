"""Shared fixtures and helpers for the test suite.

Hypothesis runs with the ``ci`` profile (fixed number of examples, no deadline: the machines are
noisy). Warnings are errors (see ``pyproject.toml``): nbgrader scores a test cell 0 when anything
is printed to stderr, so a warning from lib is a bug.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci")

torch.set_default_dtype(torch.float64)


def t(x, requires_grad: bool = False) -> torch.Tensor:
    """A float64 torch tensor holding a copy of ``x``."""
    return torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=requires_grad)


def assert_close(actual, expected, rtol: float = 1e-10, atol: float = 1e-12) -> None:
    """``actual`` (numpy) equals ``expected`` (numpy or torch) within tolerance."""
    if isinstance(expected, torch.Tensor):
        expected = expected.detach().numpy()
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=rtol, atol=atol)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """Headless Chromium from Debian's packages, with every host but 127.0.0.1 unreachable."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert CHROMIUM.exists() and CHROMEDRIVER.exists(), (
        "Debian's chromium and chromium-driver are needed: `make test` installs them "
        "(apt-get install chromium chromium-driver)"
    )
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1280,900",
                 # offline: the site must not need any other host (MathJax comes from the site)
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    os.environ.setdefault("SE_OFFLINE", "true")  # selenium-manager must not download anything
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_script_timeout(60)
    yield driver
    driver.quit()
