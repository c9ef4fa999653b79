"""Write the Parquet sample of file pipelines from the JSON one, with the landing schema's types
(tests/test_samples.py checks that the committed file is what this writes).

    uv run python scripts/sample_parquet.py
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

LANDING = (
    Path(__file__).resolve().parents[1]
    / "template/tests/data/{% yield pipeline from pipelines %}{{ pipeline }}{% endyield %}/landing"
)
JSON_SAMPLE = LANDING / "{{ pipeline }}-0001.json"
PARQUET_SAMPLE = LANDING / "{{ pipeline }}-0001.parquet"
SCHEMA = pa.schema(
    [("id", pa.string()), ("category", pa.string()), ("amount", pa.float64()), ("event_time", pa.string())]
)


def table() -> pa.Table:
    rows = [json.loads(line) for line in JSON_SAMPLE.read_text().splitlines() if line]
    return pa.Table.from_pylist(rows, schema=SCHEMA)


def main() -> None:
    pq.write_table(table(), PARQUET_SAMPLE, compression="snappy")
    print(f"{PARQUET_SAMPLE.name} written: {table().num_rows} rows")


if __name__ == "__main__":
    main()
