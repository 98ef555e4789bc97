"""Entry script of `mau dashboard`: page navigation and the "nothing published yet" gate.

Streamlit runs this file as a script, so imports are absolute (`dashboards` is installed).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboards import data

PAGES_DIR = Path(__file__).parent / "pages"

st.set_page_config(page_title="MAU warehouse", page_icon=":bar_chart:", layout="wide")

page = st.navigation(
    [st.Page(PAGES_DIR / "usage.py", title="MAU by tenant", icon=":material/groups:")]
)

# Every page reads the published file; before the first successful run there is none.
if data.serving_version() is None:
    st.title(page.title)
    st.info("No published figures yet: run `mau run` or `mau demo`")
else:
    page.run()
