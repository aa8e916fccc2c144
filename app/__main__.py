"""`python -m app` (or `ella-app`): dispatches subcommands; `take` runs an assessment headless."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["take"]:
        from app.headless import main as take

        return take(args[1:])
    print("usage: python -m app take --server URL --invite TOKEN --answers FILE", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
