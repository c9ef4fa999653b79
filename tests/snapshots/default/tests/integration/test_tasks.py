"""The integration tasks, run locally: setup lays out the sample data, validate accepts the
pipeline's own result, computed here in batch from the sample data, and raises on a wrong one."""

import importlib

import pytest
from pyspark.sql import functions as F

from lakeflow_project import auto_cdc, landing
from lakeflow_tools.project import Project
from tests.pipelines import expected

from . import tasks

PROJECT = Project.find()
PIPELINES = list(PROJECT.pipelines())
READS_LOCAL_FILES = pytest.mark.local_spark("reads the sample files from this machine's disk")


def sample_rows(spark, name, schema, file_format, options):
    """The sample files as the landing reader gives them: the schema, rescued data, the file."""
    reader = spark.read.format(file_format).options(**options).schema(schema)
    return expected.landed(reader.load(str(PROJECT.sample_data(name))))


def snapshots_applied(spark, name, logic):
    """A snapshot pipeline's silver from its sample snapshots, as its silver reads and compares them."""

    def next_snapshot(latest_version):
        folder = str(PROJECT.sample_data(name))
        found = landing.next_snapshot(
            spark, latest_version, logic.LANDING_SCHEMA, logic.LANDING_FORMAT, logic.LANDING_OPTIONS, folder
        )
        return None if found is None else (logic.snapshot(found[0]), found[1])

    return auto_cdc.snapshots_applied(next_snapshot, keys=logic.KEYS, stored_as_scd_type=logic.SCD_TYPE)


def tables_from_logic(spark, name):
    """The pipeline's silver and gold from the sample data through its logic, in batch, with
    the drop rules applied (the sample data breaks no fail rule)."""
    logic = importlib.import_module(f"lakeflow_project.{name}.logic")
    if expected.kind(name) == "snapshots":
        silver = snapshots_applied(spark, name, logic)
        return {"silver": silver, "gold": logic.tier_summary(logic.current(silver))}
    bronze = sample_rows(spark, name, logic.LANDING_SCHEMA, logic.LANDING_FORMAT, logic.LANDING_OPTIONS)
    keep = " AND ".join(f"coalesce(({rule}), false)" for rule in logic.DROP_RULES.values())
    if expected.kind(name) == "files":
        silver = logic.clean(bronze).where(keep)
        return {"silver": silver, "gold": logic.daily_summary(silver)}
    silver = auto_cdc.applied(
        logic.clean_changes(bronze).where(keep),
        keys=logic.KEYS,
        sequence_by=logic.SEQUENCE_BY,
        apply_as_deletes=logic.DELETE_WHEN,
        except_column_list=logic.EXCEPT_COLUMNS,
        stored_as_scd_type=logic.SCD_TYPE,
        track_history_except_column_list=getattr(logic, "UNTRACKED_COLUMNS", None),
    )
    return {"silver": silver, "gold": logic.tier_summary(logic.current(silver))}


def test_setup_replaces_the_landing_files(tmp_path):
    landing_folder = tmp_path / "landing" / "orders"
    landing_folder.mkdir(parents=True)
    (landing_folder / "left-over.json").write_text("{}\n")

    names = tasks.replace_landing_files(PROJECT.sample_data(PIPELINES[0]), landing_folder)

    assert sorted(p.name for p in landing_folder.iterdir()) == sorted(names)
    assert names, "no sample files"


def views(tables, name, suffix=""):
    for layer in ("silver", "gold"):
        tables[layer].createOrReplaceTempView(f"{name}_{layer}{suffix}")
    return {layer: f"{name}_{layer}{suffix}" for layer in ("silver", "gold")}


@READS_LOCAL_FILES
@pytest.mark.parametrize("name", PIPELINES)
def test_validate_accepts_the_pipeline_result(spark, name):
    tables = views(tables_from_logic(spark, name), name)

    tasks.validate(spark, tables, name, PROJECT.sample_data(name), expected)


@READS_LOCAL_FILES
@pytest.mark.parametrize("name", PIPELINES)
def test_validate_raises_on_a_wrong_result(spark, name):
    built = tables_from_logic(spark, name)
    built["gold"] = built["gold"].withColumn("record_count", F.col("record_count") + 1)
    tables = views(built, name, "_wrong")

    with pytest.raises(AssertionError, match=f"{name}_gold_wrong differs"):
        tasks.validate(spark, tables, name, PROJECT.sample_data(name), expected)
