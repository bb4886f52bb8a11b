"""End-to-end harness: the real bot (``aarhusai serve``) behind Microsoft's Teams emulator.

The Microsoft 365 Agents Playground (npm ``@microsoft/m365agentsplayground``, pinned in
``tests/e2e/playground``) plays Teams: it owns the conversations (a personal chat, a group chat, a
team with channels), turns what a user writes into Bot Framework activities for the bot, and is the
connector the bot posts its replies to. This module starts both programs on loopback, drives the
Playground through its own HTTP API (what its web UI uses) and records everything it reports on its
two websockets, so a test can wait for the bot's replies and look at the raw activities.

Everything is synchronous from a test's point of view (the websockets are read on a background
thread), so it works from plain pytest tests and next to Playwright's sync API. See
``tests/e2e/README.md`` for the Playground facts this relies on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlparse

import aiohttp
import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
PLAYGROUND_DIR = REPO_ROOT / "tests" / "e2e" / "playground"
PLAYGROUND_CLI = PLAYGROUND_DIR / "node_modules" / "@microsoft" / "m365agentsplayground" / "cli.js"
LOOPBACK_PRELOAD = PLAYGROUND_DIR / "loopback.js"
E2E_OUTPUT_DIR = REPO_ROOT / "test-output" / "e2e"

NPM_INSTALL = "npm ci --prefix tests/e2e/playground"
CHROMIUM_INSTALL = "apt-get install -y chromium"
PLAYWRIGHT_INSTALL = ".venv/bin/pip install playwright==1.65.2  (never `playwright install`)"
DEFAULT_CHROMIUM = "/usr/bin/chromium"

# Generous on purpose: the CI machines have 2 cores and the first turn warms the bot up.
START_TIMEOUT_S = 120.0
REPLY_TIMEOUT_S = 60.0
HTTP_TIMEOUT_S = 30.0

BOT_READY = re.compile(r"AarhusAI lytter på http://127\.0\.0\.1:(\d+)/api/messages")
PLAYGROUND_READY = re.compile(r"Listening on (\d+)")
# The log stream names the two ends of every exchange like this.
PLAYGROUND_SIDE = "Microsoft 365 Agents Playground"
BOT_SIDE = "User Application"
# The bot's error message ends with a reference that its log repeats as "(ref <id>)".
ERROR_REF = re.compile(r"\b([0-9a-f]{8})\.?\s*$")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost"})
CHROMIUM_ARGS = (
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)

T = TypeVar("T")


class MissingPrerequisite(RuntimeError):
    """Something the end-to-end tests need is not installed; the message names the install command."""


class HarnessError(AssertionError):
    """The bot or the Playground misbehaved; the message carries both programs' output tails."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- prerequisites


def node_executable() -> str:
    node = shutil.which("node")
    if not node:
        raise MissingPrerequisite("Node.js (20 or newer) is not on PATH; install it, then run " + NPM_INSTALL)
    return node


def check_playground_installed() -> None:
    node_executable()
    if not PLAYGROUND_CLI.is_file():
        raise MissingPrerequisite(
            f"the Agents Playground is not installed ({PLAYGROUND_CLI.relative_to(REPO_ROOT)} is missing); "
            f"run: {NPM_INSTALL}"
        )


def aarhusai_executable() -> str:
    beside = Path(sys.executable).with_name("aarhusai")
    if beside.is_file():
        return str(beside)
    found = shutil.which("aarhusai")
    if not found:
        raise MissingPrerequisite(
            "the `aarhusai` console script is not installed; run: .venv/bin/pip install -e ."
        )
    return found


def chromium_executable() -> str:
    path = os.environ.get("E2E_CHROMIUM", DEFAULT_CHROMIUM)
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        raise MissingPrerequisite(f"Chromium is not installed at {path}; run (as root): {CHROMIUM_INSTALL}")
    return path


def check_playwright_installed() -> None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        raise MissingPrerequisite(
            f"Playwright for Python is not installed; run: {PLAYWRIGHT_INSTALL}"
        ) from None


# --------------------------------------------------------------------------- processes


