"""The table of source kinds (includes/source_kinds.yml) is the one place a kind is defined: each
row is whole and its own files exist, and outside the table only the question and the tests'
expected data spell a kind's name."""

from __future__ import annotations

import re

import pytest
import yaml

from .conftest import TEMPLATE

TABLE = yaml.safe_load((TEMPLATE / "includes/source_kinds.yml").read_text())
COLUMNS = {"description", "feed", "format", "format_name", "samples"}
FEEDS = {"files", "changes", "snapshots"}
PIPELINE = "{% yield pipeline from pipelines %}{{ pipeline }}{% endyield %}"
SAMPLES = TEMPLATE / "template/tests/data" / PIPELINE / "landing"
TRANSFORMATIONS = TEMPLATE / "template/src/{{ project_slug }}" / PIPELINE / "transformations"
# The files that may spell a kind's name: the table, the question, the expected data.
SPELLERS = {"includes/source_kinds.yml", "copier.yml", "template/tests/pipelines/expected.py.jinja"}


@pytest.mark.parametrize("name", TABLE)
def test_each_row_is_whole(name):
    row = TABLE[name]

    assert COLUMNS <= set(row), COLUMNS - set(row)
    assert row["feed"] in FEEDS
    assert (row.get("scd_type") in (1, 2)) == (row["feed"] != "files")
    assert re.fullmatch(r"[a-z][a-z0-9_]*", name)


@pytest.mark.parametrize("name", TABLE)
def test_each_rows_own_files_exist(name):
    row = TABLE[name]
    samples = [path.name for path in SAMPLES.iterdir()]

    for sample in row["samples"]:
        assert [s for s in samples if re.fullmatch(re.escape("{{ pipeline }}-") + sample.replace("*", ".*"), s)]
    for dataset in row.get("datasets", []) + row.get("python_datasets", []):
        assert list(TRANSFORMATIONS.glob(f"{{{{ pipeline }}}}_{dataset}.*.jinja")), dataset


def test_only_the_table_the_question_and_the_expected_data_spell_a_kind():
    """Kinds whose name is not also a file format (json, csv and parquet name both)."""
    formats = {row["format"] for row in TABLE.values()}
    names = [name for name in TABLE if name not in formats]
    files = [*(TEMPLATE / "includes").iterdir(), TEMPLATE / "copier.yml", *(TEMPLATE / "template").rglob("*")]
    spelling = {
        path.relative_to(TEMPLATE).as_posix()
        for path in files
        if path.is_file() and path.suffix != ".parquet" and any(name in path.read_text() for name in names)
    }

    assert names
    assert spelling <= SPELLERS
