"""Browser tests: Playwright driving Debian's Chromium (/usr/bin/chromium, installed by the project's Makefile),
against an app served by a real uvicorn on a free loopback port. No browser is ever downloaded.

`make test` sets CRM_TEST_BROWSER_REQUIRED=1, so a missing Chromium fails the run instead of skipping it."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

CHROMIUM = os.environ.get("CRM_TEST_CHROMIUM", "/usr/bin/chromium")
# A closed network: Chromium's own background connections are refused by the machine, so they are switched off.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(os.environ.get("CRM_TEST_SCREENSHOTS", Path(tempfile.gettempdir()) / "crm-screenshots"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(app: FastAPI, lifespan: bool = True) -> Iterator[str]:
    """Runs the app on a real HTTP server in a thread; yields its base URL. `lifespan=False` when a TestClient
    already runs the app's lifespan (the same stores, followers and clock, shared by both)."""
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on" if lifespan else "off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the app did not start serving")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """One headless Chromium per test module. Not per session: Playwright's sync API keeps an event loop running
    in the main thread while it is open, and every later test calling asyncio.run() would fail."""
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        if os.environ.get("CRM_TEST_BROWSER_REQUIRED"):
            pytest.fail(f"{CHROMIUM} is missing; `make test` installs Debian's chromium (make browser)")
        pytest.skip(f"{CHROMIUM} is missing (make browser installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium) -> Iterator[object]:
    """A fresh browser context (its own cookies) and page, on a laptop-sized screen."""
    context = chromium.new_context(viewport={"width": 1280, "height": 860}, locale="fa-IR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


def screenshot(page, name: str) -> Path:
    """Keeps a full-page screenshot under CRM_TEST_SCREENSHOTS (default /tmp/crm-screenshots) for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
