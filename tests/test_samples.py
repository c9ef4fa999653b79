"""The sample files of file pipelines hold the same rows in each format: a project's tests expect
the same silver and gold whichever of json, csv or parquet its pipeline reads."""

from __future__ import annotations

import csv
import json

import pyarrow.parquet as pq

from scripts import sample_parquet

CSV_SAMPLE = sample_parquet.LANDING / "{{ pipeline }}-0001.csv"


def json_rows() -> list[dict]:
    return [json.loads(line) for line in sample_parquet.JSON_SAMPLE.read_text().splitlines() if line]


def test_the_parquet_sample_is_what_the_script_writes():
    committed = pq.read_table(sample_parquet.PARQUET_SAMPLE)

    assert committed.schema.equals(sample_parquet.SCHEMA)
    assert committed.equals(sample_parquet.table())
    assert committed.to_pylist() == json_rows()


def test_the_csv_sample_holds_the_json_rows():
    """With a header row; an empty field is a null, as Spark's CSV reader takes it."""
    with CSV_SAMPLE.open(newline="") as file:
        rows = [
            {key: None if value == "" else float(value) if key == "amount" else value for key, value in row.items()}
            for row in csv.DictReader(file)
        ]

    assert rows == json_rows()
    assert list(rows[0]) == sample_parquet.SCHEMA.names


def test_the_samples_hold_the_rows_an_expectation_catches():
    rows = json_rows()

    assert any(row["id"] is None for row in rows)
    assert any(row["category"] is None for row in rows)
    assert any(row["amount"] < 0 for row in rows)
