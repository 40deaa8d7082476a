"""Driving the dashboard in headless chromium (tests/browser.py): sign in, phone width, screenshots."""

from __future__ import annotations

from pathlib import Path

from rasa_project.settings import PROJECT_ROOT

SHOTS = PROJECT_ROOT / "var" / "screenshots" / "web"  # test artifacts, never committed (var/ is ignored)


async def sign_in(page, base: str, username: str, password: str, *, next_path: str = "/") -> str:
    """Fill the sign-in form like a person and submit it; returns the URL the browser lands on."""
    await page.goto(f"{base}/login?next={next_path}")
    await page.type("#username", username)
    await page.type("#password", password)
    await page.click("#login-submit")
    await page.wait_for("document.readyState === 'complete' && !location.pathname.startsWith('/login') "
                        "|| !!document.querySelector('#login-error, #message')", timeout_s=20)
    return await page.evaluate("location.href")


async def phone(page, width: int = 390, height: int = 844) -> None:
    await page.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=True)


async def desktop(page, width: int = 1280, height: int = 900) -> None:
    await page.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)


async def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return await page.screenshot(SHOTS / f"{name}.png")


async def fits_width(page) -> bool:
    """Nothing wider than the viewport (no sideways scrolling of the page itself)."""
    return await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
