"""The gold results a pipeline must produce from landing files, computed in plain Python,
independently of the pipeline's code, for the end-to-end tests."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path


def records(landing: Path) -> list[dict]:
    return [
        json.loads(line)
        for path in sorted(landing.glob("*.json"))
        for line in path.read_text().splitlines()
        if line
    ]


def _event_date(text: str | None) -> dt.date | None:
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC).date()
    except (AttributeError, ValueError):
        return None


def gold(landing: Path) -> dict[tuple[str, str], tuple[int, Decimal]]:
    """{(event date, category): (records, total amount)} of the valid records."""
    summary: dict[tuple[str, str], list] = defaultdict(lambda: [0, Decimal("0.00")])
    for record in records(landing):
        record_id = (record.get("id") or "").strip()
        amount = record.get("amount")
        day = _event_date(record.get("event_time"))
        if not record_id or amount is None or amount < 0 or day is None:
            continue
        category = (record.get("category") or "").strip().lower() or "unknown"
        row = summary[(day.isoformat(), category)]
        row[0] += 1
        row[1] += Decimal(str(amount)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return {key: (count, total) for key, (count, total) in summary.items()}
