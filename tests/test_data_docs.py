"""The Great Expectations Data Docs work without internet: every stylesheet, script, font
and image comes from the site itself (data_quality/offline_docs.py).

The unit tests pin the rewriting of GX's pages; the end-to-end test opens the Data Docs
of a real pipeline run in real headless Chromium with every non-local request refused,
and checks that the tables are drawn and styled. Screenshots are kept under
test-artifacts/screenshots/.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import great_expectations
import pytest

from data_quality.offline_docs import (
    ASSETS_DIR,
    CDN_FILES,
    COMPANION_DIRS,
    localize_page,
    localize_site,
)
from data_quality.outcomes import data_docs_url
from data_quality.suites import all_suites
from mau_warehouse.config import load_settings
from mau_warehouse.errors import MauError

REPO_ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
LOCK = REPO_ROOT / "data_quality" / "docs_assets" / "package-lock.json"
GX_VIEW = Path(great_expectations.__file__).parent / "render" / "view"
POPPER = "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js"
LOGO = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png"
# What a browser fetches on its own while rendering: stylesheets, scripts, images, CSS urls.
REMOTE_ASSET = re.compile(
    r"<(?:script|link|img)\b[^>]*\b(?:src|href)=\"https?://|url\(['\"]?https?://", re.IGNORECASE
)


def test_cdn_scripts_and_the_logo_point_into_the_site() -> None:
    page = (
        f'<script src="{POPPER}" integrity="sha384-Apx" crossorigin="anonymous"></script>\n'
        f'<img class="NO-CACHE" src="{LOGO}?d=20261206T023748.896861Z" alt="Great Expectations"/>\n'
        '<a href="https://greatexpectations.io">Great Expectations</a>'
    )

    local = localize_page(page, "../../../../")

    assert local == (
        '<script src="../../../../static/vendor/popper.js/dist/umd/popper.min.js"></script>\n'
        '<img class="NO-CACHE" src="../../../../static/images/logo-long.png" '
        'alt="Great Expectations"/>\n'
        # a link is only followed when clicked: it stays
        '<a href="https://greatexpectations.io">Great Expectations</a>'
    )
    assert localize_page(local, "../../../../") == local


def test_every_template_and_stylesheet_of_gx_loads_nothing_remote_once_localized() -> None:
    """A Great Expectations upgrade that adds a CDN asset fails here, not on a user's screen."""
    sources = [*GX_VIEW.glob("templates/*.j2"), *GX_VIEW.glob("static/styles/*.css")]
    assert len(sources) > 10

    remote = {
        source.name: REMOTE_ASSET.findall(localize_page(source.read_text(), "./"))
        for source in sources
    }

    assert {name: found for name, found in remote.items() if found} == {}


def test_every_mapped_asset_is_installed_by_setup() -> None:
    """`make setup` ran `npm ci`: every file the pages point at is there to copy."""
    missing = [
        path for path in [*CDN_FILES.values(), *COMPANION_DIRS] if not (ASSETS_DIR / path).exists()
    ]
    assert missing == []


def test_the_lock_pins_exact_versions_from_the_npm_registry_only() -> None:
    lock = json.loads(LOCK.read_text())
    root = lock["packages"][""]
    packages = {name: entry for name, entry in lock["packages"].items() if name}

    assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in root["dependencies"].values())
    assert all(entry["integrity"].startswith("sha512-") for entry in packages.values())
    resolved = [entry["resolved"] for entry in packages.values() if "resolved" in entry]
    assert [url for url in resolved if not url.startswith("https://registry.npmjs.org/")] == []


def test_without_installed_assets_the_pages_are_left_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    site = tmp_path / "data_docs"
    site.mkdir()
    page = f'<script src="{POPPER}"></script>'
    (site / "index.html").write_text(page)

    with caplog.at_level(logging.WARNING):
        localize_site(site, assets=tmp_path / "no_node_modules")

    assert (site / "index.html").read_text() == page
    assert "make setup" in caplog.text


