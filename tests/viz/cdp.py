"""A minimal Chrome DevTools Protocol client (tornado websockets) for the browser tests.

Starts Debian's headless ``chromium`` on a URL with remote debugging, connects to the page
target and offers ``evaluate`` (JavaScript in the page) and ``screenshot``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any


class Browser:
    """Headless Chromium showing one page, driven over the DevTools protocol."""

    def __init__(self, chromium: str, url: str, profile: Path, width: int = 1500,
                 height: int = 1300, timeout: float = 60.0) -> None:
        profile.mkdir(parents=True, exist_ok=True)
        (profile / "DevToolsActivePort").unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-extensions", "--hide-scrollbars",
             "--remote-debugging-port=0", "--remote-allow-origins=*",
             f"--window-size={width},{height}", f"--user-data-dir={profile}", url],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)  # /usr/bin/chromium is a wrapper: end the whole group
        self.loop = asyncio.new_event_loop()
        self._id = 0
        try:
            port = self._devtools_port(profile, timeout)
            ws_url = self._page_target(port, timeout)
            from tornado.websocket import websocket_connect

            async def connect() -> Any:
                return await websocket_connect(ws_url, max_message_size=256 * 2**20)

            self.ws = self.loop.run_until_complete(connect())
        except BaseException:
            self.close()
            raise

    def _devtools_port(self, profile: Path, timeout: float) -> int:
        f = profile / "DevToolsActivePort"
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if f.is_file() and f.read_text().strip():
                return int(f.read_text().split()[0])
            if self.proc.poll() is not None:
                raise RuntimeError(f"chromium exited with status {self.proc.returncode}")
            time.sleep(0.2)
        raise TimeoutError("chromium did not open its DevTools port")

    def _page_target(self, port: int, timeout: float) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list",
                                            timeout=5) as r:
                    targets = json.load(r)
            except OSError:
                targets = []
            pages = [t for t in targets if t.get("type") == "page"]
            if pages:
                return str(pages[0]["webSocketDebuggerUrl"])
            time.sleep(0.2)
        raise TimeoutError("no page target in chromium")

    def call(self, method: str, timeout: float = 60.0, **params: Any) -> dict[str, Any]:
        """Send one DevTools command and return its result."""
        self._id += 1
        msg_id = self._id
        message = json.dumps({"id": msg_id, "method": method, "params": params})

        async def send() -> None:
            await self.ws.write_message(message)

        self.loop.run_until_complete(send())
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no answer to {method}")
            raw = self.loop.run_until_complete(self._read(left))
            if raw is None:
                raise ConnectionError("DevTools connection closed")
            msg = json.loads(raw)
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return dict(msg.get("result", {}))

    async def _read(self, timeout: float) -> Any:
        return await asyncio.wait_for(self.ws.read_message(), timeout)

    def evaluate(self, expression: str) -> Any:
        """Value of a JavaScript expression in the page (promises awaited)."""
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                      awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"JavaScript error: {r['exceptionDetails']}")
        return r.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float, poll: float = 0.25) -> Any:
        """Poll ``expression`` until it is truthy; return its value."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(poll)
        raise TimeoutError(f"timed out waiting for: {expression}")

    def screenshot(self, path: Path) -> Path:
        """PNG of the whole page."""
        metrics = self.call("Page.getLayoutMetrics")
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        shot = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                         clip={"x": 0, "y": 0, "width": size["width"],
                               "height": size["height"], "scale": 1})
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def close(self) -> None:
        ws = getattr(self, "ws", None)
        if ws is not None:
            async def close_ws() -> None:
                ws.close()

            self.loop.run_until_complete(close_ws())
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=10)
                time.sleep(0.5)  # let the browser's children leave the group
            except subprocess.TimeoutExpired:
                pass
        self.loop.close()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
