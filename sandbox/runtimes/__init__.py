"""Language runtimes: one module per language, each a :class:`Runtime`.

Adding a language (C via TinyCC, Ruby, scientific Python...) means writing one module here with a
:class:`Runtime` subclass whose harness speaks the protocol of :mod:`sandbox.runtimes.base`, and
listing it in :func:`default_runtimes`; nothing else changes.
"""

from __future__ import annotations

from pathlib import Path

from sandbox.runtimes.base import Runtime, RuntimeBinary
from sandbox.runtimes.javascript import JavaScriptRuntime
from sandbox.runtimes.python import PythonRuntime

__all__ = ["JavaScriptRuntime", "PythonRuntime", "Runtime", "RuntimeBinary", "default_runtimes"]


def default_runtimes(runtime_dir: Path) -> list[Runtime]:
    """Every runtime the package knows, whether installed or not."""
    return [PythonRuntime(), JavaScriptRuntime(runtime_dir)]
