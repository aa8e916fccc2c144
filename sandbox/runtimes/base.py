"""The interface every language runtime implements, and the guest protocol they all speak.

A runtime is a WASI *command* module (``_start``) plus a small harness program written in the
guest language and passed on its command line; or a module made from one at cache-build time
that starts with the harness loaded already (Python: a pre-initialised snapshot, whose entry
``run`` calls the harness). The harness and the host talk over file
descriptor 0, which the host serves itself (see :mod:`sandbox.guest`):

* the harness reads fd 0 to its end: the host blocks that read until a submission is handed to
  the instance (so an instance can be started, and its interpreter initialised, ahead of time),
  then returns the JSON payload ``{"code": str, "tests": [{"input": str|null, "stdin": str}]}``;
* the harness writes one-line messages to fd 0, after flushing its stdout and stderr:
  ``C <json error>`` (the code does not compile), ``S`` / ``s <kind> <json detail>`` (begin / end
  of running the code's top level, before the first expression test), ``B <pos>`` / ``E <pos>
  <kind> <json detail>`` (begin / end of test ``pos``), where ``kind`` is ``ok``, ``error``
  (detail: traceback), ``memory`` (the guest ran out of memory) or ``exit`` (nonzero exit code).

Expected outputs never enter the guest: the host compares. The host sets each test's deadline
when it sees ``B``, so every test has its own time budget inside one instance.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sandbox.models import CodeAnalysis, TestCase


@dataclass(frozen=True, slots=True)
class RuntimeBinary:
    """A located runtime binary and what is known about it."""

    path: Path
    sha256: str | None
    version: str


class Runtime(ABC):
    """One language: where its WebAssembly binary is, how to start it, how to analyse code."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    file_extension: str
    runtime_name: str
    # The export that runs the harness: a command's `_start`, or a function `() -> i32`
    # returning the exit status (a pre-initialised module, see `prepare_module`).
    entry = "_start"

    @abstractmethod
    def locate(self) -> RuntimeBinary | None:
        """The installed binary, or None when it is not installed."""

    def install_hint(self) -> str:
        return ""

    @abstractmethod
    def argv(self) -> list[str]:
        """The guest's command line (argv[0] first), carrying the harness."""

    def module_recipe(self) -> str:
        """Identifies what :meth:`prepare_module` makes of the binary (part of the compiled
        module's cache key); empty when the binary is compiled as it is."""
        return ""

    def prepare_module(self, wasm: bytes) -> bytes:
        """The module to compile, made from the verified binary once per cache key (it may
        run it, e.g. to pre-initialise it). The binary itself by default."""
        return wasm

    @abstractmethod
    def analyze(self, code: str) -> CodeAnalysis:
        """Static analysis of ``code``; never executes it."""

    def payload(self, code: str, tests: Sequence[TestCase]) -> bytes:
        """The JSON the harness reads from fd 0."""
        body = {
            "code": code,
            "tests": [{"input": t.input, "stdin": t.stdin or ""} for t in tests],
        }
        return json.dumps(body).encode()
