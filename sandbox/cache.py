"""On-disk cache of compiled WebAssembly modules.

The key is the runtime binary's SHA-256, what is made of it before compiling (a runtime's
recipe, e.g. a pre-initialised snapshot), the wasmtime version and the engine configuration: a
serialized module is only valid for exactly that. Files are written to a temporary name
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
# Makes the module to compile from the verified binary's bytes (see Runtime.prepare_module).
ModuleBuilder = Callable[[bytes], bytes]

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

    def path_for(self, name: str, sha256: str, recipe: str = "") -> Path:
        made = f"-{recipe}" if recipe else ""
        return (
            self.directory
            / f"{name}-{sha256[:16]}{made}-wt{WASMTIME_VERSION}-{self._config_id}.cwasm"
        )

    def _say(self, message: str) -> None:
        log.info("%s", message)
        if self._progress is not None:
            self._progress(message)

    def load(
        self,
        name: str,
        binary: Path,
        sha256: str | None = None,
        *,
        recipe: str = "",
        build: ModuleBuilder | None = None,
    ) -> wasmtime.Module:
        """The compiled module of ``binary``, or of what ``build`` makes of it (``recipe``
        names that in the key); ``sha256`` (if known) spares hashing the file."""
        digest = sha256 or file_sha256(binary)
        target = self.path_for(name, digest, recipe)
        with self._lock:
            if target.exists():
                try:
                    return wasmtime.Module.deserialize_file(self._engine, str(target))
                except wasmtime.WasmtimeError:
                    log.warning("discarding unreadable compiled module %s", target)
                    target.unlink(missing_ok=True)
            return self._compile(name, binary, digest, target, build)

    def _compile(
        self, name: str, binary: Path, digest: str, target: Path, build: ModuleBuilder | None
    ) -> wasmtime.Module:
        wasm = binary.read_bytes()
        actual = hashlib.sha256(wasm).hexdigest()
        if actual != digest:
            raise RuntimeSetupError(f"{binary} has SHA-256 {actual}, expected {digest}")
        doing = "starting it once and compiling" if build else "compiling once"
        self._say(f"Preparing the {name} runtime (first use, {doing})...")
        started = time.perf_counter()
        try:
            module = wasmtime.Module(self._engine, build(wasm) if build else wasm)
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
