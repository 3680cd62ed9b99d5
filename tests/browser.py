"""A real browser for tests: Debian's Chromium, headless, driven by Selenium."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


def chrome():
    selenium = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    if not (shutil.which("chromium") and Path("/usr/bin/chromedriver").exists()):
        if os.environ.get("CI"):
            pytest.fail("CI must test in a real browser: install chromium and chromium-driver")
        pytest.skip("Debian's chromium and chromium-driver are not installed")
    options = selenium.ChromeOptions()
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--allow-file-access-from-files",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    options.binary_location = shutil.which("chromium")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return selenium.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
