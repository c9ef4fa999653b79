"""The orders pipeline: logic in logic.py, dataset declarations in transformations/."""
