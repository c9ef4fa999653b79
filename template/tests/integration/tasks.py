"""Setup and validate tasks of the integration-test jobs (resources/<pipeline>.integration_test.job.yml).

    python tests/integration/tasks.py setup --pipeline=P --root=ROOT --catalog=C --schema=S --landing=DIR
    python tests/integration/tasks.py validate --pipeline=P --root=ROOT --catalog=C --schema=S

Both use the pipeline's sample data, tests/data/<pipeline>/landing/, like the unit and local tests.
ROOT is the project's folder (the bundle's ${workspace.file_path} on Databricks).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from pyspark.sql import SparkSession


def sample_data(root: Path, pipeline: str) -> Path:
    return root / "tests" / "data" / pipeline / "landing"


def replace_landing_files(sample: Path, landing: Path) -> list[str]:
    """Make the landing folder hold exactly the sample files, so every test starts the same."""
    landing.mkdir(parents=True, exist_ok=True)
    for old in landing.iterdir():
        if old.is_file():
            old.unlink()
    names = []
    for path in sorted(sample.glob("*")):
        shutil.copyfile(path, landing / path.name)  # no metadata: volumes refuse chmod
        names.append(path.name)
    return names


def rows_of(spark: SparkSession, table: str, columns: tuple[str, ...]) -> set[tuple]:
    """The table's rows in these columns, as text (None for NULL), like tests/pipelines/expected.py."""
    found = spark.read.table(table).select(*columns).collect()
    return {tuple(None if value is None else str(value) for value in row) for row in found}


def check(spark: SparkSession, table: str, columns: tuple[str, ...], wanted: set[tuple]) -> None:
    """Raise AssertionError, naming every missing and unexpected row, unless the table holds `wanted`."""
    actual = rows_of(spark, table, columns)
    if actual != wanted:
        lines = [f"{table} differs from what the sample data gives ({', '.join(columns)}):"]
        lines += [f"  missing    {row}" for row in sorted(wanted - actual, key=str)]
        lines += [f"  unexpected {row}" for row in sorted(actual - wanted, key=str)]
        raise AssertionError("\n".join(lines))


def validate(spark: SparkSession, tables: dict[str, str], pipeline: str, sample: Path, expected) -> None:
    """The pipeline's silver (for a change feed: the AUTO CDC table) and gold tables against
    what its sample data gives (tests/pipelines/expected.py)."""
    kind = expected.kind(pipeline)
    if (silver := expected.silver(pipeline)) is not None:
        check(spark, tables["silver"], expected.silver_columns(pipeline), silver)
    check(spark, tables["gold"], expected.GOLD_COLUMNS[kind], expected.gold(pipeline, sample))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", choices=["setup", "validate"])
    parser.add_argument("--pipeline", required=True)
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--catalog", required=True)
    parser.add_argument("--schema", required=True)
    parser.add_argument("--landing", help="the pipeline's landing folder (setup)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(args.root))  # for tests.pipelines.expected, as in local tests
    from tests.pipelines import expected

    spark = SparkSession.builder.getOrCreate()
    sample = sample_data(args.root, args.pipeline)
    if args.task == "setup":  # the bundle deploys the schema and its landing volume
        names = replace_landing_files(sample, Path(args.landing))
        print(f"{args.landing}: {', '.join(names)}")
    else:
        tables = {
            layer: f"`{args.catalog}`.`{args.schema}`.`{args.pipeline}_{layer}`"
            for layer in ("silver", "gold")
        }
        validate(spark, tables, args.pipeline, sample, expected)
        print(f"{', '.join(tables.values())} hold what the sample data gives")


if __name__ == "__main__":
    main()
