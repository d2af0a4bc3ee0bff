"""Headless Chromium (Debian's ``chromium``) driven by Playwright, started fresh per test.

Playwright's own browser downloads are never used: the system's Chromium is launched by path,
with a new profile directory, and closed (its process ended) when the test ends.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_INSTALLED = CHROMIUM.exists()
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
async def browser_context(tmp_path: Path) -> AsyncIterator[object]:
    playwright_api = pytest.importorskip("playwright.async_api")
    if not CHROMIUM_INSTALLED:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI; scripts/test installs it")
        pytest.skip("Debian's chromium is not installed")
    profile = tmp_path / "chromium-profile"
    async with playwright_api.async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            accept_downloads=True,
            viewport={"width": 1100, "height": 1300},
            locale="kk-KZ",
        )
        try:
            yield context
        finally:
            await context.close()
    shutil.rmtree(profile, ignore_errors=True)
