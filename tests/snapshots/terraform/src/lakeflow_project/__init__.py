"""Lakeflow Spark Declarative Pipelines for Lakeflow Project"""
