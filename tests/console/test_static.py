"""The web console's files: served with a strict CSP, nothing fetched from elsewhere, no HTML sinks for text."""

from __future__ import annotations

import re

from bot.console.routes import STATIC
from tests.console.harness import Console

SINKS = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(")


def test_no_script_writes_html_and_nothing_comes_from_elsewhere() -> None:
    files = sorted(STATIC.iterdir())
    assert {path.name for path in files} >= {"index.html", "console.css", "app.js"}
    for path in files:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".js":
            assert not SINKS.search(text), path.name
        # Links to OpenStreetMap are built for the operator to open; nothing is loaded from another host.
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), path.name
        assert "<script>" not in text and " on" + "click=" not in text, path.name  # no inline script (CSP)


async def test_the_console_is_served_with_security_headers(console: Console) -> None:
    http = console.client()
    redirect = await http.get("/console")
    assert redirect.status_code == 308 and redirect.headers["location"] == "/console/"
    page = await http.get("/console/")
    assert page.status_code == 200 and "Cầu Nối" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    script = await http.get("/console/app.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
