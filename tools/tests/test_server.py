"""The warm local Spark's life cycle, with a stand-in for Spark's server (a process that listens
on the port it is given): started once, reused, stopped with everything it started, stale and
orphaned servers replaced, stopped by itself when idle."""

import json
import os
import signal
import sys
import time

import psutil
import pytest

from lakeflow_tools.local_pipeline import cli, folders, java, protocol, server

LISTEN = (
    "import socket, sys, time; s = socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(); "
    "time.sleep(600)"
)


@pytest.fixture
def state(tmp_path, monkeypatch):
    """A state folder whose server is the stand-in; everything stopped afterwards."""
    folder = tmp_path / "state"

    def command(state, port):
        return [sys.executable, "-c", LISTEN, str(port), server.CONNECT_SERVER, server._name(state)]

    monkeypatch.setattr(server, "_server_command", command)
    monkeypatch.setattr(server, "spark_home", lambda: tmp_path)
    yield folder
    server.stop(folder)


def processes_of(state) -> list[psutil.Process]:
    return [
        p
        for p in psutil.process_iter(["cmdline"])
        if str(state) in " ".join(p.info["cmdline"] or []) and p.pid != os.getpid()
    ]


def test_started_once_then_reused(state):
    lines = []
    first = server.ensure(state, lines.append)
    second = server.ensure(state, lines.append)

    assert first == second
    assert len(lines) == 1
    assert f"port {first.port}" in lines[0]
    assert server.running(state) == first
    assert json.loads((state / "server.json").read_text()) == {
        "pid": first.pid,
        "port": first.port,
        "fingerprint": server.fingerprint(),
    }


def test_stop_leaves_no_process(state):
    server.ensure(state, lambda _line: None)
    assert len(processes_of(state)) == 3  # supervisor, server and run service

    assert server.stop(state) is True
    assert psutil.wait_procs(processes_of(state), timeout=10)[1] == []
    assert server.running(state) is None
    assert server.stop(state) is False


def test_a_killed_supervisor_leaves_an_orphan_that_is_replaced(state):
    first = server.ensure(state, lambda _line: None)
    os.kill(first.pid, signal.SIGKILL)
    psutil.wait_procs([psutil.Process(first.pid)], timeout=10)

    assert server.running(state) is None  # the record is stale: its pid is gone
    second = server.ensure(state, lambda _line: None)

    assert second.pid != first.pid
    assert len(processes_of(state)) == 3  # the orphans are gone, the new three run


def test_a_pid_that_now_belongs_to_another_program_is_not_ours(state):
    state.mkdir(parents=True)
    (state / "server.json").write_text(json.dumps({"pid": os.getpid(), "port": 1}))

    assert server.running(state) is None
    assert not (state / "server.json").exists()


def test_idle_servers_stop_themselves(state, monkeypatch):
    monkeypatch.setattr(server, "IDLE_MINUTES", 1.0)
    started = server.ensure(state, lambda _line: None)
    os.utime(state / "last-used", (time.time() - 120, time.time() - 120))

    _, alive = psutil.wait_procs([psutil.Process(started.pid)], timeout=15)

    assert alive == []
    assert server.running(state) is None
    assert server.stopped_because(state, 0, wait=0) == "idle for 2 minutes"


def test_spark_ending_under_a_command_is_explained(state, project, monkeypatch):
    """Spark's JVM ends while a run waits (killed, or out of memory): the command says so, with
    the end the supervisor saw, rather than only that the run service stopped answering."""
    running = server.ensure(state, lambda _line: None)
    children = psutil.Process(running.pid).children()
    spark = next(child for child in children if server.CONNECT_SERVER in child.cmdline())
    monkeypatch.setenv(folders.STATE_VARIABLE, str(state))

    def spark_ends_mid_run(*_args: object) -> None:
        spark.kill()
        psutil.wait_procs([psutil.Process(running.pid)], timeout=15)  # the supervisor stops all
        return None  # what `ask` returns when the service's answer breaks off

    monkeypatch.setattr(cli, "ask", spark_ends_mid_run)

    with pytest.raises(server.ServerError) as raised:
        cli._ask(project, protocol.RunRequest(str(project.root), "orders"))

    assert str(raised.value).startswith(
        "the local Spark's run service did not answer: local Spark stopped, "
        "Spark's server ended (killed by SIGKILL); its log: "
    )


@pytest.mark.parametrize(
    ("code", "said"),
    [(52, "exit code 52: out of memory"), (143, "exit code 143: SIGTERM"), (3, "exit code 3")],
)
def test_how_spark_ended_is_named(state, monkeypatch, code, said):
    """Spark's uncaught-exception handler exits with 52 on an OutOfMemoryError (SparkExitCode);
    a JVM stopped by a signal exits with 128 and its number once its shutdown hooks ran."""
    started_then_ends = LISTEN.replace(  # once the server is recorded as started
        "time.sleep(600)",
        f"import os\nwhile not os.path.exists(sys.argv[2]): time.sleep(0.1)\nsys.exit({code})",
    )

    def command(state, port):
        return [sys.executable, "-c", started_then_ends, str(port), str(server.record_path(state))]

    monkeypatch.setattr(server, "_server_command", command)
    started = server.ensure(state, lambda _line: None)

    psutil.wait_procs([psutil.Process(started.pid)], timeout=15)

    assert server.stopped_because(state, 0, wait=0) == f"Spark's server ended ({said})"


def test_a_server_that_cannot_start_says_where_its_log_is(state, monkeypatch):
    monkeypatch.setattr(
        server, "_server_command", lambda state, port: [sys.executable, "-c", "print('no Java here')"]
    )

    with pytest.raises(
        server.ServerError, match=r"did not start; its log: .*server.log\n(.|\n)*no Java here"
    ):
        server.ensure(state, lambda _line: None)


def test_the_run_service_answers_for_the_project(state, project):
    """The supervisor's warm Python runs the command line's requests: here one that stops before
    Spark, an unknown pipeline, which it answers like the command line would."""
    running = server.ensure(state, lambda _line: None)
    lines = []

    request = protocol.RunRequest(str(project.root), "order", timeout=60)

    code = protocol.ask(running.service_port, running.token, request, lines.append)

    assert code == 2
    assert lines == ["local-pipeline: no pipeline 'order'; the bundle defines ['refunds', 'orders']"]
    assert protocol.ask(running.service_port, "not-the-token", request, lines.append) is None


def test_only_the_owner_can_read_the_token(state):
    server.ensure(state, lambda _line: None)

    assert (state / "service.json").stat().st_mode & 0o077 == 0


def test_a_server_started_by_other_tooling_is_replaced_saying_so(state, monkeypatch):
    first = server.ensure(state, lambda _line: None)
    monkeypatch.setattr(server, "fingerprint", lambda: "tooling after a copier update")
    lines = []

    second = server.ensure(state, lines.append)

    assert second.pid != first.pid
    assert (
        lines[0] == "the tooling or the Python environment changed since local Spark started: restarting it"
    )
    assert server.ensure(state, lines.append) == second  # and kept while nothing changes
    assert len(lines) == 2


def test_without_java_nothing_starts(state, monkeypatch, tmp_path):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(java, "INSTALLED", ())

    with pytest.raises(server.ServerError, match="Java 17 or later"):
        server.ensure(state, lambda _line: None)
    assert processes_of(state) == []
