"""The project's warm local Spark: one Spark Connect server per state folder, started by the first
command that needs Spark and left running until it has been idle for a while, so that later
runs, `show` and the unit tests connect in a fraction of a second.

    local-pipeline start | status | stop

State, in the state folder (.local-pipelines/, or $LOCAL_PIPELINES_DIR): `server.json` (the
supervisor's pid, the port), `server.log` (Spark's own output), `last-used` (touched by every
client; the supervisor stops the server when it is older than the idle timeout). One server per
folder, started under a lock: its Derby metastore has exactly one writer. A server whose process
is gone, or whose pid now belongs to another program, is stale and replaced.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

from . import workarounds

IDLE_MINUTES = float(os.environ.get("LOCAL_PIPELINE_IDLE_MINUTES", "20"))
"""How long the server stays up without a client (environment: LOCAL_PIPELINE_IDLE_MINUTES)."""
START_TIMEOUT = 180
CONNECT_SERVER = "org.apache.spark.sql.connect.service.SparkConnectServer"


class ServerError(Exception):
    """The local Spark could not be started; the message says why and where its log is."""


@dataclass(frozen=True)
class Server:
    pid: int
    port: int
    service_port: int | None = None
    """The run service of the supervisor (service.py), when it answers."""
    token: str = ""

    @property
    def url(self) -> str:
        return f"sc://127.0.0.1:{self.port}"


def _record(state: Path) -> Path:
    return state / "server.json"


def _log(state: Path) -> Path:
    return state / "server.log"


def _service(state: Path) -> Path:
    return state / "service.json"


def _service_of(state: Path, pid: int) -> tuple[int | None, str]:
    """The run service's port and token, if the supervisor with this pid published them."""
    try:
        record = json.loads(_service(state).read_text())
    except (OSError, ValueError):
        return None, ""
    return (record["port"], record["token"]) if record.get("pid") == pid else (None, "")


def touch(state: Path) -> None:
    """Mark the server as in use now (it stops after IDLE_MINUTES without this)."""
    state.mkdir(parents=True, exist_ok=True)
    (state / "last-used").touch()


def _answers(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


def _is_supervisor_of(pid: int, state: Path) -> bool:
    """Whether the process is this folder's supervisor, not a program that reused the pid."""
    try:
        command = psutil.Process(pid).cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False
    return "supervise" in command and str(state) in command


def running(state: Path) -> Server | None:
    """The folder's server if it is up and answering; a stale record is removed."""
    try:
        record = json.loads(_record(state).read_text())
    except (OSError, ValueError):
        return None
    server = Server(record["pid"], record["port"], *_service_of(state, record["pid"]))
    if _is_supervisor_of(server.pid, state) and _answers(server.port):
        return server
    if not _is_supervisor_of(server.pid, state):
        _record(state).unlink(missing_ok=True)
    return None


@contextlib.contextmanager
def _locked(state: Path) -> Iterator[None]:
    """One command at a time decides whether to start the server (Derby takes one writer)."""
    state.mkdir(parents=True, exist_ok=True)
    with (state / "server.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def spark_home() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("pyspark")
    if spec is None or spec.origin is None:
        raise ServerError("pyspark is not installed: `uv sync` (the `local` group) installs Apache Spark")
    return Path(spec.origin).parent


def _name(state: Path) -> str:
    """The server's application name: how its JVM is found again (see _orphans)."""
    return f"local-pipeline {state}"


def _orphans(state: Path) -> list[psutil.Process]:
    """This folder's server JVMs whose supervisor is gone (killed rather than stopped): they
    would hold the Derby metastore and block a new server."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        command = process.info["cmdline"] or []
        if CONNECT_SERVER in command and _name(state) in command:
            found.append(process)
    return found


def _server_command(state: Path, port: int) -> list[str]:
    confs = {**workarounds.server_conf(state, port), **workarounds.SESSION_CONF}
    return [
        str(spark_home() / "bin" / "spark-submit"),
        "--class",
        CONNECT_SERVER,
        "--name",
        _name(state),
        "--master",
        "local[*]",
        "--driver-java-options",
        workarounds.java_options(state),
        *(arg for key, value in confs.items() for arg in ("--conf", f"{key}={value}")),
    ]


def ensure(state: Path, say: Callable[[str], None] = print) -> Server:
    """The folder's server, started first if none is up."""
    with _locked(state):
        if server := running(state):
            touch(state)
            return server
        if _record(state).exists():
            stop(state)  # ours but not answering: replace it
        for orphan in _orphans(state):
            _kill_group(orphan.pid)
        port = _free_port()
        say(f"starting local Spark on port {port} (once; it stops after {IDLE_MINUTES:g} idle minutes)")
        touch(state)
        with _log(state).open("a") as log:
            supervisor = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "lakeflow_tools.local_pipeline.server",
                    "supervise",
                    "--state",
                    str(state),
                    "--idle-minutes",
                    str(IDLE_MINUTES),
                    "--",
                    *_server_command(state, port),
                ],
                env={**os.environ, "SPARK_HOME": str(spark_home()), "PYSPARK_PYTHON": sys.executable},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # outlives this command; its own process group
            )
        deadline = time.monotonic() + START_TIMEOUT
        while not (_answers(port) and _service_of(state, supervisor.pid)[0]):
            if supervisor.poll() is not None or time.monotonic() > deadline:
                _kill_group(supervisor.pid)
                raise ServerError(f"local Spark did not start; its log: {_log(state)}\n{_tail(_log(state))}")
            time.sleep(0.2)
        _record(state).write_text(json.dumps({"pid": supervisor.pid, "port": port}))
        return Server(supervisor.pid, port, *_service_of(state, supervisor.pid))


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _kill_group(pid: int, grace: float = 20) -> None:
    """Stop a process and everything it started: politely, then for good."""
    try:
        family = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return
    for process in family:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.terminate()
    _, alive = psutil.wait_procs(family, timeout=grace)
    for process in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    psutil.wait_procs(alive, timeout=5)


