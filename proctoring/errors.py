"""The proctoring package's exceptions.

The tree tells the candidate's environment apart from bugs (CONVENTIONS.md, "Errors")::

    ProctoringError                  root of everything this package raises on purpose
    ├── EnvironmentProblem           something about the machine, not the code: show it to a person
    │   ├── CameraUnavailable        no camera at that index, or it is busy / delivers no frames
    │   └── SourceUnavailable        a video or image file that cannot be opened or decoded
    └── ConfigurationError           a setting that cannot work (negative rate, unknown severity...)

Pure Python on purpose: `proctoring.events` raises `ConfigurationError` and must stay importable
by the server without OpenCV or mediapipe.
"""

from __future__ import annotations


class ProctoringError(Exception):
    """Root of the exceptions raised on purpose by `proctoring`."""


class EnvironmentProblem(ProctoringError):
    """The machine lacks something (a camera, a file): tell the person, it is not a bug."""


class CameraUnavailable(EnvironmentProblem):
    """No camera at the index, or it is busy, or it opened but delivers no frames."""

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(f"camera {index} unavailable: {reason}")
        self.index = index
        self.reason = reason


class SourceUnavailable(EnvironmentProblem):
    """A video or image file that cannot be opened or decoded."""


class ConfigurationError(ProctoringError):
    """A setting that cannot work."""
