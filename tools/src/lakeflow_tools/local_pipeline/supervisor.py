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

CHECK_SECONDS = 0.25
"""How often the supervisor looks at its children and the idle clock: a poll and a stat, cheap
enough that `local-pipeline stop` and a Spark that ended are noticed at once."""


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
    while not (reason := _reason_to_stop(state, idle_minutes, spark, service, stopping)):
        time.sleep(CHECK_SECONDS)
    print(f"{server.STOPPING}{reason}", flush=True)  # the log says why; commands quote it
    for child in (service, spark):
        if child.poll() is None:
            server.kill_group(child.pid)
    for record, key in ((server.record_path(state), "pid"), (server.service_path(state), "supervisor")):
        with contextlib.suppress(OSError, ValueError, KeyError):
            if json.loads(record.read_text())[key] == os.getpid():
                record.unlink()
    return 0


def _reason_to_stop(
    state: Path,
    idle_minutes: float,
    spark: subprocess.Popen[bytes],
    service: subprocess.Popen[bytes],
    asked: bool,
) -> str:
    """Why everything must stop now, or "" while it may go on."""
    if (code := spark.poll()) is not None:
        return f"Spark's server ended ({_exit(code)})"
    if (code := service.poll()) is not None:
        return f"the run service ended ({_exit(code)})"
    if asked:
        return "asked to stop"
    try:
        idle = time.time() - (state / "last-used").stat().st_mtime
    except OSError:
        idle = 0.0
    return f"idle for {idle / 60:.0f} minutes" if idle > idle_minutes * 60 else ""


def _exit(code: int) -> str:
    """A child's end in words: Spark's own exit codes (SparkExitCode) and signals named."""
    if code < 0:
        return f"killed by {signal.Signals(-code).name}"
    if code - 128 in signal.valid_signals():  # the JVM's exit after its shutdown hooks
        return f"exit code {code}: {signal.Signals(code - 128).name}"
    return SPARK_EXIT_CODES.get(code, f"exit code {code}")


SPARK_EXIT_CODES = {
    50: "exit code 50: an uncaught exception, named in the log",
    52: "exit code 52: out of memory",
}
"""Spark's SparkExitCode: what its default uncaught-exception handler exits with."""


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
