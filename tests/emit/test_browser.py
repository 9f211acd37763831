"""The built site in a real browser (Debian's chromium, headless, over the DevTools protocol):
tabs switch, a generated snippet's copy button copies exactly that snippet, search finds an
element by its key, the palette toggles, no console errors, no template left over.

One build and one browser per module. Screenshots go to test-output/screenshots/ (ignored
by git) for people to look at. Without chromium the module is skipped, except under CI=true,
where that is a failure (``make browser`` installs it, as root)."""

from __future__ import annotations

import functools
import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from cdp import Browser, ci, find_chromium
from conftest import REPO, copy_repo_project

from generator.emit.snippets import snippets

SCREENSHOTS = REPO / "test-output" / "screenshots"
ELEMENT = "elements/autotask-crm/authenticate/"


@pytest.fixture(scope="module")
def chromium() -> str:
    found = find_chromium()
    if found is None:
        if ci():
            pytest.fail("chromium is missing under CI=true: 'make browser' (as root) installs it")
        pytest.skip("chromium is not installed ('make browser', as root, installs it)")
    return found


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_repo_project(tmp_path_factory.mktemp("browser-site"))
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return root / "site"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def base_url(site: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(chromium: str, base_url: str) -> Iterator[Browser]:
    instance = Browser(chromium)
    try:
        instance.call(
            "Emulation.setDeviceMetricsOverride",
            width=1280,
            height=900,
            deviceScaleFactor=1,
            mobile=False,
        )
        yield instance
    finally:
        instance.close()


def pages_of(site: Path) -> list[str]:
    return sorted(
        p.parent.relative_to(site).as_posix() + "/"
        for p in site.rglob("index.html")
        if p.parent != site
    ) + [""]


def test_every_page_loads_without_errors_or_template_leftovers(
    browser: Browser, site: Path, base_url: str
) -> None:
    pages = pages_of(site)
    assert ELEMENT in pages and len(pages) >= 7
    for page in pages:
        browser.goto(base_url + page)
        # the article's text outside code: template syntax shown as code (the diagnostic
        # codes page explains {% %}) is documentation, anything else is a leftover
        text = browser.evaluate(
            "(() => { const a = document.querySelector('article').cloneNode(true);"
            " a.querySelectorAll('code, pre').forEach(c => c.remove());"
            " return a.innerText; })()"
        )
        assert "{{" not in text and "{%" not in text, page
        for empty in ("<>", "****", "``", "()", "[]"):
            assert empty not in text, (page, empty)
        assert not re.search(r"\b(None|undefined|null)\b", text), page
        empty_elements = browser.evaluate(
            "[...document.querySelectorAll('article code, article strong, article em,"
            " article a, article td')].filter(e => !e.textContent.trim()"
            " && !e.querySelector('img, svg') && !e.classList.contains('headerlink')).length"
        )
        assert empty_elements == 0, page
        assert browser.errors() == [], page


def test_screenshots_of_home_and_an_element_page(browser: Browser, base_url: str) -> None:
    for name, page in (("home", ""), ("element-page", ELEMENT)):
        browser.goto(base_url + page)
        browser.wait_for("document.fonts.status === 'loaded'")
        target = SCREENSHOTS / f"{name}.png"
        browser.screenshot(target)
        assert target.stat().st_size > 10_000
        assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _visible_tab(browser: Browser) -> str:
    return browser.evaluate(
        "(() => { const set = document.querySelector('.tabbed-set');"
        " const blocks = [...set.querySelectorAll(':scope > .tabbed-content > .tabbed-block')];"
        " const labels = [...set.querySelectorAll(':scope > .tabbed-labels > label')];"
        " const shown = blocks.findIndex(b => b.offsetParent !== null);"
        " return labels[shown].innerText.trim(); })()"
    )


def test_content_tabs_switch(browser: Browser, base_url: str) -> None:
    browser.goto(base_url + ELEMENT)
    assert _visible_tab(browser) == "JSON body"
    for title in ("Python", "JavaScript", "HTTPie", "cURL", "JSON body"):
        index = ["JSON body", "cURL", "Python", "JavaScript", "HTTPie"].index(title) + 1
        browser.click(f".tabbed-set > .tabbed-labels > label:nth-child({index})")
        browser.wait_for(
            f"document.querySelectorAll('.tabbed-set')[0]"
            f".querySelectorAll(':scope > input')[{index - 1}].checked"
        )
        assert _visible_tab(browser) == title


def test_copy_button_copies_exactly_the_generated_snippet(browser: Browser, base_url: str) -> None:
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text())
    browser.goto(base_url + ELEMENT)
    body = json.loads(
        browser.evaluate("document.querySelector('.tabbed-set .tabbed-block code').innerText")
    )
    expected = {s.title: s.code for s in snippets(body, config["extra"]["api_base"])}
    origin = base_url.rstrip("/")
    browser.call(
        "Browser.grantPermissions",
        origin=origin,
        permissions=["clipboardReadWrite", "clipboardSanitizedWrite"],
    )
    for index, title in ((3, "Python"), (2, "cURL")):
        browser.click(f".tabbed-set > .tabbed-labels > label:nth-child({index})")
        browser.wait_for(
            f"document.querySelector('.tabbed-set')"
            f".querySelectorAll(':scope > .tabbed-content > .tabbed-block')"
            f"[{index - 1}].offsetParent !== null"
        )
        browser.evaluate("navigator.clipboard.writeText('')")
        block = (
            f".tabbed-set > .tabbed-content > .tabbed-block:nth-child({index}) "
            "button.md-code__button[data-md-type=copy]"
        )
        browser.click(block)
        copied = browser.wait_for("navigator.clipboard.readText()")
        assert copied.rstrip("\n") == expected[title], title


def test_search_finds_an_element_by_its_key(browser: Browser, base_url: str) -> None:
    browser.goto(base_url)
    browser.click(".md-search__input")  # on a wide screen the field is in the header
    browser.wait_for("document.activeElement === document.querySelector('.md-search__input')")
    browser.type_text("infusionsoftcrm")
    links = browser.wait_for(
        "(() => { const links = [...document.querySelectorAll('.md-search-result__link')]"
        ".map(a => a.getAttribute('href')); return links.length ? links : null; })()",
        timeout=60,
    )  # the search index is built in a web worker: slow on a loaded machine
    assert any("elements/infusionsoft-crm/authenticate/" in link for link in links), links


def test_palette_toggle_switches_light_and_dark(browser: Browser, base_url: str) -> None:
    browser.goto(base_url + ELEMENT)
    scheme = "document.body.getAttribute('data-md-color-scheme')"
    first = browser.evaluate(scheme)
    assert first in ("default", "slate")
    browser.click("form[data-md-component='palette'] label:not([hidden])")
    browser.wait_for(f"{scheme} !== {json.dumps(first)}")
    second = browser.evaluate(scheme)
    assert {first, second} == {"default", "slate"}
    background = browser.evaluate(
        "getComputedStyle(document.body).getPropertyValue('background-color')"
    )
    browser.click("form[data-md-component='palette'] label:not([hidden])")
    browser.wait_for(f"{scheme} === {json.dumps(first)}")
    assert (
        browser.evaluate("getComputedStyle(document.body).getPropertyValue('background-color')")
        != background
    )
    assert browser.errors() == []
