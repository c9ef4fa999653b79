"""Lakeflow Spark Declarative Pipelines for Retail Insights"""
