"""`ella-app` (or `python -m app`): a thin dispatcher. ``ella-app [options]`` opens the
candidate window, ``ella-app review`` the proctor's review window, ``ella-app take`` runs an
assessment headless, ``ella-app --self-test`` checks a bundle."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["take"]:
        from app.headless import main as take

        return take(args[1:])
    if args[:1] == ["review"]:
        from app.gui import review_main

        return review_main(args[1:])
    if "--self-test" in args:
        from app.selftest import main as self_test

        return self_test(args)
    from app.gui import candidate_main

    return candidate_main(args)


if __name__ == "__main__":
    sys.exit(main())
