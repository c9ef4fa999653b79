"""Business logic of the orders pipeline: plain DataFrame -> DataFrame functions.

No pipeline decorators here, so unit tests call these functions on small DataFrames.
"""

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

LANDING_FORMAT = "json"
LANDING_SCHEMA = "id STRING, category STRING, amount DOUBLE, event_time STRING"
"""Schema of the landing files (JSON lines)."""
LANDING_OPTIONS = {}

# Rules of the silver dataset, declared as expectations in transformations/orders_silver.py.
# Keys name the expectation (they appear in the pipeline's event log), values are SQL.
DROP_RULES = {
    "valid_id": "id IS NOT NULL AND id <> ''",
    "non_negative_amount": "amount >= 0",
}
FAIL_RULES = {
    "valid_event_time": "event_time IS NOT NULL",
}
WARN_RULES = {
    "known_category": "category IS NOT NULL",
}


def clean(bronze: DataFrame) -> DataFrame:
    """Typed, trimmed records, with the day each event happened."""
    event_time = F.try_to_timestamp(F.col("event_time"))
    return bronze.select(
        F.trim("id").alias("id"),
        F.lower(F.trim("category")).alias("category"),
        F.col("amount").cast("decimal(12,2)").alias("amount"),
        event_time.alias("event_time"),
        F.to_date(event_time).alias("event_date"),
    )


def daily_summary(silver: DataFrame) -> DataFrame:
    """Records and total amount per day and category (missing categories as 'unknown')."""
    category = F.coalesce("category", F.lit("unknown")).alias("category")
    return silver.groupBy("event_date", category).agg(
        F.count("*").alias("record_count"),
        F.sum("amount").alias("total_amount"),
    )
