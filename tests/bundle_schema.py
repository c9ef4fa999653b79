"""The official bundle JSON schema, found as ../shared/schemas/README.md says, and a validator for it.

The schema's patterns use Unicode classes (\\p{L}) that Python's `re` lacks, so patterns are
matched with the `regex` module.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess

import jsonschema
import pytest
import regex
from jsonschema import validators
from jsonschema.exceptions import ValidationError

HOW_TO_PROVIDE = (
    "no bundle schema: set DATABRICKS_BUNDLE_SCHEMA to a file written by `databricks bundle schema`, "
    "or put the Databricks CLI on PATH"
)


@functools.cache
def load() -> dict | None:
    if path := os.environ.get("DATABRICKS_BUNDLE_SCHEMA"):
        with open(path) as handle:
            return json.load(handle)
    if cli := shutil.which("databricks"):
        return json.loads(subprocess.run([cli, "bundle", "schema"], check=True, capture_output=True).stdout)
    return None


def _pattern(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and not regex.search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


BundleValidator = validators.extend(jsonschema.Draft7Validator, {"pattern": _pattern})


@functools.cache
def validator() -> jsonschema.protocols.Validator:
    schema = load()
    if schema is None:
        pytest.skip(HOW_TO_PROVIDE)
    return BundleValidator(schema)


def _deepest(error: ValidationError) -> ValidationError:
    """The innermost cause: most fields are `oneOf` (a value, or a ${var.x} reference), which
    would otherwise report every mistake at the top of the file."""
    while error.context:
        error = max(error.context, key=lambda e: len(e.absolute_path))
    return error


def errors(document: dict) -> list[str]:
    """Every schema violation of one bundle file, as `path: message` lines."""
    found = sorted(
        (_deepest(e) for e in validator().iter_errors(document)), key=lambda e: list(map(str, e.absolute_path))
    )
    return [f"{'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in found]