def test_check_metadata_links_to_the_docs_server_on_its_port(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("MAU_DOCS_PORT", raising=False)
    assert data_docs_url(load_settings(tmp_path)) == "http://127.0.0.1:8080/data_docs/index.html"
    monkeypatch.setenv("MAU_DOCS_PORT", "9090")
    assert data_docs_url(load_settings(tmp_path)) == "http://127.0.0.1:9090/data_docs/index.html"
    monkeypatch.setenv("MAU_DOCS_PORT", "http")
    with pytest.raises(MauError, match="MAU_DOCS_PORT"):
        data_docs_url(load_settings(tmp_path))


@pytest.fixture(scope="module")
def data_docs_site(published_home: Path) -> Iterator[str]:
    """The Data Docs the published run built, served on the loopback interface only."""
    site = published_home / "quality" / "data_docs"
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output to the test's own."""


# Run in the page: was each library's script loaded, and did bootstrap-table draw the rows?
LIBRARIES = """() => ({
    jquery: typeof window.jQuery === 'function',
    bootstrap: typeof window.jQuery.fn.modal === 'function',
    bootstrapTable: typeof window.jQuery.fn.bootstrapTable === 'function',
    datepicker: typeof window.jQuery.fn.datepicker === 'function',
    vegaEmbed: typeof window.vegaEmbed === 'function',
})"""
CELL_STYLE = """cell => {
    const style = getComputedStyle(cell);
    return {padding: style.paddingTop, border: style.borderTopWidth + ' ' + style.borderTopStyle};
}"""
ICON_FONT_LOADED = """async () => {
    await document.fonts.ready;
    return [...document.fonts].some(
        face => face.family.includes('Font Awesome') && face.status === 'loaded');
}"""


@pytest.mark.slow
def test_data_docs_render_styled_tables_with_the_network_off(
    data_docs_site: str, published_home: Path
) -> None:
    from playwright.sync_api import Response, Route, expect, sync_playwright

    executable = os.environ.get("MAU_TEST_CHROMIUM") or shutil.which("chromium")
    assert executable, "Debian's chromium is missing: `make browser` installs it"
    remote: list[str] = []
    failed: list[str] = []

    def only_loopback(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            remote.append(route.request.url)
            route.abort("internetdisconnected")

    def record_failure(response: Response) -> None:
        # GX writes a wrong depth into the favicon link of result pages: a local 404 only.
        if response.status >= 400 and not response.url.endswith("favicon.ico"):
            failed.append(f"{response.status} {response.url}")

    site = published_home / "quality" / "data_docs"
    [result_page] = site.glob("validations/usage_billing/*/*/*.html")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                # no name but the loopback address resolves: the network is off for the browser
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            ],
        )
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(30_000)
        context.route("**/*", only_loopback)
        page = context.new_page()
        page.on("response", record_failure)

        page.goto(f"{data_docs_site}/index.html", wait_until="networkidle")
        table = page.locator("table.ge-index-page-validation-results-table")
        # bootstrap-table draws the rows from data in the page: one per suite, by name
        expect(table.locator("tbody tr")).to_have_count(len(all_suites()))
        for suite in all_suites():
            expect(table).to_contain_text(suite.name)
        assert page.evaluate(LIBRARIES) == dict.fromkeys(
            ("jquery", "bootstrap", "bootstrapTable", "datepicker", "vegaEmbed"), True
        )
        # Bootstrap's .table-sm cells: 0.3rem of padding and a solid top border (a
        # browser's own table has 1px and none)
        assert table.locator("tbody td").first.evaluate(CELL_STYLE) == {
            "padding": "4.8px",
            "border": "1px solid",
        }
        assert page.evaluate(ICON_FONT_LOADED)
        assert page.locator("nav img").evaluate("img => img.naturalWidth") > 0
        page.screenshot(path=str(SCREENSHOTS / "data_docs_index.png"), full_page=True)

        page.goto(
            f"{data_docs_site}/{result_page.relative_to(site).as_posix()}",
            wait_until="networkidle",
        )
        expect(page.get_by_role("heading", name="Overview")).to_be_visible()
        assert page.evaluate(LIBRARIES)["bootstrapTable"]
        cell = page.locator("table.table.table-sm td").first
        expect(cell).to_be_visible()
        assert cell.evaluate(CELL_STYLE) == {"padding": "4.8px", "border": "1px solid"}
        page.screenshot(path=str(SCREENSHOTS / "data_docs_validation_result.png"), full_page=True)
        context.close()
        browser.close()

    assert remote == []
    assert failed == []
