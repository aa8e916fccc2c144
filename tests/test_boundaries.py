"""The import boundaries of DESIGN.md's layout table, checked by reading every module's imports."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

QT = {"PySide6", "shiboken6", "PyQt5", "PyQt6"}
NETWORK = {"httpx", "requests", "aiortc", "aiohttp", "urllib3", "websockets"}
STORAGE = {"sqlite3", "sqlite_utils", "sqlalchemy", "alembic", "psycopg", "redis"}
CAPTURE = {"cv2", "mediapipe"}

# The proctoring modules the server may import: pure Python, no OpenCV, no mediapipe.
PURE_PROCTORING = {"proctoring.events", "proctoring.risk"}

# package -> top-level names its modules must not import
FORBIDDEN: dict[str, set[str]] = {
    "ui": NETWORK | STORAGE | CAPTURE | {"server", "app", "wasmtime"},
    "proctoring": QT | NETWORK | STORAGE | {"server", "sync", "ui", "app", "sandbox"},
    "sandbox": QT | NETWORK | STORAGE | CAPTURE | {"server", "sync", "ui", "app", "proctoring"},
    "sync": QT | CAPTURE | {"ui", "app", "sandbox"},
    "server": QT | CAPTURE | {"ui", "app", "sync"},
}


def imported_names(path: Path) -> Iterator[tuple[int, str]]:
    """Yield (line, dotted module name) for every absolute import in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module


def modules_of(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def violations(package: str) -> list[str]:
    found = []
    for path in modules_of(package):
        rel = path.relative_to(ROOT)
        in_schemas = rel.parts[:2] == ("server", "schemas")
        in_pure_proctoring = ".".join(rel.with_suffix("").parts) in PURE_PROCTORING
        for line, name in imported_names(path):
            top = name.split(".")[0]
            if top in FORBIDDEN[package]:
                found.append(f"{rel}:{line} imports {name}")
            if package == "server" and top == "proctoring" and name not in PURE_PROCTORING:
                found.append(f"{rel}:{line} imports {name} (only {sorted(PURE_PROCTORING)})")
            if package == "sync" and top == "server" and not name.startswith("server.schemas"):
                found.append(f"{rel}:{line} imports {name} (only server.schemas)")
            if package == "sync" and top == "proctoring" and name not in PURE_PROCTORING:
                found.append(f"{rel}:{line} imports {name} (only {sorted(PURE_PROCTORING)})")
            # The wire contract may use the event model (the JSON an event is hashed over):
            # pure standard library, which `sync` imports anyway.
            if (
                in_schemas
                and top not in {"pydantic", "server", "__future__"}
                and name not in PURE_PROCTORING
                and not _stdlib(top)
            ):
                found.append(f"{rel}:{line} imports {name} (schemas are pure Pydantic)")
            if in_pure_proctoring and top not in {"proctoring", "__future__"} and not _stdlib(top):
                found.append(f"{rel}:{line} imports {name} (pure proctoring module)")
    return found


def _stdlib(name: str) -> bool:
    import sys

    return name in sys.stdlib_module_names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_respects_its_import_boundary(package: str) -> None:
    assert violations(package) == []


def test_server_package_init_imports_nothing() -> None:
    assert list(imported_names(ROOT / "server" / "__init__.py")) == []


def test_checker_catches_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import PySide6.QtCore\nfrom server.app import create_app\n")
    assert [name for _, name in imported_names(bad)] == ["PySide6.QtCore", "server.app"]