class ManagedProcess:
    """A child process in its own process group, its output kept (tail in memory, all in a file)."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str],
        log_path: Path,
        extra_log: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.cwd = cwd
        self.env = dict(env)
        self.log_path = log_path
        self.extra_log = extra_log  # a log file the program writes itself (the Playground does)
        self._lines: deque[str] = deque(maxlen=400)
        self._cond = threading.Condition()
        self._proc: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    def start(self) -> ManagedProcess:
        self._proc = subprocess.Popen(
            self.argv,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,  # its own process group: stop() reaches its children too
        )
        self._reader = threading.Thread(target=self._read, name=f"{self.name}-output", daemon=True)
        self._reader.start()
        return self

    def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        with self.log_path.open("a", encoding="utf-8") as log:
            for line in self._proc.stdout:
                log.write(line)
                log.flush()
                with self._cond:
                    self._lines.append(line.rstrip("\n"))
                    self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def wait_for_line(self, pattern: re.Pattern[str], timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while True:
            exited = not self.running()
            if exited and self._reader is not None:
                self._reader.join(5)  # everything it printed is in _lines now
            with self._cond:
                for line in self._lines:
                    match = pattern.search(line)
                    if match:
                        return match
                if exited:
                    raise HarnessError(
                        f"{self.name} exited with status {self._proc.poll() if self._proc else '?'} "
                        f"before printing /{pattern.pattern}/\n{self.tail()}"
                    )
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise HarnessError(
                        f"{self.name} did not print /{pattern.pattern}/ within {timeout:.0f} s\n{self.tail()}"
                    )
                self._cond.wait(min(remaining, 0.5))

    def output(self) -> str:
        """Everything the process printed so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.is_file() else ""

    def tail(self, lines: int = 40) -> str:
        with self._cond:
            out = list(self._lines)[-lines:]
        state = (
            "running" if self.running() else f"exited ({self._proc.poll() if self._proc else 'not started'})"
        )
        text = f"--- {self.name} (pid {self._proc.pid if self._proc else '-'}, {state}), last output ---\n"
        text += "\n".join(out) if out else "(no output)"
        if self.extra_log and self.extra_log.is_file():
            own = self.extra_log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
            text += f"\n--- {self.name}: {self.extra_log.name}, last lines ---\n" + "\n".join(own)
        return text

    def stop(self, grace_s: float = 15.0) -> None:
        """SIGTERM to the process group, SIGKILL after ``grace_s``; waits for the output reader."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(grace_s)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        # Anything the program started in its group (it should have none) goes with it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        if self._reader is not None:
            self._reader.join(10)


def listening_addresses(pid: int) -> list[tuple[str, int]]:
    """(address, port) of every TCP socket the process listens on, read from /proc (no `ss` needed)."""
    inodes: set[str] = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    found: list[tuple[str, int]] = []
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        with contextlib.suppress(FileNotFoundError):
            for row in Path(table).read_text().splitlines()[1:]:
                cols = row.split()
                if cols[3] != "0A" or cols[9] not in inodes:  # 0A = LISTEN
                    continue
                hex_addr, hex_port = cols[1].split(":")
                raw = bytes.fromhex(hex_addr)
                # /proc prints each 32-bit word in host (little-endian) order.
                raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
                found.append((socket.inet_ntop(family, raw), int(hex_port, 16)))
    return found


def assert_loopback_only(proc: ManagedProcess) -> list[tuple[str, int]]:
    addresses = listening_addresses(proc.pid)
    if not addresses:
        raise HarnessError(f"{proc.name} listens on no TCP port\n{proc.tail()}")
    outside = [a for a in addresses if a[0] != "127.0.0.1"]
    if outside:
        raise HarnessError(f"{proc.name} listens beyond 127.0.0.1: {outside}\n{proc.tail()}")
    return addresses


def _child_env(extra: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without the developer's AARHUSAI_* settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AARHUSAI_")}
    env.update(extra)
    return env


def start_bot(workdir: Path, env: Mapping[str, str] | None = None) -> tuple[ManagedProcess, int]:
    """``aarhusai serve --port 0`` in ``workdir`` (its own data dir, no .env), in local mode."""
    workdir.mkdir(parents=True, exist_ok=True)
    bot_env = _child_env(
        {
            "AARHUSAI_DATA_DIR": str(workdir / "data"),
            "AARHUSAI_INDEX_DIR": str(workdir / "indexes"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    bot_env.update(env or {})
    proc = ManagedProcess(
        "bot (aarhusai serve)",
        [aarhusai_executable(), "serve", "--host", "127.0.0.1", "--port", "0"],
        cwd=workdir,
        env=bot_env,
        log_path=workdir / "bot.log",
    ).start()
    try:
        port = int(proc.wait_for_line(BOT_READY, START_TIMEOUT_S).group(1))
        deadline = time.monotonic() + 30
        while httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code != 200:
            if time.monotonic() > deadline:
                raise HarnessError(f"the bot's /healthz does not answer 200\n{proc.tail()}")
            time.sleep(0.25)
    except BaseException:
        proc.stop()
        raise
    return proc, port


def start_playground_process(
    workdir: Path, app_endpoint: str, *, config_file: Path | None = None, attempts: int = 3
) -> tuple[ManagedProcess, int]:
    """The Playground on a free loopback port; restarted elsewhere if it silently moved ports."""
    check_playground_installed()
    workdir.mkdir(parents=True, exist_ok=True)
    log_file = workdir / "m365agentsplayground.log"
    env = _child_env(
        {
            "TEAMSAPPTESTER_BROWSER": "none",  # do not open a browser
            "APPLICATION_INSIGHTS_NO_STATSBEAT": "true",  # or it probes a cloud metadata address
            "M365_AGENTS_PLAYGROUND_LOGFILE": str(log_file),  # default: ./devTools/ in its cwd
        }
    )
    if config_file is not None:
        env["M365_AGENTS_PLAYGROUND_CONFIG_PATH"] = str(config_file)
    problems: list[str] = []
    for attempt in range(1, attempts + 1):
        port = free_port()
        proc = ManagedProcess(
            f"Agents Playground (port {port})",
            [
                node_executable(),
                "-r",
                str(LOOPBACK_PRELOAD),
                str(PLAYGROUND_CLI),
                "--app-endpoint",
                app_endpoint,
                "--channel-id",
                "msteams",
                "--port",
                str(port),
                # Explicit, so the bot never resolves "localhost" (the default) to ::1 first.
                "--service-url",
                f"http://127.0.0.1:{port}/_connector",
                "--disable-telemetry",
            ],
            cwd=workdir,  # it reads .m365agentsplayground.yml from its cwd: keep the repo's out
            env=env,
            log_path=workdir / f"playground-{attempt}.out",
            extra_log=log_file,
        ).start()
        try:
            reported = int(proc.wait_for_line(PLAYGROUND_READY, START_TIMEOUT_S).group(1))
            if reported == port:
                assert_loopback_only(proc)
                return proc, port
            # Port taken between free_port() and its bind: it moved, but the service URL did not.
            problems.append(f"attempt {attempt}: asked for port {port}, it listens on {reported}")
        except BaseException:
            proc.stop()
            raise
        proc.stop()
    raise HarnessError("the Playground never got the port it was given: " + "; ".join(problems))


# --------------------------------------------------------------------------- what the Playground reports


@dataclass(frozen=True)
class Exchange:
    """One activity through the Playground, from its log stream: what was sent, and the HTTP answer."""

    seq: int
    to_bot: bool  # True: Playground -> bot (POST /api/messages); False: bot -> Playground's connector
    name: str  # the log's activityName: message, typing, invoke, conversationUpdate, ...
    conversation_id: str
    activity: dict[str, Any]
    status: int | None
    response_body: Any
    raw: dict[str, Any]

    @property
    def type(self) -> str | None:
        return self.activity.get("type")

    @property
    def text(self) -> str:
        return self.activity.get("text") or ""

    @property
    def id(self) -> str | None:
        """The activity id (for bot messages: the id the connector assigned)."""
        if self.activity.get("id"):
            return self.activity["id"]
        body = self.response_body
        return body.get("id") if isinstance(body, dict) else None

    @property
    def reply_to_id(self) -> str | None:
        return self.activity.get("replyToId")

    @property
    def entities(self) -> list[dict[str, Any]]:
        return list(self.activity.get("entities") or [])


@dataclass(frozen=True)
class UiEvent:
    """One event from the conversation stream: what the Playground's UI shows (bot messages, updates)."""

    seq: int
    action: str
    conversation_id: str
    message: dict[str, Any]
    raw: dict[str, Any]


