"""Processes the assessment forbids: a blocklist by category, checked periodically with psutil.

Each blocked name that is running becomes a ``prohibited_process_detected`` episode (one per name,
however many processes carry it) that ends when the last one exits. Severity by category: remote
access and cheating tools are high, screen recorders and chat/meeting apps medium.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

import psutil

from proctoring.events import EventType, Severity
from proctoring.session import ProctoringSession

log = logging.getLogger(__name__)

CATEGORY_SEVERITY: dict[str, Severity] = {
    "remote_access": "high",
    "cheating_tool": "high",
    "virtual_camera": "high",
    "screen_recording": "medium",
    "communication": "medium",
}

# Process names as the OS reports them, lower case, without ".exe"/".app".
DEFAULT_BLOCKLIST: dict[str, str] = {
    **dict.fromkeys(
        [
            "anydesk",
            "teamviewer",
            "teamviewerd",
            "teamviewer_service",
            "rustdesk",
            "x11vnc",
            "vncserver",
            "xvnc",
            "vncviewer",
            "tigervnc",
            "tightvnc",
            "winvnc",
            "realvnc",
            "remmina",
            "parsecd",
            "parsec",
            "chrome-remote-desktop-host",
            "remoting_host",
            "splashtop",
            "srserver",
            "ammyy_admin",
            "aa_v3",
            "supremo",
            "ultraviewer",
            "logmein",
            "gotomeeting",
            "g2mcomm",
            "screenconnect.clientservice",
            "nomachine",
            "nxserver",
            "dwagent",
            "meshagent",
            "quickassist",
            "msra",
            "mstsc",
        ],
        "remote_access",
    ),
    **dict.fromkeys(
        [
            "obs",
            "obs64",
            "obs32",
            "simplescreenrecorder",
            "kazam",
            "vokoscreen",
            "vokoscreenng",
            "peek",
            "recordmydesktop",
            "gtk-recordmydesktop",
            "camtasia",
            "camrecorder",
            "bandicam",
            "fraps",
            "screenrec",
            "loom",
            "kooha",
            "sharex",
            "screenflow",
            "gpu-screen-recorder",
        ],
        "screen_recording",
    ),
    **dict.fromkeys(
        [
            "discord",
            "slack",
            "zoom",
            "zoom.us",
            "teams",
            "ms-teams",
            "skype",
            "skypeforlinux",
            "telegram",
            "telegram-desktop",
            "whatsapp",
            "signal-desktop",
            "signal",
            "element",
            "element-desktop",
            "webex",
            "ciscowebexstart",
            "viber",
            "wechat",
            "messenger",
        ],
        "communication",
    ),
    **dict.fromkeys(
        [
            "cluely",
            "interviewcoder",
            "interview-coder",
            "leetcodewizard",
            "leetcode-wizard",
            "finalroundai",
            "lockedin-ai",
            "interviewsolver",
            "ultracode",
        ],
        "cheating_tool",
    ),
    **dict.fromkeys(
        ["manycam", "snapcamera", "xsplit.core", "splitcam", "droidcam"], "virtual_camera"
    ),
}


def normalize(name: str) -> str:
    name = name.strip().lower()
    for suffix in (".exe", ".app"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    name: str
    exe_name: str = ""  # basename of the executable when the OS lets us read it


class ProcessLister(Protocol):
    def processes(self) -> list[ProcessInfo]: ...


class PsutilProcessLister:
    """All platforms psutil supports; processes we may not inspect still give their name."""

    def processes(self) -> list[ProcessInfo]:
        found = []
        for proc in psutil.process_iter(["pid", "name", "exe"], ad_value=None):
            info = proc.info
            exe = info.get("exe") or ""
            found.append(
                ProcessInfo(
                    int(info["pid"]),
                    info.get("name") or "",
                    exe.replace("\\", "/").rsplit("/", 1)[-1],
                )
            )
        return found


class Blocklist:
    def __init__(self, entries: Mapping[str, str]) -> None:
        self.entries = {normalize(k): v for k, v in entries.items()}

    @classmethod
    def default(
        cls, extra: Mapping[str, str] | None = None, allowed: Iterable[str] = ()
    ) -> Blocklist:
        """The defaults, plus an assessment's own entries, minus what it allows."""
        entries = {**DEFAULT_BLOCKLIST, **{normalize(k): v for k, v in (extra or {}).items()}}
        for name in allowed:
            entries.pop(normalize(name), None)
        return cls(entries)

    def match(self, proc: ProcessInfo) -> tuple[str, str] | None:
        """(blocked name, category) when the process's name or executable is on the list."""
        for candidate in (proc.name, proc.exe_name):
            key = normalize(candidate) if candidate else ""
            if key in self.entries:
                return key, self.entries[key]
        return None


class ProcessMonitor:
    """Checks the process list every ``interval`` seconds on its own thread (or on `check`)."""

    def __init__(
        self,
        session: ProctoringSession,
        *,
        blocklist: Blocklist | None = None,
        lister: ProcessLister | None = None,
        interval: float | None = None,
    ) -> None:
        monitors = session.config.monitors
        self.session = session
        self.blocklist = blocklist or Blocklist.default(
            monitors.extra_blocked_processes, monitors.allowed_processes
        )
        self.lister = lister or PsutilProcessLister()
        self.interval = interval if interval is not None else monitors.process_poll_s
        self._running: set[str] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> dict[str, list[ProcessInfo]]:
        """One pass: start episodes for newly running blocked names, end the ones gone."""
        hits: dict[str, list[ProcessInfo]] = {}
        categories: dict[str, str] = {}
        for proc in self.lister.processes():
            match = self.blocklist.match(proc)
            if match:
                hits.setdefault(match[0], []).append(proc)
                categories[match[0]] = match[1]
        for name in sorted(hits.keys() - self._running):
            category = categories[name]
            self.session.start(
                f"process:{name}",
                EventType.PROHIBITED_PROCESS,
                CATEGORY_SEVERITY.get(category, "medium"),
                {"process": name, "category": category, "pids": sorted(p.pid for p in hits[name])},
            )
        for name in sorted(self._running - hits.keys()):
            self.session.end(f"process:{name}", {"process": name})
        self._running = set(hits)
        return hits

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="proctoring-processes", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.check()
            except Exception:  # psutil races with exiting processes; try again next round
                log.exception("process check failed")
            self._stop.wait(self.interval)
