"""Debian's Chromium driven by Playwright: the one place that says how it is launched.

No browser is downloaded (``playwright install`` is never run): ``executable_path`` points
at the Debian package (system-packages.txt), headless, with everything that would reach
out to the network turned off.
"""

from __future__ import annotations

import os
from pathlib import Path

from playwright.async_api import Browser, Playwright

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


async def launch(p: Playwright) -> Browser:
    """Debian's Chromium, headless; a clear error when the package is missing."""
    if not os.path.exists(CHROMIUM):  # noqa: ASYNC240 (one stat, before any I/O loop)
        raise AssertionError(f"{CHROMIUM} is missing: make sysdeps installs it (chromium)")
    return await p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
