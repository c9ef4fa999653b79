"""A small project on disk, shaped as generated projects are, for the tools' tests: a bundle with
one Python and one SQL pipeline, their transformation files, configuration and sample data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lakeflow_tools.project import Project

FIXTURE = Path(__file__).parent / "fixtures" / "project"


@pytest.fixture
def project(tmp_path) -> Project:
    return Project(Path(shutil.copytree(FIXTURE, tmp_path / "project")))
