"""Drive the apt Debian chromium headless over the DevTools protocol (CDP), no browser downloads.

Usage (inside an async test)::

    with Chromium() as browser:
        page = await browser.page()
        await page.goto("http://127.0.0.1:8802/?me=pmc0001")
        await page.wait_for("document.querySelectorAll('.msg').length > 0")
        await page.type("#text", "你好")
        await page.press_enter()
        await page.click("button.card-btn")
        await page.close()

``wait_for`` polls a JS expression with a deadline; ``evaluate`` returns JSON values.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import websockets
from typing_extensions import Self

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--mute-audio", "--remote-allow-origins=*",
    "--window-size=1280,900",
]


class BrowserError(RuntimeError):
    pass


def chromium_available(binary: str = CHROMIUM) -> bool:
    return Path(binary).exists() or shutil.which("chromium") is not None


class Chromium:
    """A headless chromium process with remote debugging on a port it picks itself."""

    def __init__(self, binary: str = CHROMIUM, *, start_timeout_s: float = 20.0) -> None:
        self.binary = binary if Path(binary).exists() else (shutil.which("chromium") or binary)
        self.start_timeout_s = start_timeout_s
        self._profile: tempfile.TemporaryDirectory | None = None
        self.process: subprocess.Popen | None = None
        self.http_url = ""

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        # chromium's helper processes may still write the profile for a moment after it exits
        self._profile = tempfile.TemporaryDirectory(prefix="dingk3-chromium-", ignore_cleanup_errors=True)
        profile = Path(self._profile.name)
        self.process = subprocess.Popen(
            [self.binary, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,  # its zygote/renderer/crashpad children go with it on stop()
        )
        deadline = time.monotonic() + self.start_timeout_s
        port_file = profile / "DevToolsActivePort"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BrowserError(f"chromium exited with {self.process.returncode}")
            if port_file.exists() and port_file.read_text().strip():
                self.http_url = f"http://127.0.0.1:{port_file.read_text().splitlines()[0]}"
                return
            time.sleep(0.05)
        raise BrowserError("chromium did not open its DevTools port")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        if self.process:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)  # stragglers of the group
        if self._profile:
            self._profile.cleanup()

    async def page(self) -> Page:
        """Attach to the first open page (the about:blank we started with)."""
        async with httpx.AsyncClient() as client:
            deadline = time.monotonic() + self.start_timeout_s
            while True:
                targets = (await client.get(f"{self.http_url}/json/list")).json()
                pages = [t for t in targets if t.get("type") == "page"]
                if pages:
                    break
                if time.monotonic() > deadline:
                    raise BrowserError("no page target")
                await asyncio.sleep(0.05)
        page = Page(pages[0]["webSocketDebuggerUrl"])
        await page.connect()
        return page


class Page:
    def __init__(self, ws_url: str) -> None:
        self.ws_url = ws_url
        self._ws = None
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future] = {}
        self.events: list[dict] = []
        self.console: list[str] = []
        self._reader: asyncio.Task | None = None

    async def connect(self) -> None:
        self._ws = await websockets.connect(self.ws_url, max_size=None)
        self._reader = asyncio.ensure_future(self._read())
        await self.send("Page.enable")
        await self.send("Runtime.enable")

    async def _read(self) -> None:
        async for raw in self._ws:
            message = json.loads(raw)
            if "id" in message and message["id"] in self._waiting:
                self._waiting.pop(message["id"]).set_result(message)
            else:
                self.events.append(message)
                if message.get("method") == "Runtime.consoleAPICalled":
                    args = message["params"].get("args", [])
                    self.console.append(" ".join(str(a.get("value", a.get("description", ""))) for a in args))
                elif message.get("method") == "Runtime.exceptionThrown":
                    self.console.append("EXCEPTION " + json.dumps(message["params"]["exceptionDetails"])[:500])

    async def send(self, method: str, timeout_s: float = 15.0, **params) -> dict:
        request_id = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        await self._ws.send(json.dumps({"id": request_id, "method": method, "params": params}))
        message = await asyncio.wait_for(future, timeout_s)
        if "error" in message:
            raise BrowserError(f"{method}: {message['error']}")
        return message.get("result", {})

    async def goto(self, url: str, timeout_s: float = 15.0) -> None:
        await self.send("Page.navigate", url=url)
        await self.wait_for("document.readyState === 'complete' && location.href !== 'about:blank'", timeout_s)

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"JS error: {result['exceptionDetails'].get('text')} in {expression[:80]}")
        return result.get("result", {}).get("value")

    async def wait_for(self, expression: str, timeout_s: float = 10.0, interval_s: float = 0.1) -> Any:
        """Poll a JS expression until it is truthy; returns its value."""
        deadline = time.monotonic() + timeout_s
        while True:
            value = await self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"timed out waiting for {expression!r}; console: {self.console[-5:]}")
            await asyncio.sleep(interval_s)

    async def click(self, selector: str) -> None:
        found = await self.evaluate(
            f"(() => {{ const el = document.querySelector({json.dumps(selector)}); if (!el) return false;"
            f" el.scrollIntoView(); el.click(); return true; }})()"
        )
        if not found:
            raise BrowserError(f"no element {selector}")

    async def type(self, selector: str, text: str) -> None:
        """Focus the element and insert text like a keyboard/IME would."""
        await self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        await self.send("Input.insertText", text=text)

    async def press_enter(self) -> None:
        for kind in ("keyDown", "keyUp"):
            await self.send("Input.dispatchKeyEvent", type=kind, key="Enter", code="Enter",
                            windowsVirtualKeyCode=13, nativeVirtualKeyCode=13)

    async def text_of(self, selector: str) -> list[str]:
        return await self.evaluate(
            f"Array.from(document.querySelectorAll({json.dumps(selector)})).map(e => e.innerText)"
        )

    async def screenshot(self, path: Path) -> Path:
        import base64

        data = await self.send("Page.captureScreenshot", format="png")
        Path(path).write_bytes(base64.b64decode(data["data"]))
        return Path(path)

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
