"""The dashboards as a person uses them: the real Streamlit server in real headless Chromium.

`make test` installs Debian's chromium (`make browser`); Playwright drives it. Every
page is opened after signing in, its key figures are checked against the published
serving file, and a screenshot of each is kept under test-artifacts/screenshots/.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import MAU, STAFF, free_port, mau_env, tenant_user, wait_until_healthy
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright
from test_dashboard import projected_over_home

pytestmark = pytest.mark.slow

SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
# Streamlit scrolls inside its own container: a tall window makes a screenshot whole.
WINDOW = {"width": 1400, "height": 2400}


def serve(home: Path) -> Iterator[str]:
    """`mau dashboard` serving one home, as a user would start it."""
    port = free_port()
    server = subprocess.Popen(
        [MAU, "dashboard", "--port", str(port)],
        env=mau_env(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}/_stcore/health", server)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def dashboard_url(dashboard_home: Path) -> Iterator[str]:
    """The published fixture home."""
    yield from serve(dashboard_home)


@pytest.fixture(scope="module")
def projected_over(
    dashboard_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path, Any]]:
    """The fixture home with one tenant's month open and projected over its limit."""
    home, row = projected_over_home(dashboard_home, tmp_path_factory.mktemp("projected_over"))
    for url in serve(home):
        yield url, home, row


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = os.environ.get("MAU_TEST_CHROMIUM") or shutil.which("chromium")
    assert executable, "Debian's chromium is missing: `make browser` installs it"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=WINDOW)
    context.set_default_timeout(60_000)
    yield context.new_page()
    context.close()


def sign_in(page: Page, url: str, who: tuple[str, str]) -> None:
    page.goto(url)
    page.get_by_label("Username").fill(who[0])
    page.get_by_label("Password", exact=True).fill(who[1])
    page.get_by_role("button", name="Sign in").click()


def heading(page: Page, title: str) -> None:
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()


def metric(page: Page, label: str) -> Locator:
    """A metric's value; `expect(...).to_have_text` waits for Streamlit's rerun to land."""
    box = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    return box.get_by_test_id("stMetricValue")


def choose(page: Page, label: str, option: str) -> None:
    """Pick an option of a Streamlit selectbox the way a person does: open it, click."""
    page.get_by_test_id("stSelectbox").filter(has_text=label).click()
    page.get_by_role("option", name=option, exact=True).click()


def settle(page: Page) -> None:
    """Wait until Streamlit has finished rerunning the page (its status widget is gone)."""
    page.wait_for_timeout(300)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)


def keep_screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def warehouse(home: Path, sql: str, **params: object) -> list[tuple[object, ...]]:
    with duckdb.connect(str(home / "warehouse" / "serving.duckdb"), read_only=True) as con:
        return con.execute(sql, params).fetchall()


def busiest_month(home: Path) -> dt.date:
    [(month,)] = warehouse(
        home,
        "select month from marts.fct_tenant_monthly_usage group by month "
        "order by sum(mau) desc limit 1",
    )
    return month


def test_staff_sign_in_and_open_every_page(
    page: Page, dashboard_url: str, dashboard_home: Path
) -> None:
    month = busiest_month(dashboard_home)
    label = f"{month:%B %Y}"

    sign_in(page, dashboard_url, STAFF)
    heading(page, "My usage")
    expect(page.get_by_text(f"Signed in as {STAFF[0]} (all tenants)")).to_be_visible()
    [(tenant_id, tenant_name, mau)] = warehouse(
        dashboard_home,
        "select tenant_id, tenant_name, mau from marts.fct_tenant_monthly_usage "
        "where month = $m and mau_limit is not null order by mau desc limit 1",
        m=month,
    )
    choose(page, "Tenant", f"{tenant_name} ({tenant_id})")
    settle(page)
    choose(page, "Month", label)
    settle(page)
    heading(page, f"{tenant_name} · {label}")
    expect(metric(page, "MAU")).to_have_text(f"{mau:,}")
    # The month has ended: final figures, day by day, no projection.
    heading(page, "Day by day")
    expect(metric(page, "Projected at month end")).to_have_count(0)
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(4)
    assert re.search(rf"tenant={tenant_id}\b", page.url)
    keep_screenshot(page, "my-usage")

    page.get_by_role("link", name="Fleet limits").click()
    heading(page, "Fleet limits")
    choose(page, "Month", label)
    settle(page)
    [(tenants, total, over)] = warehouse(
        dashboard_home,
        "select count(*), sum(mau), count(*) filter (where status = 'over') "
        "from marts.fct_tenant_monthly_usage where month = $m",
        m=month,
    )
    expect(metric(page, "Tenants")).to_have_text(f"{tenants:,}")
    expect(metric(page, "Total MAU")).to_have_text(f"{total:,}")
    expect(metric(page, "Over limit")).to_have_text(f"{over:,}")
    expect(page.get_by_role("button", name="Download tenants (CSV)")).to_be_visible()
    keep_screenshot(page, "fleet-limits")

    page.get_by_role("link", name="Billing").click()
    heading(page, "Billing")
    choose(page, "Month", label)
    settle(page)
    [(amount, eligible)] = warehouse(
        dashboard_home,
        "select sum(amount_due_usd), count(*) filter (where invoice_eligible) "
        "from marts.fct_tenant_monthly_usage where month = $m",
        m=month,
    )
    expect(metric(page, "Amount due")).to_have_text(f"${amount:,.2f}")
    expect(metric(page, "Invoice-eligible tenants")).to_have_text(f"{eligible:,}")
    heading(page, "Trials ending and converting")
    keep_screenshot(page, "billing")

    page.get_by_role("link", name="Data health").click()
    heading(page, "Data health")
    expect(page.get_by_text("data-quality suites passed.")).to_be_visible()
    [(duplicates,)] = warehouse(
        dashboard_home, "select count(*) from marts.fct_duplicate_events where copy_rank > 1"
    )
    expect(metric(page, "Duplicate copies")).to_have_text(f"{duplicates:,}")
    keep_screenshot(page, "data-health")


