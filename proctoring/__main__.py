"""Command line: ``python -m proctoring analyze VIDEO [--fps N] [--json]`` and ``... bench``.

``analyze`` prints the episodes found (face absent, several faces, looking away...) and a risk
summary. With ``--json``: one JSON object per line, one per episode with ``type``, ``severity``,
``offset`` (seconds from the video's start), ``duration`` (milliseconds, like event data),
``end`` (seconds), ``data``; then a last line ``{"type": "summary", "riskScore": ..., ...}``.
Exit status 2 when the video cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys

from proctoring.errors import EnvironmentProblem


def _analyze(args: argparse.Namespace) -> int:
    from proctoring.analyze import analyze_video

    try:
        result = analyze_video(args.video, fps=args.fps)
    except EnvironmentProblem as exc:
        print(f"proctoring analyze: {exc}", file=sys.stderr)
        return 2
    if args.json:
        for episode in result.episodes:
            print(json.dumps(episode.to_dict(), sort_keys=True))
        print(json.dumps(result.summary(), sort_keys=True))
        return 0
    print(f"{result.frames_analysed} frames analysed over {result.duration_s:.1f} s")
    if not result.episodes:
        print("no events above info")
    for e in result.episodes:
        extra = ", ".join(f"{k}={v}" for k, v in e.to_dict()["data"].items())
        print(
            f"{e.start:8.2f}s  {e.duration_ms / 1000:6.2f}s  {e.severity:<6}  {e.type}"
            + (f"  ({extra})" if extra else "")
        )
    print(result.risk.explain())
    return 0


def _bench(args: argparse.Namespace) -> int:
    from proctoring.bench import run

    print(run(frames=args.frames, seconds=args.seconds, fps=args.fps).table())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m proctoring")
    commands = parser.add_subparsers(dest="command", required=True)
    analyze = commands.add_parser("analyze", help="events and risk found in a video file")
    analyze.add_argument("video")
    analyze.add_argument("--fps", type=float, default=None, help="analysis rate (default 5)")
    analyze.add_argument("--json", action="store_true", help="one JSON object per line")
    analyze.set_defaults(run=_analyze)
    bench = commands.add_parser("bench", help="per-stage latency and CPU share")
    bench.add_argument("--frames", type=int, default=150)
    bench.add_argument("--seconds", type=float, default=6.0, help="live worker run (0: skip)")
    bench.add_argument("--fps", type=float, default=5.0)
    bench.set_defaults(run=_bench)
    args = parser.parse_args(argv)
    if args.fps is not None and args.fps <= 0:
        parser.error("--fps must be positive")
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
