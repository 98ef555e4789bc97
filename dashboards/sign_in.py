"""Who is looking: sign-in with the users file, or through an OIDC provider (SPEC §7).

With the default ``MAU_DASHBOARD_SIGN_IN=password`` users sign in with a name and
password checked against the users file (`mau user add`). With ``oidc``,
Streamlit's built-in login (``st.login``, configured in ``.streamlit/secrets.toml``)
proves the e-mail address and the users file still decides the role and tenant.
The viewer is looked up again on every rerun, so removing a user or changing their
tenant takes effect at their next click.
"""

from __future__ import annotations

import math
import time

import streamlit as st

from mau_warehouse.config import load_settings
from mau_warehouse.users import (
    SignInThrottle,
    Viewer,
    authenticate,
    read_users,
    viewer_for_identity,
)

SESSION_KEY = "signed_in_username"


def _oidc() -> bool:
    return load_settings().dashboard_sign_in == "oidc"


@st.cache_resource
def _throttle() -> SignInThrottle:
    """One per server process, shared by every browser session."""
    return SignInThrottle()


def current_viewer() -> Viewer | None:
    """The signed-in viewer, or None. Raises MauError when the users file is unusable."""
    users_file = load_settings().dashboard_users_file
    # Validated on every run, signed in or not: a bad file stops the app, not one page.
    users = read_users(users_file)
    if _oidc():
        # The address must be one the provider verified, or anyone could claim it.
        if not st.user.is_logged_in or st.user.get("email_verified") is False:
            return None
        return viewer_for_identity(users_file, str(st.user.get("email", "")))
    username = st.session_state.get(SESSION_KEY)
    if username is None:
        return None
    entry = users.get(username)
    if entry is None:
        del st.session_state[SESSION_KEY]
        return None
    return Viewer(username=username, role=entry["role"], tenant_id=entry.get("tenant_id"))


def sign_in_page() -> None:
    st.title("Sign in")
    if _oidc():
        if st.user.is_logged_in:
            st.error(
                f"{st.user.get('email')} has no access to these dashboards yet: "
                "ask your administrator to add you."
            )
            st.button("Sign out", on_click=st.logout)
        else:
            st.button("Sign in with your company account", on_click=st.login, type="primary")
        return
    if not read_users(load_settings().dashboard_users_file):
        st.info("No dashboard users yet: add one with `mau user add NAME --role staff`.")
        return
    with st.form("sign_in"):
        username = st.text_input("Username", key="sign_in_username")
        password = st.text_input("Password", type="password", key="sign_in_password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        throttle, name = _throttle(), username.strip()
        if wait := throttle.seconds_blocked(name, time.monotonic()):
            st.error(f"Too many failed sign-ins: try again in {math.ceil(wait / 60)} minutes.")
            return
        viewer = authenticate(load_settings().dashboard_users_file, name, password)
        if viewer is None:
            throttle.failed(name, time.monotonic())
            st.error("Wrong username or password.")
        else:
            throttle.succeeded(name)
            st.session_state[SESSION_KEY] = viewer.username
            st.rerun()


def sign_out() -> None:
    if _oidc():
        st.logout()
    else:
        st.session_state.pop(SESSION_KEY, None)


def signed_in_viewer(staff_only: bool = False) -> Viewer:
    """The signed-in viewer; stops the page when there is none.

    The entry script only registers the pages a viewer may open, but each page asks
    again rather than trusting that it was reached through the entry script.
    """
    viewer = current_viewer()
    if viewer is None:
        st.warning("Please sign in.")
        st.stop()
    if staff_only and not viewer.is_staff:
        st.error("This page is for staff.")
        st.stop()
    return viewer
