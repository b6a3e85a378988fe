"""Headless Chromium over the Chrome DevTools Protocol, for looking at a page as a person would.

    with Browser() as browser:
        page = browser.open(path_or_url)       # navigates and waits for the load event
        page.evaluate("document.title")        # a value from the page
        page.screenshot()                      # PNG bytes of the whole page
        page.visit.foreign_requests             # every request for anything but the page itself
        page.visit.errors                       # console errors, log errors, uncaught exceptions

Debian's `chromium` (/usr/bin/chromium; `make browser` installs it) runs headless with a fresh profile and
`--remote-debugging-port=0`; its port is read from the profile's DevToolsActivePort file. The client speaks
CDP over one websocket (the `websockets` library's synchronous client) with flattened sessions: every
command to the page carries its session id, and every event is recorded.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from websockets.sync.client import ClientConnection, connect

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
)
START_TIMEOUT_S = 30.0
CALL_TIMEOUT_S = 30.0
SETTLE_S = 0.3  # after the load event, how long to keep listening for late requests and messages
VIEWPORT = (1280, 900)


class BrowserError(RuntimeError):
    """Chromium did not start, a command failed, or an awaited event never came."""


def chromium_path() -> Path | None:
    found = CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")
    return Path(found) if found else None


@dataclass
class Visit:
    """What a page did while it loaded: what it asked the network for, and what went wrong."""

    url: str
    requests: list[str] = field(default_factory=list)
    console: list[tuple[str, str]] = field(default_factory=list)  # (level, text)
    log: list[tuple[str, str]] = field(default_factory=list)  # (level, text)
    exceptions: list[str] = field(default_factory=list)

    @property
    def foreign_requests(self) -> list[str]:
        return [url for url in self.requests if url != self.url]

    @property
    def errors(self) -> list[str]:
        return (
            [f"console.{level}: {text}" for level, text in self.console if level in ("error", "assert")]
            + [f"log {level}: {text}" for level, text in self.log if level == "error"]
            + [f"exception: {text}" for text in self.exceptions]
        )

    def record(self, method: str, params: dict[str, Any]) -> None:
        if method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"])
        elif method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            self.console.append((params["type"], text))
        elif method == "Log.entryAdded":
            entry = params["entry"]
            self.log.append((entry["level"], f"{entry.get('text', '')} {entry.get('url', '')}".strip()))
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            self.exceptions.append(details.get("exception", {}).get("description") or details.get("text", ""))


class Connection:
    """One CDP websocket: commands wait for their answer; events are kept until someone waits for them."""

    def __init__(self, url: str) -> None:
        self._ws: ClientConnection = connect(url, max_size=None, open_timeout=CALL_TIMEOUT_S)
        self._ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []
        self.listeners: dict[str, Visit] = {}  # session id -> the visit its events are recorded into

    def close(self) -> None:
        self._ws.close()

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        call_id = next(self._ids)
        message: dict[str, Any] = {"id": call_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self._ws.send(json.dumps(message))
        deadline = time.monotonic() + CALL_TIMEOUT_S
        while True:
            reply = self._receive(deadline, f"the answer to {method}")
            if reply.get("id") == call_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result

    def wait(self, method: str, session: str, timeout: float = CALL_TIMEOUT_S) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if event["method"] == method and event.get("sessionId") == session:
                    self.events.remove(event)
                    params: dict[str, Any] = event.get("params", {})
                    return params
            self._receive(deadline, method)

    def drain(self, seconds: float) -> None:
        """Keep receiving (and recording) events for `seconds`."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                self._handle(self._ws.recv(timeout=left))
            except TimeoutError:
                return

    def _receive(self, deadline: float, awaited: str) -> dict[str, Any]:
        left = deadline - time.monotonic()
        try:
            if left <= 0:
                raise TimeoutError
            return self._handle(self._ws.recv(timeout=left))
        except TimeoutError:
            raise BrowserError(f"no {awaited} within {CALL_TIMEOUT_S:g} s") from None

    def _handle(self, raw: str | bytes) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(raw)
        if "method" in message:
            visit = self.listeners.get(message.get("sessionId", ""))
            if visit is not None:
                visit.record(message["method"], message.get("params", {}))
            self.events.append(message)
        return message


class Page:
    def __init__(self, connection: Connection, session: str, visit: Visit) -> None:
        self._cdp = connection
        self.session = session
        self.visit = visit

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        return self._cdp.call(method, self.session, **params)

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression in the page (the page itself runs no script)."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self) -> bytes:
        """PNG bytes of the whole page, beyond the viewport."""
        size = self.call("Page.getLayoutMetrics")["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        shot = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True, clip=clip)
        return base64.b64decode(shot["data"])

    def print_pdf(self) -> bytes:
        return base64.b64decode(self.call("Page.printToPDF", printBackground=True)["data"])


class Browser:
    def __init__(self, binary: Path | None = None) -> None:
        found = binary or chromium_path()
        if found is None:
            raise BrowserError(f"no Chromium at {CHROMIUM}: `make browser` installs Debian's chromium")
        self.binary = found
        self._profile = Path(tempfile.mkdtemp(prefix="salesdq-chromium-"))
        self._process: subprocess.Popen[bytes] | None = None
        self._cdp: Connection | None = None

    def __enter__(self) -> Browser:
        stderr = (self._profile / "stderr.log").open("wb")
        self._process = subprocess.Popen(
            [str(self.binary), *FLAGS, f"--user-data-dir={self._profile / 'profile'}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        stderr.close()
        try:
            self._cdp = Connection(self._websocket_url())
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._cdp is not None:
            with contextlib.suppress(Exception):  # closing anyway: the process is ended below
                self._cdp.call("Browser.close")
            self._cdp.close()
        if self._process is not None:
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        shutil.rmtree(self._profile, ignore_errors=True)

    def open(self, target: Path | str, viewport: tuple[int, int] = VIEWPORT) -> Page:
        """A new tab showing `target` (a file or a URL), loaded: every event since its creation recorded."""
        if self._cdp is None:
            raise BrowserError("the browser is not started: use it in a with block")
        url = target.resolve().as_uri() if isinstance(target, Path) else target
        target_id = self._cdp.call("Target.createTarget", url="about:blank")["targetId"]
        session = self._cdp.call("Target.attachToTarget", targetId=target_id, flatten=True)["sessionId"]
        visit = Visit(url)
        self._cdp.listeners[session] = visit
        page = Page(self._cdp, session, visit)
        for domain in ("Page", "Runtime", "Log", "Network"):
            page.call(f"{domain}.enable")
        width, height = viewport
        page.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        navigation = page.call("Page.navigate", url=url)
        if navigation.get("errorText"):
            raise BrowserError(f"{url}: {navigation['errorText']}")
        self._cdp.wait("Page.loadEventFired", session)
        self._cdp.drain(SETTLE_S)
        return page

    def _websocket_url(self) -> str:
        """ws://127.0.0.1:PORT/devtools/browser/ID, from DevToolsActivePort once Chromium has written it."""
        active = self._profile / "profile" / "DevToolsActivePort"
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                log = (self._profile / "stderr.log").read_text(errors="replace")[-2000:]
                raise BrowserError(f"chromium exited with {self._process.returncode}: {log}")
            lines = active.read_text().split("\n") if active.exists() else []
            if len(lines) >= 2 and lines[0].strip().isdigit() and lines[1].strip():
                return f"ws://127.0.0.1:{lines[0].strip()}{lines[1].strip()}"
            time.sleep(0.05)
        raise BrowserError(f"chromium wrote no {active.name} within {START_TIMEOUT_S:g} s")
