"""The integration tasks, run locally: setup lays out the sample data, validate accepts the
pipeline's own result and raises on a wrong one."""

import importlib

import pytest
from pyspark.sql import functions as F

from lakeflow_tools import sql
from lakeflow_tools.project import Project
from tests.pipelines import expected

from . import tasks

PROJECT = Project.find()
PIPELINES = list(PROJECT.pipelines())
READS_LOCAL_FILES = pytest.mark.local_spark("reads the sample files from this machine's disk")


def gold_from_logic(spark, name):
    """The gold rows the pipeline's SQL makes from the sample data, in batch, silver's drop rules
    applied (the sample data breaks no FAIL UPDATE rule)."""
    package = importlib.import_module(f"retail_insights.{name}")
    landing = spark.read.schema(package.LANDING_SCHEMA).json(str(PROJECT.sample_data(name)))
    landing.withColumn("_source_file", F.lit("sample")).createOrReplaceTempView(f"{name}_landing")
    files = {path.name: path for path in PROJECT.source_files(PROJECT.pipeline(name))}
    rows = None
    for layer in ("bronze", "silver", "gold"):
        rows = spark.sql(sql.batch_query(sql.parse(files[f"{name}_{layer}.sql"].read_text())))
        rows.createOrReplaceTempView(f"{name}_{layer}")
    return rows


def test_setup_replaces_the_landing_files(tmp_path):
    landing = tmp_path / "landing" / "orders"
    landing.mkdir(parents=True)
    (landing / "left-over.json").write_text("{}\n")

    names = tasks.replace_landing_files(PROJECT.sample_data(PIPELINES[0]), landing)

    assert sorted(p.name for p in landing.iterdir()) == sorted(names)
    assert names, "no sample files"


@READS_LOCAL_FILES
@pytest.mark.parametrize("name", PIPELINES)
def test_validate_accepts_the_pipeline_result(spark, name):
    gold_from_logic(spark, name).createOrReplaceTempView(f"{name}_gold")

    tasks.validate(spark, f"{name}_gold", expected.gold(PROJECT.sample_data(name)))


@READS_LOCAL_FILES
@pytest.mark.parametrize("name", PIPELINES)
def test_validate_raises_on_a_wrong_result(spark, name):
    wrong = gold_from_logic(spark, name).withColumn("record_count", F.col("record_count") + 1)
    wrong.createOrReplaceTempView(f"{name}_gold_wrong")

    with pytest.raises(AssertionError, match=f"{name}_gold_wrong differs"):
        tasks.validate(spark, f"{name}_gold_wrong", expected.gold(PROJECT.sample_data(name)))
