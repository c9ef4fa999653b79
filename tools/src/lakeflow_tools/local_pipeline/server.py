"""The project's warm local Spark, as commands see it: found, started or stopped. One server per
state folder, started by the first command that needs Spark and left running until it has been
idle for a while, so that later runs, `show` and the unit tests connect in a fraction of a second.

    local-pipeline start | status | stop

A started server is three processes: the supervisor (supervisor.py), Spark's Spark Connect
server and the run service (service.py), both children of the supervisor. State, in the state
folder (folders.py): `server.json` (the supervisor's pid, Spark's port), `service.json` (the run
service's port and token, readable only by its owner), `server.log` (their output),
`last-used` (touched by every client; the supervisor stops everything when it is older than the
idle timeout). Started under a lock: the Derby metastore has exactly one writer. A server whose
process is gone, or whose pid now belongs to another program, is stale and replaced.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

from . import java, workarounds

IDLE_MINUTES = float(os.environ.get("LOCAL_PIPELINE_IDLE_MINUTES", "20"))
"""How long the server stays up without a client (environment: LOCAL_PIPELINE_IDLE_MINUTES)."""
START_TIMEOUT = 180
CONNECT_SERVER = "org.apache.spark.sql.connect.service.SparkConnectServer"
SUPERVISOR = "lakeflow_tools.local_pipeline.supervisor"
SERVICE = "lakeflow_tools.local_pipeline.service"
STOPPING = "local-pipeline: stopping: "
"""How the supervisor's line in the log begins when it stops everything, followed by why."""


class ServerError(Exception):
    """The local Spark could not be started; the message says why and where its log is."""


@functools.cache
def fingerprint() -> str:
    """This tooling's code and the environment's packages, as a digest taken once per process: a
    server started by other ones (before a `copier update` or a `uv sync`) is replaced."""
    digest = hashlib.sha256(sys.executable.encode())
    package = Path(__file__).resolve().parents[1]
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + path.read_bytes())
    distributions = importlib.metadata.distributions()
    installed = sorted(f"{found.metadata['Name']}=={found.version}" for found in distributions)
    digest.update("\n".join(installed).encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Server:
    pid: int
    port: int
    service_port: int | None = None
    """The run service (service.py), when it has published its port."""
    token: str = ""
    fingerprint: str = ""
    """Of the tooling and environment that started it (see fingerprint())."""

    @property
    def url(self) -> str:
        return f"sc://127.0.0.1:{self.port}"


def record_path(state: Path) -> Path:
    return state / "server.json"


def log_path(state: Path) -> Path:
    return state / "server.log"


def service_path(state: Path) -> Path:
    return state / "service.json"


def _service_of(state: Path, pid: int) -> tuple[int | None, str]:
    """The run service's port and token, if the service of the supervisor with this pid
    published them."""
    try:
        record = json.loads(service_path(state).read_text())
    except (OSError, ValueError):
        return None, ""
    return (record["port"], record["token"]) if record.get("supervisor") == pid else (None, "")


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
        record = json.loads(record_path(state).read_text())
    except (OSError, ValueError):
        return None
    server = Server(
        record["pid"], record["port"], *_service_of(state, record["pid"]), record.get("fingerprint", "")
    )
    if _is_supervisor_of(server.pid, state) and _answers(server.port) and server.service_port:
        return server
    if not _is_supervisor_of(server.pid, state):
        record_path(state).unlink(missing_ok=True)
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
        port: int = probe.getsockname()[1]
        return port


def spark_home() -> Path:
    spec = importlib.util.find_spec("pyspark")
    if spec is None or spec.origin is None:
        raise ServerError("pyspark is not installed: `uv sync` (the `local` group) installs Apache Spark")
    return Path(spec.origin).parent


def _name(state: Path) -> str:
    """The server's application name: how its JVM is found again (see _orphans)."""
    return f"local-pipeline {state}"


def _orphans(state: Path) -> list[psutil.Process]:
    """This folder's server JVMs and run services whose supervisor is gone (killed rather than
    stopped): a JVM would hold the Derby metastore and block a new server."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        command = process.info["cmdline"] or []
        if (CONNECT_SERVER in command and _name(state) in command) or (
            SERVICE in command and str(state) in command
        ):
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
        server = running(state)
        if server and server.fingerprint == fingerprint():
            touch(state)
            return server
        if server:
            say("the tooling or the Python environment changed since local Spark started: restarting it")
        if record_path(state).exists():
            stop(state)  # ours but not answering, or started by other code: replace it
        for orphan in _orphans(state):
            kill_group(orphan.pid)
        try:
            found = java.find()
        except java.NoJavaError as error:
            raise ServerError(str(error)) from None
        if line := java.using(found):
            say(line)
        port = _free_port()
        say(f"starting local Spark on port {port} (once; it stops after {IDLE_MINUTES:g} idle minutes)")
        touch(state)
        with log_path(state).open("a") as log:
            supervisor = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    SUPERVISOR,
                    "supervise",
                    "--state",
                    str(state),
                    "--idle-minutes",
                    str(IDLE_MINUTES),
                    "--",
                    *_server_command(state, port),
                ],
                env={
                    **os.environ,
                    **found.environment,
                    "SPARK_HOME": str(spark_home()),
                    "PYSPARK_PYTHON": sys.executable,
                },
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # outlives this command; its own process group
            )
        deadline = time.monotonic() + START_TIMEOUT
        while not (_answers(port) and _service_of(state, supervisor.pid)[0]):
            if supervisor.poll() is not None or time.monotonic() > deadline:
                kill_group(supervisor.pid)
                raise ServerError(
                    f"local Spark did not start; its log: {log_path(state)}\n{_tail(log_path(state))}"
                )
            time.sleep(0.2)
        record = {"pid": supervisor.pid, "port": port, "fingerprint": fingerprint()}
        record_path(state).write_text(json.dumps(record))
        return Server(supervisor.pid, port, *_service_of(state, supervisor.pid), fingerprint())


def log_size(state: Path) -> int:
    """Where the log ends now: what a command reads from when its answer breaks off."""
    try:
        return log_path(state).stat().st_size
    except OSError:
        return 0


def stopped_because(state: Path, since: int, wait: float = 4) -> str:
    """Why the supervisor stopped the server after the log had `since` bytes ("" if it did not
    within `wait` seconds: it notices a child's end within two)."""
    deadline = time.monotonic() + wait
    while True:
        with contextlib.suppress(OSError), log_path(state).open("rb") as log:
            log.seek(since)
            for line in log.read().decode(errors="replace").splitlines():
                if line.startswith(STOPPING):
                    return line.removeprefix(STOPPING)
        if time.monotonic() > deadline:
            return ""
        time.sleep(0.2)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def kill_group(pid: int, grace: float = 20) -> None:
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
        record = json.loads(record_path(state).read_text())
    except (OSError, ValueError):
        return False
    if _is_supervisor_of(record["pid"], state):
        kill_group(record["pid"])
    for orphan in _orphans(state):
        kill_group(orphan.pid)
    record_path(state).unlink(missing_ok=True)
    service_path(state).unlink(missing_ok=True)
    return True
