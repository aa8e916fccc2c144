"""The sandbox's exceptions: one root, :class:`SandboxError`.

Exception tree::

    SandboxError                    root of everything this package raises
    ├── InvalidRequest              the request itself is wrong (bad limit string, empty code...)
    ├── LanguageNotAvailable        no runtime for that language, or its binary is not installed
    ├── SandboxBusy                 the worker pool and its queue are full: try again later
    ├── EngineClosed                the engine was closed
    └── RuntimeSetupError           a runtime binary could not be installed, verified or compiled

What the candidate's code does (crashes, loops, floods, memory bombs) is never an exception:
it is a verdict inside :class:`sandbox.models.ExecutionResult`.
"""

from __future__ import annotations


class SandboxError(Exception):
    """Root of every exception raised by the sandbox package."""


class InvalidRequest(SandboxError, ValueError):
    """The execution request is malformed (unknown limit unit, empty code, bad test case)."""


class LanguageNotAvailable(SandboxError):
    """No runtime serves that language, or its WebAssembly binary is not installed."""

    def __init__(self, language: str, hint: str = "") -> None:
        self.language = language
        self.hint = hint
        message = f"language {language!r} is not available"
        super().__init__(f"{message}: {hint}" if hint else message)


class SandboxBusy(SandboxError):
    """Every worker is busy and the waiting queue is full; the caller should retry later."""

    def __init__(self, max_workers: int, max_queue: int) -> None:
        self.max_workers = max_workers
        self.max_queue = max_queue
        super().__init__(f"sandbox is busy: {max_workers} runs in progress and {max_queue} waiting")


class EngineClosed(SandboxError):
    """The engine was closed; create a new one."""


class RuntimeSetupError(SandboxError):
    """A runtime binary could not be installed, verified against its pinned hash, or compiled."""
