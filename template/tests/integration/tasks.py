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
from decimal import Decimal
from pathlib import Path

from pyspark.sql import SparkSession

Gold = dict[tuple[str, str], tuple[int, Decimal]]


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


def create_schema_and_volume(spark: SparkSession, landing: str) -> None:
    """The schema and volume of /Volumes/<catalog>/<schema>/<volume>/..., if missing (Databricks)."""
    catalog, schema, volume = landing.strip("/").split("/")[1:4]
    spark.sql(f"CREATE SCHEMA IF NOT EXISTS `{catalog}`.`{schema}`")
    spark.sql(f"CREATE VOLUME IF NOT EXISTS `{catalog}`.`{schema}`.`{volume}`")


def gold_of(spark: SparkSession, table: str) -> Gold:
    return {
        (row.event_date.isoformat(), row.category): (row.record_count, row.total_amount)
        for row in spark.read.table(table).collect()
    }


def validate(spark: SparkSession, table: str, wanted: Gold) -> None:
    """Raise AssertionError, naming every difference, unless the gold table holds `wanted`."""
    actual = gold_of(spark, table)
    if actual != wanted:
        lines = [f"{table} differs from what the sample data gives:"]
        for key in sorted(set(actual) | set(wanted)):
            if actual.get(key) != wanted.get(key):
                lines.append(f"  {key}: expected {wanted.get(key)}, found {actual.get(key)}")
        raise AssertionError("\n".join(lines))


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
    if args.task == "setup":
        create_schema_and_volume(spark, args.landing)
        names = replace_landing_files(sample, Path(args.landing))
        print(f"{args.landing}: {', '.join(names)}")
    else:
        table = f"`{args.catalog}`.`{args.schema}`.`{args.pipeline}_gold`"
        validate(spark, table, expected.gold(sample))
        print(f"{table} holds what the sample data gives")


if __name__ == "__main__":
    main()