@dataclass(frozen=True)
class Sent:
    """A message a user posted through the Playground."""

    posted_to: str  # the conversation id the message was posted to
    conversation_id: str  # where it lives, and where replies come: a channel post opens a thread
    message_id: str
    text: str
    mark: int  # stream position just before sending: only later events can belong to it


class StreamRecorder:
    """Reads both Playground websockets on a background thread and keeps every event in order.

    The Playground broadcasts each event to all connected clients (and buffers them while none is
    connected), so this recorder sees exactly what its web UI sees.
    """

    def __init__(self, ws_base: str, on_wait: Callable[[], None] | None = None) -> None:
        self.ws_base = ws_base
        self.exchanges: list[Exchange] = []
        self.ui_events: list[UiEvent] = []
        self.texts: list[str] = []  # the log stream's plain text lines
        self.error: str | None = None
        self._seq = 0
        self._cond = threading.Condition()
        self._connected = threading.Event()
        self._on_wait = on_wait
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="playground-streams", daemon=True)

    def start(self, timeout: float = 30.0) -> StreamRecorder:
        self._thread.start()
        if not self._connected.wait(timeout) or self.error:
            raise HarnessError(
                f"could not subscribe to the Playground's websockets: {self.error or 'timeout'}"
            )
        return self

    def close(self) -> None:
        if self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(15)

    @property
    def mark(self) -> int:
        with self._cond:
            return self._seq

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main())
        finally:
            self._loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        paths = ("/_ws/log/stream", "/_ws_conversation/v1/conversations/stream")
        async with aiohttp.ClientSession() as session:
            try:
                sockets = [await session.ws_connect(self.ws_base + p, max_msg_size=64 * 2**20) for p in paths]
            except Exception as exc:
                self.error = f"{type(exc).__name__}: {exc}"
                self._connected.set()
                return
            self._connected.set()
            readers = [
                asyncio.create_task(self._read(ws, path)) for ws, path in zip(sockets, paths, strict=True)
            ]
            stop = asyncio.create_task(self._stop.wait())
            await asyncio.wait([stop, *readers], return_when=asyncio.FIRST_COMPLETED)
            for task in [stop, *readers]:
                task.cancel()
            for ws in sockets:
                await ws.close()

    async def _read(self, ws: aiohttp.ClientWebSocketResponse, path: str) -> None:
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                try:
                    self._add(path, json.loads(msg.data))
                except (ValueError, KeyError, TypeError) as exc:
                    self._add_text(f"unparsed frame on {path} ({exc}): {msg.data[:500]}")
            elif msg.type == aiohttp.WSMsgType.ERROR:
                break
        if self._stop is not None and not self._stop.is_set():
            with self._cond:
                self.error = f"the Playground closed {path}"
                self._cond.notify_all()

    def _add_text(self, text: str) -> None:
        with self._cond:
            self.texts.append(text)

    def _add(self, path: str, data: dict[str, Any]) -> None:
        with self._cond:
            self._seq += 1
            seq = self._seq
            if path.startswith("/_ws/log"):
                log = data.get("log") or {}
                if "activityName" in log:
                    request = log.get("request") or {}
                    response = log.get("response") or {}
                    activity = request.get("body") if isinstance(request.get("body"), dict) else {}
                    self.exchanges.append(
                        Exchange(
                            seq=seq,
                            to_bot=log.get("from") == PLAYGROUND_SIDE,
                            name=log.get("activityName", ""),
                            conversation_id=log.get("conversationId")
                            or (activity.get("conversation") or {}).get("id", ""),
                            activity=activity,
                            status=response.get("statusCode"),
                            response_body=response.get("body"),
                            raw=log,
                        )
                    )
                else:
                    self.texts.append(str(log.get("displayText", data)))
            else:
                self.ui_events.append(
                    UiEvent(
                        seq=seq,
                        action=data.get("action", ""),
                        conversation_id=data.get("actionConversationId", ""),
                        message=data.get("message") or {},
                        raw=data,
                    )
                )
            self._cond.notify_all()

    def wait(
        self,
        find: Callable[[], T | None],
        timeout: float,
        what: str,
        describe: Callable[[], str],
        pump: Callable[[float], None] | None = None,
    ) -> T:
        """Return ``find()`` once it is truthy; raise with diagnostics after ``timeout`` seconds.

        ``pump(seconds)`` replaces the idle wait when the calling thread must keep serving something
        else meanwhile (Playwright's sync API runs its route handlers only inside its own calls)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._cond:
                seen = self._seq
                result = find()
                if result:
                    return result
                if self.error:
                    raise HarnessError(f"waiting for {what}: {self.error}\n{describe()}")
            if self._on_wait is not None:
                self._on_wait()  # raises when the bot or the Playground died
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise HarnessError(f"timed out after {timeout:.0f} s waiting for {what}\n{describe()}")
            if pump is not None:
                pump(min(remaining, 0.2))
                continue
            with self._cond:
                if self._seq == seen:  # nothing arrived since find() looked
                    self._cond.wait(min(remaining, 0.5))


# --------------------------------------------------------------------------- the Playground, driven


@dataclass
class Playground:
    """A running Playground with its HTTP API, the conversations it mocks, and what it reported."""

    process: ManagedProcess
    port: int
    related: list[ManagedProcess] = field(default_factory=list)  # their tails go into error messages
    config: dict[str, Any] = field(default_factory=dict)
    recorder: StreamRecorder | None = None
    _http: httpx.Client | None = None
    _pump: Callable[[float], None] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ---- lifecycle

    def connect(self) -> Playground:
        self._http = httpx.Client(base_url=self.base_url, timeout=HTTP_TIMEOUT_S)
        self.recorder = StreamRecorder(f"ws://127.0.0.1:{self.port}", on_wait=self._check_alive).start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                response = self._http.get("/_internal/v1/config")
                if response.status_code == 200:
                    self.config = response.json()["config"]
                    return self
                problem = f"HTTP {response.status_code}: {response.text[:300]}"
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            if time.monotonic() > deadline:
                raise HarnessError(f"GET /_internal/v1/config failed: {problem}\n{self.diagnostics()}")
            time.sleep(0.5)

    def close(self) -> None:
        if self.recorder is not None:
            self.recorder.close()
        if self._http is not None:
            self._http.close()

    def explain(self, reply: Exchange, lines: int = 30) -> str:
        """The reply's text and, when it carries an error reference ("... id 1d2dea37."), the bot's own
        log around that reference (its traceback), for assertion messages."""
        text = f"the bot said: {reply.text!r}"
        ref = ERROR_REF.search(reply.text)
        if not ref:
            return text
        for proc in [*self.related, self.process]:
            output = proc.output().splitlines()
            hits = [i for i, line in enumerate(output) if f"ref {ref.group(1)}" in line]
            if hits:
                block = output[hits[0] : hits[0] + lines]
                return f"{text}\n--- {proc.name}, around ref {ref.group(1)} ---\n" + "\n".join(block)
        return f"{text}\n(no output mentions ref {ref.group(1)})\n{self.diagnostics()}"

    def _check_alive(self) -> None:
        for proc in [self.process, *self.related]:
            if not proc.running():
                raise HarnessError(f"{proc.name} is no longer running\n{self.diagnostics()}")

    def diagnostics(self, events: int = 12) -> str:
        parts = [proc.tail() for proc in [self.process, *self.related]]
        if self.recorder is not None:
            with self.recorder._cond:
                recent = sorted(
                    [*self.recorder.exchanges[-events:], *self.recorder.ui_events[-events:]],
                    key=lambda e: e.seq,
                )[-events:]
            lines = [_describe(e) for e in recent]
            parts.append("--- last Playground stream events ---\n" + ("\n".join(lines) or "(none)"))
        return "\n".join(parts)

    # ---- what it mocks

    @property
    def bot(self) -> dict[str, Any]:
        return self.config["bot"]

    @property
    def user(self) -> dict[str, Any]:
        """The signed-in user (``currentUser``): the default sender."""
        return self.config["currentUser"]

    @property
    def personal_chat_id(self) -> str:
        return self.config["personalChat"]["id"]

    @property
    def group_chat_id(self) -> str:
        return self.config["groupChats"][0]["id"]

    @property
    def channels(self) -> list[dict[str, Any]]:
        """Every team channel, each with ``teamId``/``teamName`` added."""
        return [
            {**channel, "teamId": team["id"], "teamName": team["name"]}
            for team in self.config["teams"]
            for channel in team["channels"]
        ]

    def channel_id(self, name: str = "General") -> str:
        for channel in self.channels:
            if channel["name"] == name:
                return channel["id"]
        raise KeyError(f"no channel {name!r} in {[c['name'] for c in self.channels]}")

    # ---- sending

    def mark(self) -> int:
        assert self.recorder is not None
        return self.recorder.mark

    def send(
        self,
        conversation_id: str,
        text: str,
        *,
        mention_bot: bool = False,
        from_id: str | None = None,
        text_format: str = "plain",
    ) -> Sent:
        """Post a user message as the web UI does. ``mention_bot`` puts ``<at>Bot</at>`` first and adds
        the ``mentions`` entry: in group chats and channels the bot only gets mentioned messages.
        ``from_id`` must be a member of the conversation, but the activity the bot gets is always from the
        signed-in user (``user``); another sender needs ``send_custom_activity``."""
        assert self._http is not None
        body: dict[str, Any] = {
            "from": {"id": from_id or self.user["id"]},
            "text": text,
            "textFormat": text_format,
        }
        if mention_bot:
            at = f"<at>{self.bot['name']}</at>"
            body["text"] = f"{at} {text}"
            body["mentions"] = [{"mentioned": {"id": self.bot["id"]}, "text": at}]
        mark = self.mark()
        response = self._http.post(
            f"/_conversation/v1/conversations/{quote(conversation_id, safe='')}/messages", json=body
        )
        if response.status_code != 200:
            raise HarnessError(
                f"POST message to {conversation_id!r} gave HTTP {response.status_code}: "
                f"{response.text[:500]}\nbody: {body}\n{self.diagnostics()}"
            )
        answer = response.json()
        return Sent(
            posted_to=conversation_id,
            conversation_id=answer.get("postConversationId") or conversation_id,
            message_id=str(answer["messageId"]),
            text=body["text"],
            mark=mark,
        )

    def send_custom_activity(self, conversation_id: str, **fields: Any) -> tuple[str, int]:
        """Forward any activity to the bot (the UI's "Mock an Activity"): the Playground's template for the
        conversation, updated with ``fields``. Returns (activity id, mark)."""
        assert self._http is not None
        template = self._http.get(
            "/_internal/v1/customActivities/template", params={"conversationId": conversation_id}
        )
        if template.status_code != 200:
            raise HarnessError(
                f"customActivities/template: HTTP {template.status_code}: {template.text[:300]}"
            )
        activity = {**template.json(), **fields}
        mark = self.mark()
        response = self._http.post("/_internal/v1/customActivities", json=activity)
        if response.status_code >= 300:
            raise HarnessError(
                f"POST customActivities gave HTTP {response.status_code}: {response.text[:500]}\n"
                + self.diagnostics()
            )
        return activity["id"], mark

    def submit_card(
        self, conversation_id: str, card_message_id: str, value: dict[str, Any], *, from_id: str | None = None
    ) -> int:
        """Press an Adaptive Card's ``Action.Submit`` as the web UI does (``POST /_conversation/v1/submit``):
        the bot gets a ``message`` with ``value`` and ``replyToId`` = the card's message. Unlike ``send``,
        the Playground takes ``from_id`` as the sender here. Returns the mark before submitting."""
        assert self._http is not None
        body = {
            "conversation": {"id": conversation_id},
            "from": {"id": from_id or self.user["id"]},
            "replyToId": card_message_id,
            "value": value,
        }
        mark = self.mark()
        response = self._http.post("/_conversation/v1/submit", json=body)
        if response.status_code != 200:
            raise HarnessError(
                f"POST submit gave HTTP {response.status_code}: {response.text[:500]}\nbody: {body}\n"
                + self.diagnostics()
            )
        return mark

    def invoke(
        self, conversation_id: str, name: str, value: dict[str, Any], *, from_id: str | None = None
    ) -> tuple[dict[str, Any], int]:
        """Send an ``invoke`` as the web UI does (``POST /_conversation/v1/invoke``), e.g. the thumbs
        up/down dialog's ``message/submitAction``. The Playground waits for the bot and answers with the
        bot's invoke response (``{"status": ...}``). Returns (that answer, the mark before invoking)."""
        assert self._http is not None
        body = {
            "name": name,
            "value": value,
            "from": {"id": from_id or self.user["id"]},
            "conversation": {"id": conversation_id},
        }
        mark = self.mark()
        response = self._http.post("/_conversation/v1/invoke", json=body)
        if response.status_code != 200:
            raise HarnessError(
                f"POST invoke gave HTTP {response.status_code}: {response.text[:500]}\nbody: {body}\n"
                + self.diagnostics()
            )
        return response.json(), mark

    # ---- reading what happened

    def exchanges(
        self, *, conversation_id: str | None = None, since: int = 0, to_bot: bool | None = None
    ) -> list[Exchange]:
        assert self.recorder is not None
        with self.recorder._cond:
            return [
                e
                for e in self.recorder.exchanges
                if e.seq > since
                and (conversation_id is None or e.conversation_id == conversation_id)
                and (to_bot is None or e.to_bot == to_bot)
            ]

    def bot_messages(self, conversation_id: str | None = None, since: int = 0) -> list[Exchange]:
        """Message activities the bot posted to the Playground's connector (typing etc. left out)."""
        return [
            e
            for e in self.exchanges(conversation_id=conversation_id, since=since, to_bot=False)
            if e.type == "message"
        ]

    def delivered(self, conversation_id: str | None = None, since: int = 0) -> list[Exchange]:
        """Activities the Playground delivered to the bot (with the bot's HTTP status)."""
        return self.exchanges(conversation_id=conversation_id, since=since, to_bot=True)

    def ui_events(self, conversation_id: str | None = None, since: int = 0) -> list[UiEvent]:
        assert self.recorder is not None
        with self.recorder._cond:
            return [
                e
                for e in self.recorder.ui_events
                if e.seq > since and (conversation_id is None or e.conversation_id == conversation_id)
            ]

    def _wait(self, find: Callable[[], T | None], timeout: float, what: str) -> T:
        assert self.recorder is not None
        return self.recorder.wait(find, timeout, what, self.diagnostics, self._pump)

    @contextlib.contextmanager
    def pumping(self, pump: Callable[[float], None]) -> Iterator[None]:
        """While inside, waits call ``pump(seconds)`` instead of sleeping. With Playwright's sync API
        use ``playground.pumping(lambda s: page.wait_for_timeout(s * 1000))``: its event and route
        handlers run only inside Playwright calls, so a plain sleep would stall the page."""
        previous, self._pump = self._pump, pump
        try:
            yield
        finally:
            self._pump = previous

    def _idle(self, seconds: float) -> None:
        if self._pump is not None:
            self._pump(seconds)
        else:
            time.sleep(seconds)

    def wait_for_bot_messages(
        self, conversation_id: str, count: int = 1, *, since: int = 0, timeout: float = REPLY_TIMEOUT_S
    ) -> list[Exchange]:
        """The first ``count`` bot messages in the conversation after ``since`` (waits for them)."""

        def find() -> list[Exchange] | None:
            found = self.bot_messages(conversation_id, since)
            return found[:count] if len(found) >= count else None

        return self._wait(find, timeout, f"{count} bot message(s) in {conversation_id!r}")

    def wait_for_delivery(
        self, conversation_id: str, text: str, *, since: int = 0, timeout: float = REPLY_TIMEOUT_S
    ) -> Exchange:
        """The message activity with ``text`` that the Playground delivered to the bot (logged once the
        bot has answered the POST)."""

        def find() -> Exchange | None:
            for e in self.delivered(conversation_id, since):
                if e.name == "message" and e.text == text:
                    return e
            return None

        return self._wait(find, timeout, f"delivery of {text!r} to the bot in {conversation_id!r}")

    def wait_for_exchange(
        self,
        name: str,
        conversation_id: str,
        *,
        to_bot: bool = True,
        since: int = 0,
        timeout: float = REPLY_TIMEOUT_S,
    ) -> Exchange:
        """The first activity named ``name`` (message, installationUpdate, ...) through the Playground."""

        def find() -> Exchange | None:
            for e in self.exchanges(conversation_id=conversation_id, since=since, to_bot=to_bot):
                if e.name == name:
                    return e
            return None

        direction = "to the bot" if to_bot else "from the bot"
        return self._wait(find, timeout, f"{name} {direction} in {conversation_id!r}")

    def wait_for_replies(
        self, sent: Sent, count: int = 1, *, timeout: float = REPLY_TIMEOUT_S
    ) -> list[Exchange]:
        """The bot's messages answering ``sent`` (matched by ``replyToId``)."""
        delivered = self.wait_for_delivery(sent.conversation_id, sent.text, since=sent.mark, timeout=timeout)
        return self.wait_for_replies_to(
            delivered.id or "", sent.conversation_id, count, since=sent.mark, timeout=timeout
        )

    def wait_for_replies_to(
        self,
        activity_id: str,
        conversation_id: str,
        count: int = 1,
        *,
        since: int = 0,
        timeout: float = REPLY_TIMEOUT_S,
    ) -> list[Exchange]:
        def find() -> list[Exchange] | None:
            found = [m for m in self.bot_messages(conversation_id, since) if m.reply_to_id == activity_id]
            return found[:count] if len(found) >= count else None

        return self._wait(
            find, timeout, f"{count} bot repl(y/ies) to activity {activity_id!r} in {conversation_id!r}"
        )

    def assert_silence(self, conversation_id: str, *, since: int, quiet_s: float = 3.0) -> None:
        """Wait ``quiet_s`` seconds; fail if the bot posted anything in the conversation after ``since``."""
        assert self.recorder is not None
        end = time.monotonic() + quiet_s
        while (left := end - time.monotonic()) > 0:
            self._check_alive()
            self._idle(min(left, 0.25))
        posted = self.exchanges(conversation_id=conversation_id, since=since, to_bot=False)
        if posted:
            raise HarnessError(
                f"expected no bot activity in {conversation_id!r}, got {len(posted)}: "
                + "; ".join(_describe(e) for e in posted)
                + "\n"
                + self.diagnostics()
            )


def _describe(event: Exchange | UiEvent) -> str:
    if isinstance(event, Exchange):
        arrow = "Playground -> bot" if event.to_bot else "bot -> Playground"
        return (
            f"#{event.seq} log {arrow} {event.name} [{event.status}] in {event.conversation_id}: "
            f"{event.text[:120]!r}"
        )
    return (
        f"#{event.seq} ui {event.action} in {event.conversation_id}: "
        f"{(event.message.get('text') or '')[:120]!r}"
    )


# --------------------------------------------------------------------------- bot + Playground together


@dataclass
class PlaygroundStack:
    """The bot and the Playground wired together; ``playground`` is what tests drive."""

    bot: ManagedProcess
    bot_port: int
    playground: Playground
    workdir: Path

    @property
    def app_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.bot_port}/api/messages"

    def close(self) -> None:
        try:
            self.playground.close()
        finally:
            try:
                self.playground.process.stop()
            finally:
                self.bot.stop()


