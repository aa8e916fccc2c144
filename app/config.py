"""Command-line settings of the desktop app, parsed once in `app.__main__` and passed down."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal


@dataclass(frozen=True)
class AppConfig:
    invite: str | None = None
    server: str = "http://127.0.0.1:8000"
    video: Path | None = None
    camera: int = 0
    data_dir: Path = Path.home() / ".local" / "share" / "ellaai"
    theme: Literal["light", "dark"] = "light"
    block_paste: bool = False
    self_test: bool = False


def parser(prog: str = "ella-app") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="EllaAI: take an assessment")
    p.add_argument("--invite", metavar="TOKEN", help="open this invitation (a token or a link)")
    p.add_argument("--server", default=os.environ.get("ELLA_SERVER", AppConfig.server))
    p.add_argument("--video", type=Path, metavar="FILE", help="a video file instead of a camera")
    p.add_argument("--camera", type=int, default=0, metavar="INDEX")
    p.add_argument("--data-dir", type=Path, default=_default_data_dir(), metavar="DIR")
    p.add_argument("--theme", choices=("light", "dark"), default="light")
    p.add_argument("--block-paste", action="store_true", help="refuse pastes from outside")
    p.add_argument("--self-test", action="store_true",
                   help="load the sandbox, face models and Qt platform, then exit")  # fmt: skip
    return p


def _default_data_dir() -> Path:
    env = os.environ.get("ELLA_DATA_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "ellaai"


def parse(argv: list[str], prog: str = "ella-app") -> AppConfig:
    a = parser(prog).parse_args(argv)
    return AppConfig(
        invite=a.invite, server=a.server.rstrip("/"), video=a.video, camera=a.camera,
        data_dir=a.data_dir, theme=a.theme, block_paste=a.block_paste, self_test=a.self_test,
    )  # fmt: skip
