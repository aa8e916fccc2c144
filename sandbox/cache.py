"""On-disk cache of compiled WebAssembly modules.

The key is the runtime binary's SHA-256, the wasmtime version and the engine configuration: a
serialized module is only valid for exactly that triple. Files are written to a temporary name
and renamed into place, so a crash or a concurrent writer never leaves a half-written module.
Compiling happens once per key (per process, under a lock); the progress callback tells the UI.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import wasmtime

from sandbox.errors import RuntimeSetupError

log = logging.getLogger(__name__)

ProgressCallback = Callable[[str], None]

WASMTIME_VERSION = version("wasmtime")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class ModuleCache:
    """Loads compiled modules from ``directory``, compiling and storing them on a miss."""

    def __init__(
        self,
        directory: Path,
        engine: wasmtime.Engine,
        config_id: str,
        progress: ProgressCallback | None = None,
    ) -> None:
        self.directory = directory
        self._engine = engine
        self._config_id = hashlib.sha256(
            f"wasmtime={WASMTIME_VERSION};{config_id}".encode()
        ).hexdigest()[:12]
        self._progress = progress
        self._lock = threading.Lock()

    def path_for(self, name: str, sha256: str) -> Path:
        return self.directory / f"{name}-{sha256[:16]}-wt{WASMTIME_VERSION}-{self._config_id}.cwasm"

    def _say(self, message: str) -> None:
        log.info("%s", message)
        if self._progress is not None:
            self._progress(message)

    def load(self, name: str, binary: Path, sha256: str | None = None) -> wasmtime.Module:
        """The compiled module of ``binary``; ``sha256`` (if known) spares hashing the file."""
        digest = sha256 or file_sha256(binary)
        target = self.path_for(name, digest)
        with self._lock:
            if target.exists():
                try:
                    return wasmtime.Module.deserialize_file(self._engine, str(target))
                except wasmtime.WasmtimeError:
                    log.warning("discarding unreadable compiled module %s", target)
                    target.unlink(missing_ok=True)
            return self._compile(name, binary, digest, target)

    def _compile(self, name: str, binary: Path, digest: str, target: Path) -> wasmtime.Module:
        actual = file_sha256(binary)
        if actual != digest:
            raise RuntimeSetupError(f"{binary} has SHA-256 {actual}, expected {digest}")
        self._say(f"Preparing the {name} runtime (first use, compiling once)...")
        started = time.perf_counter()
        try:
            module = wasmtime.Module.from_file(self._engine, str(binary))
        except wasmtime.WasmtimeError as exc:
            raise RuntimeSetupError(f"cannot compile {binary}: {exc}") from exc
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=self.directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(module.serialize())
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            log.warning("cannot store compiled module %s: %s", target, exc)
        self._say(f"The {name} runtime is ready ({time.perf_counter() - started:.1f} s).")
        # Load the stored file rather than keep `module`: deserialize_file maps it copy-on-write.
        if target.exists():
            return wasmtime.Module.deserialize_file(self._engine, str(target))
        return module
