"""Desktop monitors on Linux: a real process named like a blocked app, VM and remote signals."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from proctoring.config import MonitorConfig, ProctoringConfig
from proctoring.monitors.processes import Blocklist, ProcessInfo, ProcessMonitor
from proctoring.monitors.virtualization import (
    EnvironmentProbe,
    LinuxProbe,
    Probe,
    VmProcessProbe,
    collect,
    report_environment,
)
from proctoring.risk import assess
from proctoring.session import ManualClock, ProctoringSession

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux monitor")


def new_session(config: ProctoringConfig | None = None) -> tuple[ProctoringSession, ManualClock]:
    clock = ManualClock()
    return ProctoringSession("m", config, clock=clock), clock


@pytest.fixture
def fake_app(tmp_path: Path):
    """Start /bin/sleep copied as ``name``; yields a starter, kills what it started."""
    started: list[subprocess.Popen[bytes]] = []

    def start(name: str) -> subprocess.Popen[bytes]:
        exe = tmp_path / name
        shutil.copy("/bin/sleep", exe)
        proc = subprocess.Popen([str(exe), "60"])
        started.append(proc)
        time.sleep(0.05)
        return proc

    yield start
    for proc in started:
        proc.kill()
        proc.wait()


@linux_only
def test_blocked_process_is_flagged_and_cleared(fake_app):
    session, clock = new_session()
    monitor = ProcessMonitor(session)
    monitor.check()
    assert "anydesk" not in monitor._running  # nothing of ours yet
    proc = fake_app("anydesk")
    clock.advance(5)
    hits = monitor.check()
    assert proc.pid in [p.pid for p in hits["anydesk"]]
    start = session.events[-1]
    assert (start.type, start.severity, start.phase) == (
        "prohibited_process_detected",
        "high",
        "start",
    )
    assert start.data["category"] == "remote_access" and proc.pid in start.data["pids"]
    monitor.check()  # still running: no second event
    assert session.events[-1] is start
    proc.kill()
    proc.wait()
    clock.advance(10)
    monitor.check()
    end = session.events[-1]
    assert (
        end.phase == "end" and end.data["startSeq"] == start.seq and end.data["duration"] == 10000
    )


@linux_only
def test_blocklist_extended_and_relaxed_per_assessment(fake_app):
    config = ProctoringConfig.for_assessment(
        {"blockedProcesses": {"mycheat": "cheating_tool"}, "allowedProcesses": ["zoom"]}
    )
    session, _ = new_session(config)
    fake_app("mycheat")
    fake_app("zoom")
    hits = ProcessMonitor(session).check()
    assert "mycheat" in hits and "zoom" not in hits


def test_blocklist_matching():
    blocklist = Blocklist.default()
    assert blocklist.match(ProcessInfo(1, "AnyDesk.exe")) == ("anydesk", "remote_access")
    assert blocklist.match(ProcessInfo(2, "obs64.exe")) == ("obs64", "screen_recording")
    assert blocklist.match(ProcessInfo(3, "python3", "Discord")) == ("discord", "communication")
    assert blocklist.match(ProcessInfo(4, "code")) is None
    assert Blocklist.default(allowed=["Zoom.exe"]).match(ProcessInfo(5, "zoom")) is None


@linux_only
def test_monitor_thread_polls(fake_app):
    session, _ = new_session(ProctoringConfig(monitors=MonitorConfig(process_poll_s=0.05)))
    monitor = ProcessMonitor(session)
    monitor.start()
    try:
        fake_app("teamviewer")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and "process:teamviewer" not in session.open_conditions():
            time.sleep(0.05)
    finally:
        monitor.stop()
    assert "process:teamviewer" in session.open_conditions()


def test_linux_probe_reads_dmi_and_cpuinfo(tmp_path):
    dmi = tmp_path / "sys/class/dmi/id"
    dmi.mkdir(parents=True)
    (dmi / "product_name").write_text("VirtualBox\n")
    (dmi / "sys_vendor").write_text("innotek GmbH\n")
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc/cpuinfo").write_text(
        "processor\t: 0\nflags\t\t: fpu vme hypervisor lahf_lm\n"
    )
    sources = [s.source for s in LinuxProbe(tmp_path).signals()]
    assert sources == ["dmi:product_name", "dmi:sys_vendor", "cpuinfo"]
    (dmi / "product_name").write_text("ThinkPad X1 Carbon\n")
    (dmi / "sys_vendor").write_text("LENOVO\n")
    (tmp_path / "proc/cpuinfo").write_text("flags\t\t: fpu vme lahf_lm\n")
    assert LinuxProbe(tmp_path).signals() == []


def test_remote_session_signals_from_environment():
    env = {"SSH_CONNECTION": "10.0.0.2 5555 10.0.0.3 22", "DISPLAY": "localhost:10.0"}
    assert {s.source for s in EnvironmentProbe(env).signals()} == {
        "env:SSH_CONNECTION",
        "env:DISPLAY",
    }
    assert EnvironmentProbe({"DISPLAY": ":0"}).signals() == []


def test_vm_guest_tools_by_process():
    class Lister:
        def processes(self):
            return [ProcessInfo(1, "VBoxService.exe"), ProcessInfo(2, "bash")]

    assert [s.source for s in VmProcessProbe(Lister()).signals()] == ["process:vboxservice"]


def test_environment_signals_are_only_info(tmp_path):
    dmi = tmp_path / "sys/class/dmi/id"
    dmi.mkdir(parents=True)
    (dmi / "sys_vendor").write_text("QEMU\n")
    session, _ = new_session()
    probes: list[Probe] = [LinuxProbe(tmp_path), EnvironmentProbe({"SSH_CLIENT": "1.2.3.4 1 22"})]
    signals = report_environment(session, probes)
    assert {s.kind for s in signals} == {"virtual_machine", "remote_session"}
    reported = [e for e in session.events if e.type.endswith("_detected")]
    assert [e.type for e in reported] == ["virtual_machine_detected", "remote_session_detected"]
    assert all(e.severity == "info" for e in reported)
    assert assess(session.events).score == 0.0


def test_this_machine_probes_run_and_stay_info():
    session, _ = new_session()
    report_environment(session)  # whatever this machine is (a VM, a container...)
    assert all(e.severity == "info" for e in session.events)
    assert all(not s.source.startswith("error:") for s in collect())
