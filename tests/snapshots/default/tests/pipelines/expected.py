"""What each pipeline must produce from its sample data, worked out without the pipeline's code:
the gold table of a file pipeline computed in plain Python, the tables of a change-feed pipeline
written out by hand. Unit, local and integration tests compare the real tables with these.

Rows are tuples of text (None for NULL), in the columns GOLD_COLUMNS and SILVER_COLUMNS name.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

SOURCES = {
    "orders": "json",
}
"""Each pipeline's source (copier.yml, question pipeline_sources)."""
FEEDS = {
    "orders": "files",
}
"""What each pipeline's source gives: landing `files`, `changes` applied with AUTO CDC, or
`snapshots` compared with AUTO CDC FROM SNAPSHOT."""
FORMATS = {
    "orders": "json",
}
"""The format of each pipeline's landing files."""
SCD_TYPES: dict[str, int] = {}
"""The SCD type each AUTO CDC table keeps (change feeds and snapshots)."""

GOLD_COLUMNS = {
    "files": ("event_date", "category", "record_count", "total_amount"),
    "changes": ("tier", "record_count"),
    "snapshots": ("tier", "record_count"),
}
SILVER_COLUMNS = {
    1: ("id", "full_name", "tier"),
    2: ("id", "full_name", "tier", "__START_AT", "__END_AT"),
}
"""The columns of an AUTO CDC table compared, by its SCD type."""

# The change feed of tests/data/<pipeline>/landing/, applied by hand. c-001's late UPDATE (4, in
# the second file) loses to UPDATE 5 in type 1 and is a version of its own in type 2; c-002's
# UPDATE 9 repeats its values (no new version); c-003 is deleted at 6; the change without an id
# and the UPSERT are dropped by the changes' rules.
# The snapshots of tests/data/<pipeline>/landing/ (versions 1 to 3), compared by hand: c-001
# changes tier at 2, c-002 only in spelling (no new version), c-003 leaves at 3, c-004 arrives at
# 2 and loses its tier at 3; the row without an id is left out.
SILVER_TABLES = {
    ("changes", 1): {
        ("c-001", "Ada", "platinum"),
        ("c-002", "Grace", "silver"),
        ("c-005", "Barbara", None),
    },
    ("changes", 2): {
        ("c-001", "Ada", "gold", "1", "4"),
        ("c-001", "Ada", "silver", "4", "5"),
        ("c-001", "Ada", "platinum", "5", None),
        ("c-002", "Grace", "silver", "2", None),
        ("c-003", "Linus", "bronze", "3", "6"),
        ("c-005", "Barbara", None, "10", None),
    },
    ("snapshots", 2): {
        ("c-001", "Ada", "gold", "1", "2"),
        ("c-001", "Ada", "platinum", "2", None),
        ("c-002", "Grace", "silver", "1", None),
        ("c-003", "Linus", "bronze", "1", "3"),
        ("c-004", "Ken", "gold", "2", "3"),
        ("c-004", "Ken", None, "3", None),
    },
}


def landed(frame):
    """Rows as the landing reader gives them: with the rescued-data column (NULL) and their file."""
    from pyspark.sql import functions as F

    return frame.select(
        "*", F.lit(None).cast("string").alias("_rescued_data"), F.lit("f").alias("_source_file")
    )


def kind(pipeline: str) -> str:
    return FEEDS[pipeline]


def records(landing: Path) -> list[dict]:
    """The landing files' records, whatever their format."""
    found: list[dict] = []
    for path in sorted(landing.iterdir()):
        if path.suffix == ".json":
            found += [json.loads(line) for line in path.read_text().splitlines() if line]
        elif path.suffix == ".csv":
            with path.open(newline="") as rows:
                found += [{key: value or None for key, value in row.items()} for row in csv.DictReader(rows)]
        elif path.suffix == ".parquet":
            import pyarrow.parquet as pq

            found += pq.read_table(path).to_pylist()
    return found


def write_records(path: Path, rows: list[dict]) -> Path:
    """Records as a landing file, in the format its suffix names (what records() reads)."""
    if path.suffix == ".csv":
        with path.open("w", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    elif path.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), path)
    else:
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def _event_date(text: str | None) -> dt.date | None:
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC).date()
    except (AttributeError, ValueError):
        return None


def _daily_summary(landing: Path) -> set[tuple]:
    """(event date, category, records, total amount) of the valid records."""
    summary: dict[tuple[str, str], list] = defaultdict(lambda: [0, Decimal("0.00")])
    for record in records(landing):
        record_id = (record.get("id") or "").strip()
        amount = None if record.get("amount") is None else Decimal(str(record["amount"]))
        day = _event_date(record.get("event_time"))
        if not record_id or amount is None or amount < 0 or day is None:
            continue
        category = (record.get("category") or "").strip().lower() or "unknown"
        row = summary[(day.isoformat(), category)]
        row[0] += 1
        row[1] += amount.quantize(Decimal("0.01"), ROUND_HALF_UP)
    return {(day, category, str(count), str(total)) for (day, category), (count, total) in summary.items()}


def silver_columns(pipeline: str) -> tuple[str, ...]:
    """The columns of an AUTO CDC table that silver() holds."""
    return SILVER_COLUMNS[SCD_TYPES[pipeline]]


def silver(pipeline: str) -> set[tuple] | None:
    """The AUTO CDC table a pipeline must leave; None for file pipelines."""
    return SILVER_TABLES[(FEEDS[pipeline], SCD_TYPES[pipeline])] if pipeline in SCD_TYPES else None


def gold(pipeline: str, landing: Path) -> set[tuple]:
    if kind(pipeline) == "files":
        return _daily_summary(landing)
    current = [row for row in silver(pipeline) if len(row) == 3 or row[4] is None]
    tiers: dict[str, int] = defaultdict(int)
    for row in current:
        tiers[row[2] or "unknown"] += 1
    return {(tier, str(count)) for tier, count in tiers.items()}
