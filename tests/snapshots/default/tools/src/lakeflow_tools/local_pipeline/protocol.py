"""The messages between `local-pipeline` and the run service of the warm server (service.py),
and how they travel: JSON lines on a port of 127.0.0.1. The command sends one request with the
service's token; the service answers with the lines to print, as they come, then the exit code.
"""

from __future__ import annotations

import contextlib
import json
import socket
import socketserver
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass

Say = Callable[[str], None]


@dataclass(frozen=True)
class RunRequest:
    """`local-pipeline run NAME` (or `--all`)."""

    root: str
    name: str | None
    all: bool = False
    fresh: bool = False
    timeout: float = 900


@dataclass(frozen=True)
class ShowRequest:
    """`local-pipeline show NAME DATASET`."""

    root: str
    name: str
    dataset: str
    limit: int = 20


Request = RunRequest | ShowRequest
REQUESTS: dict[str, type[RunRequest] | type[ShowRequest]] = {"run": RunRequest, "show": ShowRequest}


@dataclass(frozen=True)
class Said:
    """A line for the user."""

    line: str


@dataclass(frozen=True)
class Finished:
    """The request is done: the command's exit code."""

    exit_code: int


Reply = Said | Finished


def encode_request(request: Request, token: str) -> bytes:
    kind = next(name for name, cls in REQUESTS.items() if isinstance(request, cls))
    return json.dumps({"request": kind, "token": token, **asdict(request)}).encode() + b"\n"


def decode_request(line: bytes, token: str) -> Request | None:
    """The request of the line, or None if it is not one or does not carry the token."""
    try:
        fields = json.loads(line)
        if fields.pop("token", None) != token:
            return None
        return REQUESTS[fields.pop("request")](**fields)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def encode_reply(reply: Reply) -> bytes:
    fields = {"say": reply.line} if isinstance(reply, Said) else {"exit": reply.exit_code}
    return json.dumps(fields).encode() + b"\n"


def decode_reply(line: bytes) -> Reply | None:
    message = json.loads(line)
    if "say" in message:
        return Said(str(message["say"]))
    if "exit" in message:
        return Finished(int(message["exit"]))
    return None


def ask(port: int, token: str, request: Request, say: Say) -> int | None:
    """Send the request and pass on what the service says; its exit code, or None if the
    service did not answer or stopped before it finished."""
    try:
        connection = socket.create_connection(("127.0.0.1", port), timeout=5)
    except OSError:
        return None
    with connection, connection.makefile("rwb") as stream:
        connection.settimeout(None)
        stream.write(encode_request(request, token))
        stream.flush()
        for line in stream:
            reply = decode_reply(line)
            if isinstance(reply, Said):
                say(reply.line)
            elif isinstance(reply, Finished):
                return reply.exit_code
    return None


def serve(token: str, handle: Callable[[Request, Say], int]) -> int:
    """Answer requests that carry the token, one at a time, in threads of this process; the
    port it listens on."""
    one_at_a_time = threading.Lock()

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            request = decode_request(self.rfile.readline(), token)
            if request is None:
                return

            def say(line: str) -> None:
                self.wfile.write(encode_reply(Said(line)))
                self.wfile.flush()

            with one_at_a_time:
                try:
                    code = handle(request, say)
                except Exception as error:  # a bug here must not end the service
                    say(f"local-pipeline: {type(error).__name__}: {error}")
                    code = 2
            with contextlib.suppress(OSError):
                self.wfile.write(encode_reply(Finished(code)))

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port: int = server.server_address[1]
    return port
