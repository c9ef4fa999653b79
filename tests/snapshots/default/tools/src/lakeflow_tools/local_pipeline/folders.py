"""Where local runs keep what they write: the state folder, .local-pipelines/ (git-ignored) or
$LOCAL_PIPELINES_DIR, with the landing copies, tables, checkpoints, the metastore and the warm
server's files. Tests point LOCAL_PIPELINES_DIR at a folder of their own, so they never touch a
developer's."""

from __future__ import annotations

import os
from pathlib import Path

from lakeflow_tools.project import Project

LOCAL_FOLDER = ".local-pipelines"
STATE_VARIABLE = "LOCAL_PIPELINES_DIR"


def local_folder(project: Project) -> Path:
    """The state folder of local runs."""
    return Path(os.environ.get(STATE_VARIABLE) or project.root / LOCAL_FOLDER).resolve()


def landing_folder(project: Project) -> Path:
    """Where local runs read landing files: the bundle variable landing_root, locally."""
    return local_folder(project) / "landing"


def warehouse(state: Path) -> Path:
    """Where local runs write their tables, one folder per dataset."""
    return state / "warehouse"


def warehouse_folder(project: Project) -> Path:
    return warehouse(local_folder(project))


def has_table(project: Project, dataset: str) -> bool:
    """Whether a local run has written the dataset: answered from disk, without Spark."""
    folder = warehouse_folder(project) / dataset
    return folder.is_dir() and any(folder.iterdir())
