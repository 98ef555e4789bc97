"""Entry script of `mau dashboard`: sign-in, the pages a viewer may open, the publish gate.

Streamlit runs this file as a script, so imports are absolute (`dashboards` is installed).
A tenant user gets the "My usage" page only; staff get every page (SPEC §7). Pages a
viewer may not open are not registered at all, so their URLs lead nowhere.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboards import data
from dashboards.sign_in import current_viewer, sign_in_page, sign_out
from dashboards.widgets import NOT_PUBLISHED
from mau_warehouse.errors import MauError

# Not "pages": Streamlit would also serve a folder of that name by itself, around
# st.navigation and its sign-in.
PAGES_DIR = Path(__file__).parent / "views"

st.set_page_config(page_title="MAU warehouse", page_icon=":bar_chart:", layout="wide")

try:
    viewer = current_viewer()
except MauError as exc:
    st.error(str(exc))
    st.stop()

# (file, title, icon, staff only)
PAGES = [
    ("my_usage.py", "My usage", ":material/person:", False),
    ("fleet_limits.py", "Fleet limits", ":material/groups:", True),
    ("billing.py", "Billing", ":material/receipt_long:", True),
    ("data_health.py", "Data health", ":material/monitor_heart:", True),
]

if viewer is None:
    # Every page's address shows the sign-in form, so a bookmarked or shared link
    # (say /billing?month=…) opens that page once its visitor has signed in.
    sign_in = [st.Page(sign_in_page, title="Sign in", icon=":material/login:", default=True)]
    sign_in += [
        st.Page(sign_in_page, title="Sign in", url_path=Path(file).stem) for file, *_ in PAGES
    ]
    st.navigation(sign_in, position="hidden").run()
    st.stop()

page = st.navigation(
    [
        st.Page(PAGES_DIR / file, title=title, icon=icon)
        for file, title, icon, staff_only in PAGES
        if viewer.is_staff or not staff_only
    ]
)

# On a narrow screen the open sidebar covers the page. Streamlit closes it after a page
# is chosen only when the browser's user agent says "mobile"; a narrow window, or a phone
# asking for the desktop site, kept it open over the page just chosen. So it is closed by
# width, as Streamlit decides to start it collapsed (its "md" breakpoint, 768 px). The
# listener is installed once per browser tab and survives reruns and page switches.
CLOSE_SIDEBAR_ON_NARROW_SCREENS = """
<script>
if (!window.mauSidebarCloser) {
  window.mauSidebarCloser = true;
  document.addEventListener("click", (event) => {
    if (window.innerWidth > 768 || !event.target.closest('[data-testid="stSidebarNav"] a')) {
      return;
    }
    setTimeout(() => {
      const sidebar = document.querySelector('[data-testid="stSidebar"]');
      if (sidebar && sidebar.getAttribute("data-collapsed") === "false") {
        document.querySelector('[data-testid="stSidebarCollapseButton"] button')?.click();
      }
    }, 0);
  }, true);
}
</script>
"""

with st.sidebar:
    scope = "all tenants" if viewer.is_staff else f"tenant {viewer.tenant_id}"
    st.caption(f"Signed in as **{viewer.username}** ({scope})")
    st.button("Sign out", on_click=sign_out, icon=":material/logout:")
    st.html(CLOSE_SIDEBAR_ON_NARROW_SCREENS, unsafe_allow_javascript=True)

# Pages read the published file; before the first successful run there is none. Data
# health still opens: when the first run's checks fail, it is where to see why.
if data.serving_version() is None and page.url_path != "data_health":
    st.title(page.title)
    st.info(NOT_PUBLISHED)
else:
    page.run()
