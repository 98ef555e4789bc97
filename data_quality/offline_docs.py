"""The Data Docs without internet: their stylesheets, scripts and images served by the site.

Great Expectations writes pages that load Bootstrap, jQuery, bootstrap-table, Font
Awesome and Vega from CDNs and its logo from S3; on a machine without internet they
show as unstyled text. `make setup` installs those packages from the npm registry, at
the versions `data_quality/docs_assets/package-lock.json` pins; after every build
`localize_site` copies them into the site's `static/vendor/` and points every page at
the copies, so the site works from `mau docs` or straight from disk, offline.
"""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

# Installed by `make setup` in the checkout; an installed package without them keeps
# the CDN addresses (localize_site).
ASSETS_DIR = Path(__file__).resolve().parent / "docs_assets" / "node_modules"
VENDOR_DIR = "static/vendor/"

# Each address GX's page templates load -> the same file in its npm package, under
# node_modules (and, copied, under the site's static/vendor/). Where GX mixes versions
# the package-lock.json names one: bootstrap-table 1.19.1 for its 1.19.0 filter-control
# stylesheet, and popper.js 1.16.1 (the last 1.x; Bootstrap 4.3.1 wants ^1.14.7) for 1.12.9.
CDN_FILES: dict[str, str] = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": (
        "bootstrap/dist/css/bootstrap.min.css"
    ),
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": (
        "bootstrap/dist/js/bootstrap.min.js"
    ),
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/dist/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": (
        "popper.js/dist/umd/popper.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": (
        "bootstrap-table/dist/bootstrap-table.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": (
        "bootstrap-table/dist/bootstrap-table.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.css": (
        "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.css": (
        "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.js": (
        "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.min.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/"
    "bootstrap-datepicker.min.css": "bootstrap-datepicker/dist/css/bootstrap-datepicker.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/"
    "bootstrap-datepicker.min.js": "bootstrap-datepicker/dist/js/bootstrap-datepicker.min.js",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/"
    "bootstrap-prefers-dark.css": "@forevolve/bootstrap-dark/dist/css/bootstrap-prefers-dark.css",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
        "@fortawesome/fontawesome-free/css/all.min.css"
    ),
    # A bare jsdelivr package address serves the file its package.json names "jsdelivr".
    "https://cdn.jsdelivr.net/npm/vega@5": "vega/build/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega-lite/build/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega-embed/build/vega-embed.min.js",
}
# Folders a stylesheet above loads relative to itself: Font Awesome's fonts.
COMPANION_DIRS = ("@fortawesome/fontawesome-free/webfonts",)

# GX copies its light logo into the site's static/images/; the dark-mode logo exists on
# S3 only, so dark mode shows the light one too.
GX_IMAGES = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"
LOCAL_IMAGES = {"logo-long.png": "logo-long.png", "full_logo_dark.png": "logo-long.png"}

_TAG = re.compile(r"<(?:script|link)\b[^>]*>", re.IGNORECASE)
_CDN_URL = re.compile("|".join(re.escape(url) for url in sorted(CDN_FILES, key=len, reverse=True)))
# Integrity hashes name the CDN's bytes, and crossorigin makes a browser refuse a page
# opened from disk (its origin is opaque): neither means anything for a file of the site.
_CDN_ONLY_ATTRIBUTES = re.compile(r'\s+(?:integrity|crossorigin)="[^"]*"', re.IGNORECASE)
# GX appends "?d=<build time>" to the logo's address so browsers do not cache it.
_GX_IMAGE = re.compile(
    re.escape(GX_IMAGES)
    + "("
    + "|".join(re.escape(name) for name in LOCAL_IMAGES)
    + r")(?:\?[^\"'\s)]*)?"
)

log = logging.getLogger(__name__)


def localize_page(html: str, root: str) -> str:
    """The page with every CDN asset and GX image pointing into the site.

    `root` is the relative path from the page's folder to the site's root, e.g. "./"
    for index.html or "../../../../" for a validation result page.
    """

    def tag(match: re.Match[str]) -> str:
        text = match.group(0)
        local = _CDN_URL.sub(lambda url: root + VENDOR_DIR + CDN_FILES[url.group(0)], text)
        return text if local == text else _CDN_ONLY_ATTRIBUTES.sub("", local)

    html = _TAG.sub(tag, html)
    return _GX_IMAGE.sub(lambda image: root + "static/images/" + LOCAL_IMAGES[image.group(1)], html)


def _root_of(page: Path, site: Path) -> str:
    depth = len(page.relative_to(site).parts) - 1
    return "../" * depth or "./"


def localize_site(site: Path, assets: Path = ASSETS_DIR) -> None:
    """Copy the installed assets into the site and point its pages at them.

    Without the installed packages (`make setup` was not run) the pages keep their CDN
    addresses and still work online; a missing asset must not fail a validation run.
    """
    wanted = [assets / path for path in CDN_FILES.values()]
    wanted += [assets / folder for folder in COMPANION_DIRS]
    missing = [path for path in wanted if not path.exists()]
    if missing:
        log.warning(
            "the Data Docs load their stylesheets and scripts from CDNs: %s is missing "
            "(`make setup` installs the packages with npm)",
            missing[0],
        )
        return
    vendor = site / VENDOR_DIR
    for path in CDN_FILES.values():
        (vendor / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(assets / path, vendor / path)
    for folder in COMPANION_DIRS:
        shutil.copytree(assets / folder, vendor / folder, dirs_exist_ok=True)
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        local = localize_page(html, _root_of(page, site))
        if local != html:
            page.write_text(local, encoding="utf-8")
