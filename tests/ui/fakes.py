"""Small stand-ins for the ports the windows need (the real adapters are tested in tests/app)."""

from __future__ import annotations

from collections.abc import Callable

from ui.ports import (
    CheckResult,
    CheckStatus,
    Invitation,
    PreviewFrame,
    RunReport,
    SampleTest,
    TestOutcome,
    Verdict,
)


class FakeChecks:
    def __init__(self, *, camera: bool = True, blocked: tuple[str, ...] = ()) -> None:
        self.camera = camera
        self.blocked = blocked
        self.previewing = False

    def planned(self, invitation: Invitation) -> list[CheckResult]:
        rows = [
            CheckResult("camera", "Camera", CheckStatus.PENDING, required=True),
            CheckResult("processes", "Other applications", CheckStatus.PENDING, required=True),
            CheckResult("network", "Network and server", CheckStatus.PENDING),
        ]
        if not invitation.proctoring:
            rows[0] = CheckResult("camera", "Camera", CheckStatus.NOT_NEEDED)
            rows[1] = CheckResult("processes", "Other applications", CheckStatus.NOT_NEEDED)
        return rows

    def run(self, key: str, invitation: Invitation, progress: Callable[[float], None]):
        progress(0.5)
        if key == "camera" and not self.camera:
            return CheckResult(key, "Camera", CheckStatus.FAILED, "No camera was found.",
                               required=True, fix="Connect a camera.")  # fmt: skip
        if key == "processes" and self.blocked:
            detail = "Running now: " + ", ".join(self.blocked)
            return CheckResult(key, "Other apps", CheckStatus.FAILED, detail, required=True)
        return CheckResult(key, key.title(), CheckStatus.OK, "fine", required=key != "network")

    def start_preview(self, callback: Callable[[PreviewFrame | None], None]) -> bool:
        if not self.camera:
            return False
        self.previewing = True
        callback(PreviewFrame(4, 2, bytes(4 * 2 * 3), faces=1, yaw=0.0, pitch=0.0))
        return True

    def stop_preview(self) -> None:
        self.previewing = False

    def calibrate(self) -> str:
        return "Calibrated."


class FakeRunner:
    """Passes a test when the code mentions its expected value: enough to drive the widgets."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def run(self, language: str, code: str, tests: tuple[SampleTest, ...]) -> RunReport:
        self.calls.append((language, code))
        if "syntax error" in code:
            return RunReport((), error="SyntaxError: invalid syntax (solution, line 1)")
        return RunReport(tuple(
            TestOutcome(t.name, Verdict.ACCEPTED if "return" in code else Verdict.WRONG_ANSWER,
                        t.expected, t.expected if "return" in code else "None")
            for t in tests
        ))  # fmt: skip


class RecordingSink:
    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def focus_changed(self, focused: bool) -> None:
        self.events.append(("focus", focused))

    def displays_changed(self, count: int) -> None:
        self.events.append(("displays", count))

    def pasted(self, chars: int, lines: int, *, blocked: bool) -> None:
        self.events.append(("paste", (chars, lines, blocked)))
