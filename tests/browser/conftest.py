"""Headless Chromium (Debian's ``chromium``) driven by Playwright, started fresh per test.

Playwright's own browser downloads are never used: the system's Chromium is launched by path,
with a new profile directory, and closed (its process ended) when the test ends.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

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


@asynccontextmanager
async def _chromium(tmp_path: Path, **options: Any) -> AsyncIterator[object]:
    """A fresh persistent context of the system's Chromium (``options``: the page's size,
    whether it is a phone)."""
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
            locale="kk-KZ",
            **options,
        )
        try:
            yield context
        finally:
            await context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
async def browser_context(tmp_path: Path) -> AsyncIterator[object]:
    async with _chromium(tmp_path, viewport={"width": 1100, "height": 1300}) as context:
        yield context


@pytest.fixture
async def phone_context(tmp_path: Path) -> AsyncIterator[object]:
    """A phone's browser: 390 px wide, laying pages out as a phone does (without a viewport
    meta it lays them out 980 px wide and shrinks them)."""
    async with _chromium(
        tmp_path,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    ) as context:
        yield context
