"""The proctoring face pipeline: per-stage latency and CPU share at 5 fps (see proctoring.bench)."""

from __future__ import annotations


def main() -> None:
    from proctoring.bench import run

    print(run().table())


if __name__ == "__main__":
    main()
