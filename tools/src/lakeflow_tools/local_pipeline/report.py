"""What `local-pipeline` prints: a line as a run starts, one per dataset as it starts and as it
completes (rows, and what its expectations dropped or flagged) or fails (the Spark error class
and message, the file and line, the broken rule and offending rows), and one verdict per run.
Spark's own output goes to the server's log, never here."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from .events import Failure
from .runner import Report

KIND = {
    "streaming_table": "streaming table",
    "materialized_view": "materialized view",
    "temporary_view": "temporary view",
}


def starting(pipeline: str, fresh: bool) -> str:
    return f"{pipeline}: starting{' from scratch' if fresh else ''}"


def this_run(name: str, kind: str, rule: dict, baseline: dict) -> tuple[int, int]:
    """This run's input rows and violations out of the audit's totals over all input so far:
    streaming tables read only what is new since the last run, materialized views everything."""
    rows, broken = rule["input_rows"], rule["violations"]
    before = baseline.get(f"{name}/{rule['name']}")
    if kind == "streaming_table" and before:
        rows, broken = rows - before["input_rows"], broken - before["violations"]
    return rows, broken


def expectations_summary(name: str, info: dict, baseline: dict) -> str:
    parts = []
    for action, verb in (("drop", "dropped"), ("warn", "flagged")):
        counted = [
            (rule["name"], *this_run(name, info["kind"], rule, baseline))
            for rule in info.get("expectations", [])
            if rule["action"] == action
        ]
        broken = [f"{rule} {count}" for rule, _, count in counted if count]
        if counted:
            parts.append(
                f"{verb} {sum(c for *_, c in counted)}" + (f" ({', '.join(broken)})" if broken else "")
            )
    return "; ".join(parts)


def failure_lines(failure: dict | Failure) -> list[str]:
    """The failure as Spark said it, where in the code, and the rows that broke the rule."""
    found = failure.as_dict() if isinstance(failure, Failure) else failure
    lines = []
    if found.get("expectation"):
        lines.append(f"expectation '{found['expectation']}' ({found.get('constraint')}) failed")
    if found.get("error_class") and not found.get("expectation"):
        lines.append(f"[{found['error_class']}] {found.get('message', '')}")
    elif not found.get("expectation"):
        lines.append(found.get("message") or "unknown error")
    if found.get("file"):
        lines.append(f"at {found['file']}:{found.get('line') or 1}")
    for row in found.get("rows") or []:
        lines.append(f"offending row: {json.dumps(row, sort_keys=False)}")
    return lines


class Progress:
    """Prints a pipeline's datasets as they start, complete or fail: one verdict each."""

    def __init__(self, pipeline: str, say: Callable[[str], None], baseline_path: Path) -> None:
        self.pipeline, self.say = pipeline, say
        self.baseline = json.loads(baseline_path.read_text()) if baseline_path.exists() else {}

    def started(self, dataset: str) -> None:
        self.say(f"  {dataset:<34} started")

    def completed(self, dataset: str, info: dict) -> None:
        rows = f"{info['rows']:>8} rows" if "rows" in info else ""
        summary = expectations_summary(dataset, info, self.baseline)
        self.say(f"  {dataset:<34} completed {rows}{'; ' + summary if summary else ''}".rstrip())
        for warning in info.get("warnings", []):
            self.say(f"      WARNING: {warning}")

    def failed(self, dataset: str, failure: Failure) -> None:
        first, *rest = failure_lines(failure)
        self.say(f"  {dataset:<34} FAILED: {first}")
        for line in rest:
            self.say(f"      {line}")

    def skipped(self, dataset: str) -> None:
        self.say(f"  {dataset:<34} not run (an upstream dataset failed)")


def verdict(report: Report) -> str:
    if report.ok:
        return f"{report.pipeline}: COMPLETED in {report.seconds:.1f} s"
    failure = report.failure or {}
    where = f" at {failure['dataset']}" if failure.get("dataset") else ""
    return f"{report.pipeline}: FAILED{where} in {report.seconds:.1f} s (Spark's log: {report.log})"


def failure_line(report: Report) -> str:
    """One line for the end of `run --all`: which pipeline failed, where and why."""
    failure = report.failure or {}
    where = f" at {failure['dataset']}" if failure.get("dataset") else ""
    return f"{report.pipeline}: FAILED{where}: {failure_lines(failure)[0]}"
