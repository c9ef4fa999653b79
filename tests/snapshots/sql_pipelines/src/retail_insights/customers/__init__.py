"""The customers pipeline: datasets in transformations/ (SQL), its landing files read by
transformations/customers_landing.py."""

LANDING_SCHEMA = "id STRING, category STRING, amount DOUBLE, event_time STRING"
"""Schema of the landing files (JSON lines)."""
