"""The supervisor of the warm local Spark: a small process, started by `server.ensure`, that runs
Spark's Spark Connect server and the run service (service.py) beside it, and stops both when no
command has used them for a while, or when asked to (SIGTERM, `local-pipeline stop`).

    python -m lakeflow_tools.local_pipeline.supervisor supervise --state DIR --idle-minutes M -- COMMAND...
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from . import server


def supervise(state: Path, idle_minutes: float, command: list[str]) -> int:
    """Run the server (`command`) and the run service until `idle_minutes` pass without a
    client, either of them ends, or this process is asked to stop."""
    spark = subprocess.Popen(command)
    service = subprocess.Popen([sys.executable, "-m", server.SERVICE, "--state", str(state)])
    stopping = False

    def on_signal(_number: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    while spark.poll() is None and service.poll() is None and not stopping:
        try:
            idle = time.time() - (state / "last-used").stat().st_mtime
        except OSError:
            idle = 0.0
        if idle > idle_minutes * 60:
            print(f"local-pipeline: idle for {idle / 60:.0f} minutes, stopping", flush=True)
            break
        time.sleep(2)
    for child in (service, spark):
        if child.poll() is None:
            server.kill_group(child.pid)
    for record, key in ((server.record_path(state), "pid"), (server.service_path(state), "supervisor")):
        with contextlib.suppress(OSError, ValueError, KeyError):
            if json.loads(record.read_text())[key] == os.getpid():
                record.unlink()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {server.SUPERVISOR}")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("supervise", help="run a server until it is idle (started by `ensure`)")
    run.add_argument("--state", type=Path, required=True)
    run.add_argument("--idle-minutes", type=float, default=server.IDLE_MINUTES)
    run.add_argument("server", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    return supervise(args.state, args.idle_minutes, [part for part in args.server if part != "--"])


if __name__ == "__main__":
    sys.exit(main())
