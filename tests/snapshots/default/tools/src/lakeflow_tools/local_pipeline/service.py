"""The run service: a warm Python beside the warm Spark. Importing pyspark's Spark Connect client
takes seconds (it pulls in pandas and pyarrow), more than a small run itself; so the server's
supervisor, which lives as long as the server, also runs `local-pipeline run` and `show` for
the command line, which only sends the request and prints the lines that come back.

Requests are JSON lines on a port of 127.0.0.1, with a token from server.json (readable only by
its owner); one at a time. Before each request the project's own modules are forgotten, so that
edits to the pipeline code are picked up; edits to this tooling need `local-pipeline stop`.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import socket
import socketserver
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from lakeflow_tools.project import Project, ProjectError

_LOCK = threading.Lock()


def forget_project_modules(root: Path) -> None:
    """Drop the project's own modules (its package, not installed libraries or this tooling) so
    the next import reads the files as they are now."""
    root = root.resolve()
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if not path:
            continue
        path = Path(path).resolve()
        if path.is_relative_to(root) and not {".venv", "tools", "site-packages"} & set(
            path.relative_to(root).parts
        ):
            del sys.modules[name]
    importlib.invalidate_caches()


def warm_up() -> None:
    """Import what a run needs (pyspark's Spark Connect client, pandas, pyarrow) before the first
    request asks for it."""
    with contextlib.suppress(ImportError):
        importlib.import_module("lakeflow_tools.local_pipeline.client")


def handle(request: dict, say: Callable[[str], None]) -> int:
    """Run one request of the command line, as the command line would: its exit code."""
    from . import commands

    project = Project(Path(request["root"]))
    forget_project_modules(project.root)
    try:
        return commands.HANDLERS[request["command"]](project, request, say)
    except ProjectError as error:
        say(f"local-pipeline: {error}")
        return 2


def serve(token: str) -> int:
    """Start serving requests in a thread of this process; the port it listens on."""

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            try:
                request = json.loads(self.rfile.readline())
            except ValueError:
                return
            if request.get("token") != token:
                return

            def say(line: str) -> None:
                self.wfile.write(json.dumps({"say": line}).encode() + b"\n")
                self.wfile.flush()

            with _LOCK:
                try:
                    code = handle(request, say)
                except Exception as error:  # a bug here must not end the service
                    say(f"local-pipeline: {type(error).__name__}: {error}")
                    code = 2
            with contextlib.suppress(OSError):
                self.wfile.write(json.dumps({"exit": code}).encode() + b"\n")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


def call(port: int, token: str, request: dict, say: Callable[[str], None]) -> int | None:
    """Send a request to the service and print what it says; None if nobody answers."""
    try:
        connection = socket.create_connection(("127.0.0.1", port), timeout=5)
    except OSError:
        return None
    with connection, connection.makefile("rwb") as stream:
        connection.settimeout(None)
        stream.write(json.dumps({**request, "token": token}).encode() + b"\n")
        stream.flush()
        for line in stream:
            message = json.loads(line)
            if "say" in message:
                say(message["say"])
            elif "exit" in message:
                return int(message["exit"])
    return None
