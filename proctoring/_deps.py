"""Importing mediapipe despite the repository's own top-level ``packaging/`` folder.

mediapipe 0.10.21 imports matplotlib at import time, and matplotlib imports PyPI's ``packaging``.
With the repository root first on ``sys.path`` (``python -m ...`` from the root, pytest's
``pythonpath = ["."]``) the project's ``packaging/`` (the PyInstaller build) shadows it and the
import fails with ``No module named 'packaging.version'``. Until that folder is renamed, load PyPI's
``packaging`` from site-packages first; the project's build folder is never imported at run time.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType


def _shadows_packaging(entry: str) -> bool:
    folder = Path(entry or ".").resolve() / "packaging"
    return (folder / "__init__.py").is_file() and not (folder / "version.py").is_file()


def ensure_pypi_packaging() -> None:
    """Make ``import packaging.version`` resolve to the PyPI distribution."""
    loaded = sys.modules.get("packaging")
    if loaded is not None and hasattr(loaded, "version"):
        return
    try:
        importlib.import_module("packaging.version")
        return
    except ModuleNotFoundError:
        pass
    for name in [m for m in sys.modules if m == "packaging" or m.startswith("packaging.")]:
        del sys.modules[name]
    saved = sys.path[:]
    try:
        sys.path[:] = [entry for entry in saved if not _shadows_packaging(entry)]
        importlib.import_module("packaging.version")
    finally:
        sys.path[:] = saved


def import_mediapipe() -> ModuleType:
    ensure_pypi_packaging()
    return importlib.import_module("mediapipe")
