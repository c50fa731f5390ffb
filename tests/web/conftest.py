"""What the widget's browser tests share: `make serve`'s script on free ports (the Rasa
server with a tracker store of its own, and the demo page under its strict CSP), one
headless Chromium (Debian's, driven by Playwright), pages of the demo in fresh browser
profiles, and a scriptable socket.io bot (tests/support/fake_socketio.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from bot.paths import ROOT
from bot.testing.server import free_port, fresh_endpoints, wait_for_http
from tests.support.fake_socketio import FakeBot
from tests.support.widget import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, Served

# every page records the CSP violations it causes (an init script is not subject to CSP)
RECORD_CSP = """window.cspViolations = [];
document.addEventListener("securitypolicyviolation",
    (e) => window.cspViolations.push(e.violatedDirective + " " + e.blockedURI));"""


@pytest.fixture(scope="session")
def server(trained_model: Path, tmp_path_factory) -> Iterator[Served]:
    """scripts/serve.sh on free ports: Rasa with credentials.yml, and the demo page."""
    rasa_port, web_port = free_port(), free_port()
    folder = tmp_path_factory.mktemp("serve")
    endpoints = fresh_endpoints(folder)
    served = Served(
        f"http://127.0.0.1:{rasa_port}",
        rasa_port,
        f"http://127.0.0.1:{web_port}",
        folder / "tracker.db",
    )
    env = {
        **os.environ,
        "RASA_PORT": str(rasa_port),
        "WEB_PORT": str(web_port),
        "MODEL": str(trained_model),
        "ENDPOINTS": str(endpoints),
        "CHAT_WIDGET_ORIGINS": served.web_origin,
    }
    log = folder / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(ROOT / "scripts/serve.sh")],  # builds the widget itself when needed
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as a whole below
        )
    try:
        wait_for_http(served.web_origin + "/demo/", 120, proc)
        wait_for_http(served.url + "/", 240, proc)
        yield served
    except Exception:
        sys.stderr.write(log.read_text(errors="replace")[-5000:])
        raise
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "chromium missing: run scripts/install-chromium.sh"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def fake_bot(server: Served) -> Iterator[FakeBot]:
    bot = FakeBot(server.web_origin).start()
    yield bot
    bot.stop()


class Pages:
    """Demo pages against a chat server, each in a fresh browser profile unless a
    `context` (a profile with its storage) is given: two pages of one context are two
    tabs of one browser."""

    def __init__(self, browser: Browser, served: Served) -> None:
        self.browser, self.served = browser, served
        self.contexts: list[BrowserContext] = []

    def context(self, **options) -> BrowserContext:
        context = self.browser.new_context(**options)
        context.add_init_script(RECORD_CSP)
        self.contexts.append(context)
        return context

    def url(self, server_url: str, page: str = "", **query: str) -> str:
        params = urlencode({"server": server_url, "exit": "/demo/neutral.html", **query})
        return f"{self.served.web_origin}/demo/{page}?{params}"

    def open(self, server_url: str, *, context: BrowserContext | None = None, **query) -> Page:
        page = (context or self.context()).new_page()
        page.dialogs = []  # any alert() would be an injected script running
        page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(self.url(server_url, **query))
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def pages(browser: Browser, server: Served) -> Iterator[Pages]:
    opened = Pages(browser, server)
    yield opened
    opened.close()


@pytest.fixture
def page_for(pages: Pages):
    """Open the demo page against a server URL, in a fresh browser profile."""

    def open_page(server_url: str, **context_options) -> Page:
        return pages.open(server_url, context=pages.context(**context_options))

    return open_page
