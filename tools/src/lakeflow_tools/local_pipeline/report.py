"""What `local-pipeline` prints: a line as a run starts, one per dataset as it starts and as it
completes (rows, and what its expectations dropped or flagged) or fails (the Spark error class
and message, the file and line, the broken rule and offending rows), and one verdict per run.
Spark's own output goes to the server's log, never here."""

from __future__ import annotations

import json

from .protocol import Say
from .results import DatasetResult, Failure, RuleCount, RunReport

KIND = {
    "streaming_table": "streaming table",
    "materialized_view": "materialized view",
    "temporary_view": "temporary view",
}


def starting(pipeline: str, fresh: bool) -> str:
    return f"{pipeline}: starting{' from scratch' if fresh else ''}"


def landing_files(pipeline: str, landing: str, samples: list[str], own: list[str]) -> str:
    """Which files a run from scratch reads: the sample files and the developer's own."""

    def listed(names: list[str], what: str) -> str:
        return f"{len(names)} {what}{'s' if len(names) != 1 else ''}" + (
            f" ({', '.join(names)})" if names else ""
        )

    return (
        f"{pipeline}: every table recomputed from the files in {landing}: "
        f"{listed(samples, 'sample file')}, {listed(own, 'file')} of yours"
    )


Totals = dict[str, dict[str, int]]
"""What the last run left, to count this run's part: by `dataset`, its rows; by `dataset/rule`,
the audit's input_rows and violations."""


def written(name: str, result: DatasetResult, baseline: Totals) -> int | None:
    """The rows this run wrote: what a streaming table gained (it only appends), a materialized
    view's every row (it is recomputed)."""
    if result.rows is None:
        return None
    before = baseline.get(name, {}).get("rows", 0) if result.kind == "streaming_table" else 0
    return result.rows - before


def this_run(name: str, kind: str, rule: RuleCount, baseline: Totals) -> tuple[int, int]:
    """This run's input rows and violations out of the audit's totals over all input so far:
    streaming tables read only what is new since the last run, materialized views everything."""
    rows, broken = rule.input_rows, rule.violations
    before = baseline.get(f"{name}/{rule.name}")
    if kind == "streaming_table" and before:
        rows, broken = rows - before["input_rows"], broken - before["violations"]
    return rows, broken


def expectations_summary(name: str, result: DatasetResult, baseline: Totals) -> str:
    parts = []
    for action, verb in (("drop", "dropped"), ("warn", "flagged")):
        counted = [
            (rule.name, *this_run(name, result.kind, rule, baseline))
            for rule in result.expectations
            if rule.action == action
        ]
        broken = [f"{rule} {count}" for rule, _, count in counted if count]
        if counted:
            parts.append(
                f"{verb} {sum(c for *_, c in counted)}" + (f" ({', '.join(broken)})" if broken else "")
            )
    return "; ".join(parts)


def failure_lines(failure: Failure) -> list[str]:
    """The failure as Spark said it, where in the code, and the rows that broke the rule."""
    lines = []
    if failure.expectation:
        lines.append(f"expectation '{failure.expectation}' ({failure.constraint}) failed")
    elif failure.error_class:
        lines.append(f"[{failure.error_class}] {failure.message}")
    else:
        lines.append(failure.message or "unknown error")
    if failure.file:
        lines.append(f"{'the rule: ' if failure.expectation else 'at '}{failure.file}:{failure.line or 1}")
    if failure.arrived:
        for row in failure.arrived:
            lines.append(f"offending row, as it arrived in {failure.arrived_in}: {json.dumps(row)}")
    else:
        for row in failure.rows:
            lines.append(f"offending row: {json.dumps(row)}")
    return lines


class Progress:
    """Prints a pipeline's datasets as they start, complete or fail: one verdict each."""

    def __init__(self, pipeline: str, say: Say, baseline: Totals, landing: str = "") -> None:
        self.pipeline, self.say, self.baseline, self.landing = pipeline, say, baseline, landing

    def started(self, dataset: str) -> None:
        self.say(f"  {dataset:<34} started")

    def completed(self, dataset: str, result: DatasetResult) -> None:
        new = written(dataset, result, self.baseline)
        rows = f"{new:>8} written, {result.rows} in the table" if new is not None else ""
        summary = expectations_summary(dataset, result, self.baseline)
        self.say(f"  {dataset:<34} completed {rows}{'; ' + summary if summary else ''}".rstrip())
        for warning in result.warnings:
            self.say(f"      WARNING: {warning}")

    def failed(self, dataset: str, failure: Failure) -> None:
        first, *rest = failure_lines(failure)
        self.say(f"  {dataset:<34} FAILED: {first}")
        for line in rest:
            self.say(f"      {line}")
        if failure.expectation:
            where = self.landing or "the landing files"
            self.say(
                f"      fix or remove those rows in {where} (or change the rule), "
                f"then: uv run local-pipeline run {self.pipeline} --fresh"
            )

    def skipped(self, dataset: str) -> None:
        self.say(f"  {dataset:<34} not run (an upstream dataset failed)")


def verdict(report: RunReport) -> str:
    if report.ok:
        return f"{report.pipeline}: COMPLETED in {report.seconds:.1f} s"
    where = f" at {report.failure.dataset}" if report.failure and report.failure.dataset else ""
    return f"{report.pipeline}: FAILED{where} in {report.seconds:.1f} s (Spark's log: {report.log})"


def failure_line(report: RunReport) -> str:
    """One line for the end of `run --all`: which pipeline failed, where and why."""
    failure = report.failure or Failure()
    where = f" at {failure.dataset}" if failure.dataset else ""
    return f"{report.pipeline}: FAILED{where}: {failure_lines(failure)[0]}"
