"""Build the desktop bundle: ``python packaging/build.py [--dist DIR] [--self-test]``.

Runs PyInstaller on ``packaging/ellaai.spec`` into ``dist/ella-app/`` (one folder), then, with
``--self-test``, runs the bundle's ``--self-test`` (sandbox, face models, Qt platform) so a data
file missing from the bundle fails the build. This folder is not a package (see README.md).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build(dist: Path, work: Path) -> Path:
    env = {**os.environ, "ELLA_ROOT": str(ROOT)}
    spec = ROOT / "packaging" / "ellaai.spec"
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean",
           "--distpath", str(dist), "--workpath", str(work), str(spec)]  # fmt: skip
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)
    return dist / "ella-app" / "ella-app"


def self_test(exe: Path, data_dir: Path) -> int:
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    return subprocess.run(
        [str(exe), "--self-test", "--data-dir", str(data_dir)], env=env
    ).returncode


def main() -> int:
    p = argparse.ArgumentParser(prog="python packaging/build.py")
    p.add_argument("--dist", type=Path, default=ROOT / "dist")
    p.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller")
    p.add_argument("--self-test", action="store_true")
    args = p.parse_args()
    started = time.monotonic()
    exe = build(args.dist, args.work)
    size = sum(f.stat().st_size for f in exe.parent.rglob("*") if f.is_file())
    print(f"built {exe} in {time.monotonic() - started:.0f} s, {size / 2**20:.0f} MB")
    if args.self_test:
        return self_test(exe, args.work / "self-test-data")
    return 0


if __name__ == "__main__":
    sys.exit(main())
