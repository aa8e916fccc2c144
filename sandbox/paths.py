"""Where the sandbox keeps compiled modules and downloaded runtime binaries."""

from __future__ import annotations

import os
import sys
from pathlib import Path

CACHE_ENV = "ELLAAI_SANDBOX_CACHE"
RUNTIMES_ENV = "ELLAAI_SANDBOX_RUNTIMES"


def user_cache_root() -> Path:
    """The platform's per-user cache folder (XDG on Linux, Caches on macOS, LOCALAPPDATA)."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "ellaai" / "cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "ellaai"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ellaai"


def default_cache_dir() -> Path:
    """Compiled modules: ``$ELLAAI_SANDBOX_CACHE`` or ``<user cache>/sandbox``."""
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else user_cache_root() / "sandbox"


def default_runtime_dir() -> Path:
    """Runtime binaries not shipped by a dependency: ``$ELLAAI_SANDBOX_RUNTIMES`` or
    ``<user cache>/sandbox-runtimes`` (filled by ``python -m sandbox install``)."""
    env = os.environ.get(RUNTIMES_ENV)
    return Path(env) if env else user_cache_root() / "sandbox-runtimes"