def test_a_tenant_user_sees_only_their_tenant_in_the_browser(
    page: Page, dashboard_url: str, dashboard_home: Path
) -> None:
    tenants = warehouse(dashboard_home, "select tenant_id, tenant_name from marts.dim_tenants")
    [(own, own_name, _)] = warehouse(
        dashboard_home,
        "select tenant_id, tenant_name, mau from marts.fct_tenant_monthly_usage "
        "where month = $m order by mau desc limit 1",
        m=busiest_month(dashboard_home),
    )
    others = [(tenant_id, name) for tenant_id, name in tenants if tenant_id != own]

    sign_in(page, dashboard_url, tenant_user(own))
    heading(page, "My usage")
    expect(page.get_by_text(f"Signed in as {tenant_user(own)[0]} (tenant {own})")).to_be_visible()
    assert page.get_by_role("heading", name=re.compile(re.escape(own_name))).count() == 1
    for staff_page in ("Fleet limits", "Billing", "Data health"):
        expect(page.get_by_role("link", name=staff_page)).to_have_count(0)
    expect(page.get_by_test_id("stSelectbox").filter(has_text="Tenant")).to_have_count(0)
    # The page's last section is on screen: everything above it has rendered.
    heading(page, "Alerts")
    settle(page)
    keep_screenshot(page, "my-usage-tenant")

    body = page.inner_text("body")
    for tenant_id, name in others:
        assert tenant_id not in body and name not in body

    # A link to another tenant's usage, or to a staff page, shows nothing of it.
    other_id = others[0][0]
    sign_in(page, f"{dashboard_url}/my_usage?tenant={other_id}", tenant_user(own))
    expect(page.get_by_text("You can only see your own workspace's usage.")).to_be_visible()
    expect(page.get_by_test_id("stMetric")).to_have_count(0)
    sign_in(page, f"{dashboard_url}/billing", tenant_user(own))
    heading(page, "My usage")
    heading(page, "Alerts")
    settle(page)
    body = page.inner_text("body")
    # Tenants see their own amount due on My usage; nothing of the staff Billing page.
    assert "Invoice-eligible tenants" not in body and "Amount due by month" not in body
    for tenant_id, name in others:
        assert tenant_id not in body and name not in body


PHONE = {"width": 390, "height": 844}


def test_on_a_phone_choosing_a_page_closes_the_sidebar(
    browser: Browser, dashboard_url: str
) -> None:
    # A phone-sized window with a desktop browser's user agent: Streamlit itself closes
    # the sidebar only for a user agent it takes for a phone.
    context = browser.new_context(viewport=PHONE)
    context.set_default_timeout(60_000)
    page = context.new_page()
    try:
        sign_in(page, dashboard_url, STAFF)
        heading(page, "My usage")
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar).to_have_attribute("data-collapsed", "true")
        page.get_by_test_id("stExpandSidebarButton").click()
        expect(sidebar).to_have_attribute("data-collapsed", "false")

        page.get_by_role("link", name="Fleet limits").click()
        heading(page, "Fleet limits")
        expect(sidebar).to_have_attribute("data-collapsed", "true")
        settle(page)
        keep_screenshot(page, "phone-fleet-limits")
    finally:
        context.close()


def test_a_tenant_projected_over_its_limit_is_shown_as_such(
    page: Page, projected_over: tuple[str, Path, Any]
) -> None:
    url, home, row = projected_over
    label = f"{row['month']:%B %Y}"

    sign_in(page, url, tenant_user(row["tenant_id"]))
    heading(page, "My usage")
    choose(page, "Month", label)
    settle(page)
    expect(
        page.get_by_text(
            f"At this pace you are likely to pass your {row['mau_limit']:,} MAU limit this "
            f"month: projected {row['projected_mau_low']:,}–{row['projected_mau_high']:,} MAU"
        )
    ).to_be_visible()
    expect(metric(page, "Projected at month end")).to_have_text(f"{row['projected_mau']:,}")
    keep_screenshot(page, "my-usage-projected-over")

    sign_in(page, url, STAFF)
    heading(page, "My usage")
    page.get_by_role("link", name="Fleet limits").click()
    heading(page, "Fleet limits")
    choose(page, "Month", label)
    settle(page)
    [(projected_over,)] = warehouse(
        home,
        "select count(*) filter (where projected_status = 'over') "
        "from marts.fct_tenant_monthly_usage where month = $m",
        m=row["month"],
    )
    expect(metric(page, "Projected over")).to_have_text(f"{projected_over:,}")
    assert projected_over == 1
    keep_screenshot(page, "fleet-limits-projected-over")
