"""What a local run's events and errors say, read without Spark: which flow changed state, and
for a failure the Spark error class and message, the expectation that failed, and the file and
line of the user's code that raised.

Spark Declarative Pipelines (pyspark 4.3) reports a run as event messages such as
`Flow spark_catalog.default.orders_silver has COMPLETED.` and, for a flow that failed,
`Failed to resolve flow: '...orders_silver'.\\nError: [UNRESOLVED_COLUMN.WITH_SUGGESTION] A
column ... SQLSTATE: 42703;\\n<plan>`; Python errors raised while the definitions load come as
exceptions with the user's frames in their traceback.
"""

from __future__ import annotations

import re
import traceback
from pathlib import Path
from typing import Any

from .results import Failure

FLOW_STATE = re.compile(r"^Flow '?(?:\w+\.)*(\w+)'? (?:(?:is|has|has been) )?([A-Z_]+)")
RESOLVE_FAILED = re.compile(r"^Failed to resolve flow: '?(?:\w+\.)*(\w+)'?")
UPSTREAM_FAILED = re.compile(r"^Failed to resolve flow due to upstream failure: '?(?:\w+\.)*(\w+)'?")
ERROR_CLASS = re.compile(r"\[([A-Z][A-Z0-9_]*(?:\.[A-Z0-9_]+)*)\]")
MESSAGE_END = re.compile(r"\s*SQLSTATE: \w+|;\s*$|\n")
EXPECTATION_FAILED = re.compile(
    r"Expectation '([^']+)' failed \(expect_or_fail\): (.*?)(?:\s+SQLSTATE|['\"]?\)?\s*$|\n)"
)
PYTHON_FRAME = re.compile(r'File "([^"]+)", line (\d+)')
CALL_SITE = re.compile(r"^(.+):(\d+)$", re.MULTILINE)
QUOTED = re.compile(r"`([^`]+)`|\"([^\"]+)\"")
PLAN_TOKEN = re.compile(r"[A-Za-z_]\w*|[-+*/%<>=!|&]+")
PLAN_NAMES = {"unparsed_identifier", "function_name", "name", "unparsed_target", "col_name", "column_names"}
"""Fields of a Spark Connect plan that hold a column's, a function's or a table's name."""


def flow_state(message: str) -> tuple[str, str] | None:
    """(dataset, state) of a flow event: QUEUED, RUNNING, COMPLETED, FAILED, SKIPPED..."""
    if match := RESOLVE_FAILED.match(message):
        return match.group(1), "FAILED"
    if match := UPSTREAM_FAILED.match(message):
        return match.group(1), "SKIPPED"
    if match := FLOW_STATE.match(message):
        return match.group(1), match.group(2)
    return None


def spark_error(text: str) -> tuple[str | None, str]:
    """The innermost Spark error class in the text (a failed stream wraps its cause) and its
    message."""
    matches = list(ERROR_CLASS.finditer(text))
    if not matches:
        first = next((line.strip() for line in text.splitlines() if line.strip()), "")
        return None, first[:500]
    rest = text[matches[-1].end() :]
    end = MESSAGE_END.search(rest)
    return matches[-1].group(1), " ".join(rest[: end.start() if end else None].split())[:800]


def expectation(text: str) -> tuple[str, str] | None:
    """(rule, constraint) of a failed expect_or_fail rule named in the text."""
    match = EXPECTATION_FAILED.search(text)
    return (match.group(1), match.group(2).strip()) if match else None


def _project_frames(error: BaseException | str, root: Path) -> list[tuple[str, int, str]]:
    """The frames of the project's own code (not the tooling, not installed packages), outermost
    first, as (file relative to the project, line, function)."""
    if isinstance(error, BaseException):
        frames = [(f.filename, f.lineno or 0, f.name) for f in traceback.extract_tb(error.__traceback__)]
        if isinstance(error, SyntaxError) and error.filename:
            frames.append((error.filename, error.lineno or 0, "<module>"))
    else:
        frames = [(name, int(line), "") for name, line in PYTHON_FRAME.findall(error)]
    root = root.resolve()
    found = []
    for name, line, function in frames:
        path = Path(name).resolve()
        if (
            path.is_file()
            and path.is_relative_to(root)
            and not {"site-packages", ".venv", "tools"} & set(path.relative_to(root).parts)
        ):
            found.append((str(path.relative_to(root)), line, function))
    return found


def user_frame(error: BaseException | str, root: Path) -> tuple[str, int] | None:
    """The innermost frame of the project's own code: the line that raised."""
    frames = _project_frames(error, root)
    return frames[-1][:2] if frames else None