def stop(state: Path) -> bool:
    """Stop the folder's server and every process it started; False if none was recorded."""
    try:
        record = json.loads(_record(state).read_text())
    except (OSError, ValueError):
        return False
    if _is_supervisor_of(record["pid"], state):
        _kill_group(record["pid"])
    for orphan in _orphans(state):
        _kill_group(orphan.pid)
    _record(state).unlink(missing_ok=True)
    _service(state).unlink(missing_ok=True)
    return True


def supervise(state: Path, idle_minutes: float, command: list[str]) -> int:
    """Run the server, and the run service beside it (service.py), and stop both after
    `idle_minutes` without a client, or when asked to."""
    import secrets

    from . import service

    server = subprocess.Popen(command)
    token = secrets.token_hex(16)
    record = json.dumps({"pid": os.getpid(), "port": service.serve(token), "token": token})
    descriptor = os.open(
        _service(state), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600
    )  # the token: owner only
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w") as published:
        published.write(record)
    threading.Thread(target=service.warm_up, daemon=True).start()
    stopping = False

    def on_signal(_number, _frame) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    while server.poll() is None and not stopping:
        try:
            idle = time.time() - (state / "last-used").stat().st_mtime
        except OSError:
            idle = 0.0
        if idle > idle_minutes * 60:
            print(f"local-pipeline: idle for {idle / 60:.0f} minutes, stopping", flush=True)
            break
        time.sleep(2)
    if server.poll() is None:
        _kill_group(server.pid)
    for record in (_record(state), _service(state)):
        with contextlib.suppress(OSError, ValueError, KeyError):
            if json.loads(record.read_text())["pid"] == os.getpid():
                record.unlink()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lakeflow_tools.local_pipeline.server")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("supervise", help="run a server until it is idle (started by `ensure`)")
    run.add_argument("--state", type=Path, required=True)
    run.add_argument("--idle-minutes", type=float, default=IDLE_MINUTES)
    run.add_argument("server", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    return supervise(args.state, args.idle_minutes, [part for part in args.server if part != "--"])


if __name__ == "__main__":
    sys.exit(main())
