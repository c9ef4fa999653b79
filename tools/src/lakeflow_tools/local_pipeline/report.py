"""What a local run prints: a table of datasets and expectations, or one line on failure."""

from __future__ import annotations

from .runner import Report

KIND = {"streaming_table": "streaming table", "materialized_view": "materialized view"}


def _expectation(rule: dict) -> str:
    broken, rows = rule["violations"], rule["input_rows"]
    if rule["action"] == "drop":
        outcome = f"dropped {broken} of {rows} rows"
    elif rule["action"] == "fail":
        outcome = f"passed on {rows} rows"
    else:
        outcome = f"{broken} of {rows} rows kept with a warning"
    return f"      {rule['action']:<5} {rule['name']:<28} {outcome}"


def failure_line(report: Report) -> str:
    failure = report.failure or {}
    where = f" at {failure['dataset']}" if failure.get("dataset") else ""
    if failure.get("expectation"):
        why = f"expectation '{failure['expectation']}' ({failure['constraint']}) failed"
    else:
        why = failure.get("message", "unknown error")
    return f"{report.pipeline}: FAILED{where}: {why}"


def render(report: Report) -> str:
    if not report.ok:
        return f"{failure_line(report)}\n  Spark's log: {report.log}"
    lines = [f"{report.pipeline}: COMPLETED in {report.seconds:.1f} s"]
    for name, dataset in report.datasets.items():
        lines.append(
            f"  {name:<34} {KIND.get(dataset['kind'], dataset['kind']):<18} {dataset['rows']:>8} rows"
        )
        lines += [_expectation(rule) for rule in dataset["expectations"]]
    return "\n".join(lines)
