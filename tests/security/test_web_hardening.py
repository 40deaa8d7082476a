"""The dashboard's hardening helpers (rasa_project/web/security.py), pure: where a sign-in may go
next, which origins may post a form, how an exported cell is neutralized, which headers every
answer carries. The same defences against the running app: tests/web/test_web_attacks.py, and
200+ tries per class in `make security` (devtools/security/attacks/web_pages.py)."""

from __future__ import annotations

import asyncio

import pytest

from rasa_project.web.security import CSP, SecurityHeaders, neutral_cell, safe_next, same_origin

OFF_SITE = ("https://evil.example/", "//evil.example", "/\\evil.example", "/\\/evil.example", "\\\\evil.example",
            "/\t/evil.example", "/\n/evil.example", "http:/evil.example", "javascript:alert(1)", " //evil.example",
            "///evil.example", "/%5C", "\\/evil.example", "", None, "orders", "/" + "a" * 3000)


@pytest.mark.parametrize("target", OFF_SITE)
def test_next_never_leaves_the_site(target):
    got = safe_next(target)
    assert got == "/" or (target == "/%5C" and got == target)  # an encoded backslash stays a path on this site


def test_paths_on_the_site_are_kept():
    for target in ("/", "/orders?q=P2025&sort=qty", "/orders/P20250401", "/approvals#cr-1"):
        assert safe_next(target) == target


def test_a_form_post_must_come_from_our_own_origin():
    own = ("http://127.0.0.1:8803",)
    assert same_origin("http://127.0.0.1:8803", None, own)
    assert same_origin(None, "http://127.0.0.1:8803/orders", own)
    assert same_origin(None, None, own)  # no browser headers at all: the CSRF token alone decides
    for origin in ("http://evil.example", "null", "http://127.0.0.1:8803.evil.example", "http://127.0.0.1:1",
                   "https://127.0.0.1:8803"):
        assert not same_origin(origin, "http://127.0.0.1:8803/", own), origin
    assert not same_origin(None, "http://evil.example/page", own)


@pytest.mark.parametrize("cell", ["=1+2", "+1+2", "-1+2", "@SUM(1)", "\t=1", "\r=1", "\uff1d1+2",
                                  "=HYPERLINK(\"http://evil.example\")", "=cmd|'/c calc'!A1"])
def test_a_cell_that_starts_like_a_formula_is_text(cell):
    assert neutral_cell(cell) == "'" + cell


def test_ordinary_cells_and_figures_are_unchanged():
    for cell in ("P20250401", "BOM-2050", "-5", "1,200", "2025-04-01", "", "冲压车间 (WC-01)"):
        assert neutral_cell(cell) == cell


def test_every_answer_carries_the_headers_and_data_is_not_cached():
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/html"), (b"cache-control", b"public, max-age=60")]})
        await send({"type": "http.response.body", "body": b"x"})

    def answer(path):
        sent = []

        async def send(message):
            sent.append(message)

        asyncio.run(SecurityHeaders(app)({"type": "http", "path": path}, None, send))
        return dict(sent[0]["headers"])

    page = answer("/orders")
    assert page[b"content-security-policy"] == CSP.encode()
    assert page[b"x-frame-options"] == b"DENY" and page[b"x-content-type-options"] == b"nosniff"
    assert page[b"referrer-policy"] == b"same-origin" and page[b"cache-control"] == b"no-store"
    assert answer("/static/app.js")[b"cache-control"] == b"public, max-age=60"  # assets may be cached
    script = next(d for d in CSP.split(";") if d.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script
    assert "frame-ancestors 'none'" in CSP
