"""Command line: ``python -m sandbox install`` (runtime binaries), ``languages``, ``prepare``."""

from __future__ import annotations

import argparse
import sys

from sandbox.engine import Engine, list_languages
from sandbox.errors import SandboxError
from sandbox.install import install_javascript


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox")
    sub = parser.add_subparsers(dest="command", required=True)
    install = sub.add_parser("install", help="install the runtime binaries not shipped on PyPI")
    install.add_argument("--force", action="store_true")
    sub.add_parser("languages", help="list the languages and their versions")
    sub.add_parser("prepare", help="compile every installed runtime into the cache now")
    args = parser.parse_args(argv)
    try:
        if args.command == "install":
            path = install_javascript(force=args.force)
            print(f"JavaScript runtime installed: {path}")
        elif args.command == "languages":
            for info in list_languages():
                state = "installed" if info.installed else f"missing: {info.detail}"
                print(f"{info.id:<12} {info.version:<28} {info.runtime} ({state})")
        else:
            with Engine(warm_instances=0, progress=print) as engine:
                engine.prepare()
    except SandboxError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