def _in_project(call_site: str, root: Path) -> tuple[str, int] | None:
    """The innermost frame of a call site (`path:line` lines, innermost first) in the project's
    own code."""
    frames = "".join(f'File "{path}", line {line}\n' for path, line in CALL_SITE.findall(call_site))
    found = _project_frames(frames, root)
    return found[0][:2] if found else None


def _origins(node: Any, found: list[tuple[set[str], int, str]]) -> tuple[set[str], int]:
    """Walk a Spark Connect plan (protobuf): each expression or relation that carries the Python
    call site of the DataFrame operation that made it (`common.origin.python_origin`) is added
    to `found` as (the names in it, its size, the call site). Returns the node's names and size."""
    names: set[str] = set()
    size = 1
    for field, value in node.ListFields():
        if field.name == "common":
            continue
        repeated = hasattr(value, "__len__") and not isinstance(value, str | bytes)  # a list or map field
        for item in value if repeated else [value]:
            if hasattr(item, "ListFields"):
                inner, inner_size = _origins(item, found)
                names |= inner
                size += inner_size
            elif isinstance(item, str) and field.name in PLAN_NAMES:
                names |= {part.lower() for part in re.split(r"[.`]", item) if part}
    site = node.common.origin.python_origin.call_site if "common" in node.DESCRIPTOR.fields_by_name else ""
    if site:
        found.append((names, size, site))
    return names, size


def plan_call_site(plan: Any, text: str, root: Path) -> tuple[str, int] | None:
    """Where in the project's code the DataFrame operation that an analysis error is about was
    written: of the plan's operations that carry a call site, the smallest one that holds the
    most of the names the error quotes (`amountt`, "(amount + category)")."""
    said = error_part(text).split("Did you mean")[0]  # not the names Spark suggests instead
    quoted = " ".join(backticked or double for backticked, double in QUOTED.findall(said))
    wanted = {token.lower() for token in PLAN_TOKEN.findall(quoted)}
    found: list[tuple[set[str], int, str]] = []
    _origins(plan, found)
    scored = [(len(names & wanted), -size, site) for names, size, site in found if names & wanted]
    for _, _, site in sorted(scored, reverse=True):
        if frame := _in_project(site, root):
            return frame
    return None


def rule_declared(rule: str, files: list[Path], root: Path) -> tuple[str, int] | None:
    """Where an expectation is declared: the first of the files (the dataset's own first) that
    names it as a Python string (`"valid_id": "..."`, `expect("valid_id", ...)`) or as a SQL
    `CONSTRAINT valid_id`."""
    declared = re.compile(rf"""(["']){re.escape(rule)}\1|\bCONSTRAINT\s+{re.escape(rule)}\b""", re.IGNORECASE)
    for path in files:
        try:
            lines = path.read_text().splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for number, line in enumerate(lines, 1):
            if declared.search(line):
                shown = (
                    path.resolve().relative_to(root.resolve())
                    if path.resolve().is_relative_to(root.resolve())
                    else path
                )
                return str(shown), number
    return None


def query_function(error: BaseException, root: Path) -> str | None:
    """The outermost function of the project's code in the traceback: the dataset's query
    function when a definition failed to load (its name is the dataset's, by default)."""
    return next((function for _, _, function in _project_frames(error, root) if function != "<module>"), None)


def error_part(text: str) -> str:
    """The error an event or exception states, without the query plan or JVM stack after it
    (a plan can quote other rules' messages)."""
    start = text.find("Error: ")
    text = text[start + len("Error: ") :] if start >= 0 else text
    end = re.search(r"SQLSTATE: \w+;?|\n'|\n\+-|\nJVM stacktrace", text)
    return text[: end.end() if end and end.group(0).startswith("SQLSTATE") else end.start() if end else None]


def from_text(text: str, dataset: str | None, root: Path) -> Failure:
    """A failure read from an event's or an error's text."""
    frame_text, text = text, error_part(text)
    error_class, message = spark_error(text)
    failure = Failure(dataset=dataset, error_class=error_class, message=message)
    if rule := expectation(text):
        failure.expectation, failure.constraint = rule
    if frame := user_frame(frame_text, root):
        failure.file, failure.line = frame
    return failure


def from_exception(error: BaseException, root: Path, dataset: str | None = None) -> Failure:
    """A failure raised in this process: while the definitions loaded (in `dataset`'s query, when
    known), or by the run's stream."""
    text = f"{type(error).__name__}: {error}"
    failure = from_text(str(error), dataset or query_function(error, root), root)
    if failure.error_class is None:
        failure.message = text.splitlines()[0][:500]
    if frame := user_frame(error, root):
        failure.file, failure.line = frame
    return failure
