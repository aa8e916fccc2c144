"""Virtual-machine and remote-session signals, reported as ``info`` only.

Running in a VM or over SSH is common and legitimate (a developer's laptop runs one), and every
signal here can be faked or missing, so they inform a proctor but never raise the risk score:
``virtual_machine_detected`` and ``remote_session_detected`` are ``info`` events listing the
signals seen.

Probes, each behind `Probe`:

- `LinuxProbe` (done, tested): DMI ``product_name``/``sys_vendor``/``board_vendor``/``bios_vendor``,
  the ``hypervisor`` CPU flag in ``/proc/cpuinfo``, ``/sys/hypervisor/type``, container markers.
- `WindowsProbe`: BIOS manufacturer/product from the registry (``winreg``), ``SM_REMOTESESSION``
  from ``GetSystemMetrics``, ``SESSIONNAME`` ``RDP-*``. Written from the documented calls; not run
  on Windows yet.
- `MacProbe`: ``sysctl kern.hv_vmm_present`` and the ``VMM`` CPU feature. Written from the
  documented calls; not run on macOS yet.
- `EnvironmentProbe` (all platforms): ``SSH_CONNECTION``/``SSH_CLIENT``/``SSH_TTY``, xrdp and
  Chrome Remote Desktop variables, an X display forwarded over the network.
- `VmProcessProbe` (all platforms, through psutil): guest tools of VirtualBox, VMware, QEMU,
  Parallels, Hyper-V, Xen.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from proctoring.events import EventType
from proctoring.monitors.processes import ProcessLister, PsutilProcessLister, normalize
from proctoring.session import ProctoringSession

SignalKind = Literal["virtual_machine", "remote_session"]

VM_MARKERS = (
    "virtualbox", "innotek", "vmware", "qemu", "kvm", "bochs", "xen", "parallels",
    "virtual machine", "hyper-v", "bhyve", "amazon ec2", "google compute engine", "openstack",
    "digitalocean", "cloud hypervisor", "firecracker",
)  # fmt: skip

VM_PROCESSES = {
    "vboxservice": "VirtualBox guest additions",
    "vboxclient": "VirtualBox guest additions",
    "vboxtray": "VirtualBox guest additions",
    "vmtoolsd": "VMware tools",
    "vm3dservice": "VMware tools",
    "vmware-vmblock-fuse": "VMware tools",
    "qemu-ga": "QEMU guest agent",
    "spice-vdagent": "SPICE guest agent",
    "spice-vdagentd": "SPICE guest agent",
    "prl_tools_service": "Parallels tools",
    "prl_cc": "Parallels tools",
    "xe-daemon": "Xen guest tools",
    "hv_kvp_daemon": "Hyper-V integration services",
    "vmsrvc": "Virtual PC additions",
}


@dataclass(frozen=True)
class Signal:
    kind: SignalKind
    source: str  # where it was seen: "dmi:sys_vendor", "cpuinfo", "env:SSH_CONNECTION"...
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"source": self.source, "detail": self.detail}


class Probe(Protocol):
    def signals(self) -> list[Signal]: ...


def _vm_marker(text: str) -> str | None:
    lowered = text.lower()
    return next((m for m in VM_MARKERS if m in lowered), None)


class LinuxProbe:
    """``root`` lets tests point it at a fake ``/sys`` and ``/proc``."""

    def __init__(self, root: str | Path = "/") -> None:
        self.root = Path(root)

    def _read(self, relative: str, limit: int = 1 << 20) -> str:
        try:
            with (self.root / relative).open(encoding="utf-8", errors="replace") as handle:
                return handle.read(limit)
        except OSError:
            return ""

    def signals(self) -> list[Signal]:
        found = []
        for field in ("product_name", "sys_vendor", "board_vendor", "bios_vendor"):
            value = self._read(f"sys/class/dmi/id/{field}").strip()
            if value and _vm_marker(value):
                found.append(Signal("virtual_machine", f"dmi:{field}", value))
        cpuinfo = self._read("proc/cpuinfo")
        for line in cpuinfo.splitlines():
            if line.startswith("flags") and " hypervisor" in f" {line.split(':', 1)[-1]} ":
                found.append(Signal("virtual_machine", "cpuinfo", "hypervisor CPU flag"))
                break
        hypervisor = self._read("sys/hypervisor/type").strip()
        if hypervisor:
            found.append(Signal("virtual_machine", "sys:hypervisor", hypervisor))
        for marker in (".dockerenv", "run/.containerenv"):
            if (self.root / marker).exists():
                found.append(Signal("virtual_machine", "container", f"/{marker} present"))
        return found


class WindowsProbe:
    """Not run on Windows yet: written from the documented winreg and user32 calls."""

    def signals(self) -> list[Signal]:
        found: list[Signal] = []
        if sys.platform != "win32":
            return found
        import ctypes
        import winreg

        try:
            key = winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"HARDWARE\DESCRIPTION\System\BIOS")
            for name in ("SystemManufacturer", "SystemProductName", "BIOSVendor"):
                try:
                    value = str(winreg.QueryValueEx(key, name)[0])
                except OSError:
                    continue
                if _vm_marker(value):
                    found.append(Signal("virtual_machine", f"bios:{name}", value))
        except OSError:
            pass
        sm_remotesession = 0x1000
        if ctypes.windll.user32.GetSystemMetrics(sm_remotesession):
            found.append(Signal("remote_session", "GetSystemMetrics", "SM_REMOTESESSION"))
        session = os.environ.get("SESSIONNAME", "")
        if session.upper().startswith("RDP-"):
            found.append(Signal("remote_session", "env:SESSIONNAME", session))
        return found


class MacProbe:
    """Not run on macOS yet: written from the documented sysctl names."""

    def _sysctl(self, name: str) -> str:
        try:
            done = subprocess.run(
                ["/usr/sbin/sysctl", "-n", name], capture_output=True, text=True, timeout=2
            )
        except (OSError, subprocess.SubprocessError):
            return ""
        return done.stdout.strip() if done.returncode == 0 else ""

    def signals(self) -> list[Signal]:
        if sys.platform != "darwin":
            return []
        found = []
        if self._sysctl("kern.hv_vmm_present") == "1":
            found.append(Signal("virtual_machine", "sysctl:kern.hv_vmm_present", "1"))
        if "VMM" in self._sysctl("machdep.cpu.features").split():
            found.append(Signal("virtual_machine", "sysctl:machdep.cpu.features", "VMM"))
        return found


REMOTE_ENV = (
    "SSH_CONNECTION",
    "SSH_CLIENT",
    "SSH_TTY",
    "XRDP_SESSION",
    "CHROME_REMOTE_DESKTOP_SESSION",
)


class EnvironmentProbe:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def signals(self) -> list[Signal]:
        found = [
            Signal("remote_session", f"env:{name}", self.environ[name][:80])
            for name in REMOTE_ENV
            if self.environ.get(name)
        ]
        display = self.environ.get("DISPLAY", "")
        host = display.split(":", 1)[0] if ":" in display else ""
        # ":0" is local; "localhost:10.0" is what `ssh -X` sets; "unix:0" is local too.
        if host and host != "unix" and not host.startswith("/"):
            found.append(Signal("remote_session", "env:DISPLAY", display))
        return found


class VmProcessProbe:
    def __init__(self, lister: ProcessLister | None = None) -> None:
        self.lister = lister or PsutilProcessLister()

    def signals(self) -> list[Signal]:
        seen: dict[str, str] = {}
        for proc in self.lister.processes():
            for name in (proc.name, proc.exe_name):
                key = normalize(name) if name else ""
                if key in VM_PROCESSES:
                    seen[key] = VM_PROCESSES[key]
        return [Signal("virtual_machine", f"process:{k}", v) for k, v in sorted(seen.items())]


def default_probes() -> list[Probe]:
    platform: Probe
    if sys.platform.startswith("linux"):
        platform = LinuxProbe()
    elif sys.platform == "win32":
        platform = WindowsProbe()
    elif sys.platform == "darwin":
        platform = MacProbe()
    else:
        return [EnvironmentProbe(), VmProcessProbe()]
    return [platform, EnvironmentProbe(), VmProcessProbe()]


def collect(probes: Sequence[Probe] | None = None) -> list[Signal]:
    found: list[Signal] = []
    for probe in probes if probes is not None else default_probes():
        try:
            found.extend(probe.signals())
        except Exception as exc:  # a probe failing must not stop the session; say so instead
            found.append(Signal("virtual_machine", f"error:{type(probe).__name__}", str(exc)[:120]))
    return found


def report_environment(
    session: ProctoringSession, probes: Sequence[Probe] | None = None
) -> list[Signal]:
    """Emit at most one ``virtual_machine_detected`` and one ``remote_session_detected``, info."""
    signals = collect(probes)
    for kind, type_ in (
        ("virtual_machine", EventType.VIRTUAL_MACHINE),
        ("remote_session", EventType.REMOTE_SESSION),
    ):
        mine = [
            s.to_dict() for s in signals if s.kind == kind and not s.source.startswith("error:")
        ]
        if mine:
            session.emit(type_, "info", {"signals": mine})
    return signals