@contextlib.contextmanager
def running_stack(
    workdir: Path | None = None,
    *,
    bot_env: Mapping[str, str] | None = None,
    playground_config: Path | None = None,
) -> Iterator[PlaygroundStack]:
    """Start the bot (``aarhusai serve --port 0``, local mode) and a Playground pointed at it; stop both.

    ``bot_env`` adds environment variables for the bot (e.g. ``AARHUSAI_ADMINS``); the caller's
    AARHUSAI_* variables are never passed on. ``playground_config`` is a .m365agentsplayground.yml.
    """
    check_playground_installed()
    own_dir = workdir is None
    root = Path(tempfile.mkdtemp(prefix="aarhusai-e2e-")) if workdir is None else workdir
    bot, bot_port = start_bot(root / "bot", bot_env)
    stack: PlaygroundStack | None = None
    try:
        assert_loopback_only(bot)
        process, port = start_playground_process(
            root / "playground", f"http://127.0.0.1:{bot_port}/api/messages", config_file=playground_config
        )
        playground = Playground(process=process, port=port, related=[bot])
        stack = PlaygroundStack(bot=bot, bot_port=bot_port, playground=playground, workdir=root)
        playground.connect()
        yield stack
    finally:
        if stack is not None:
            stack.close()
        else:
            bot.stop()
        if own_dir:
            shutil.rmtree(root, ignore_errors=True)


