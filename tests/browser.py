"""Headless Chromium from Debian's package, driven by Playwright (no browser download)."""
import contextlib
import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextlib.contextmanager
def chromium_page(**context):
    """A fresh page (`context`: Playwright's new_context options); skips (or, in CI, fails) when Chromium is
    not installed."""
    if not os.path.exists(CHROMIUM):
        message = "Debian's chromium is not installed (apt-get install chromium); .ci/run installs it"
        if os.environ.get("CIVIC_REQUIRE_ALL_TESTS"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser.new_context(**context).new_page()
        finally:
            browser.close()
