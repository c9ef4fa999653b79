"""The orders pipeline: datasets in transformations/ (SQL), its landing files read by
transformations/orders_landing.py."""

LANDING_SCHEMA = "id STRING, category STRING, amount DOUBLE, event_time STRING"
"""Schema of the landing files (JSON lines)."""