# --------------------------------------------------------------------------- the web UI (Playwright)


def is_loopback_url(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in ("data", "blob", "about") or (parsed.hostname or "") in LOOPBACK_HOSTS


def launch_chromium(playwright: Any) -> Any:
    """Debian's chromium under Playwright, headless, with every name but 127.0.0.1 unresolvable."""
    return playwright.chromium.launch(
        executable_path=chromium_executable(), headless=True, args=list(CHROMIUM_ARGS)
    )


# Every http(s)/ws(s) URL whose host is not 127.0.0.1 or localhost. A pattern (not a Python
# predicate) lets Playwright's driver pass loopback requests through without asking Python.
NON_LOOPBACK_URL = re.compile(
    r"^(?!(?:https?|wss?)://(?:127\.0\.0\.1|localhost)(?::\d+)?(?:[/?#]|$))[a-z]+://"
)


def block_non_loopback(context: Any) -> list[str]:
    """Abort every request of the browser context that leaves loopback; returns the aborted URLs.

    (The aborts run in Python, so they happen only while the test is inside a Playwright call:
    wait with ``Playground.pumping``.)"""
    blocked: list[str] = []

    def handle(route: Any) -> None:
        if is_loopback_url(route.request.url):  # the pattern should never send these here
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route(NON_LOOPBACK_URL, handle)
    return blocked


@dataclass
class UiSession:
    page: Any
    blocked: list[str]  # requests the test aborted (non-loopback)
    left_loopback: list[str]  # requests that still reached a non-loopback host (must stay empty)


@contextlib.contextmanager
def open_ui(playground: Playground) -> Iterator[UiSession]:
    """A page in Debian's chromium, cut off from everything but loopback, kept pumping while tests wait."""
    from playwright.sync_api import sync_playwright

    left: list[str] = []
    with sync_playwright() as pw, contextlib.ExitStack() as stack:
        browser = launch_chromium(pw)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            blocked = block_non_loopback(context)
            context.on("requestfinished", lambda r: None if is_loopback_url(r.url) else left.append(r.url))
            context.set_default_timeout(60_000)
            page = context.new_page()
            stack.enter_context(playground.pumping(lambda seconds: page.wait_for_timeout(seconds * 1000)))
            yield UiSession(page, blocked, left)
        finally:
            browser.close()
