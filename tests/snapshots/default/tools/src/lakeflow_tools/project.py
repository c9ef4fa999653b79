"""The project as the bundle describes it: its pipelines, their code and configuration.

Local tools read the same resources/*.pipeline.yml that Databricks deploys, so a local run uses
the pipeline's real libraries and configuration, with only the differences made explicit.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import yaml

REFERENCE = re.compile(r"\$\{([^}]+)\}")
LOCAL_EQUIVALENTS = {"resources.volumes.landing.volume_path": "var.landing_root"}
"""Bundle references that local runs answer with one of their variables: the landing volume is
the local landing folder."""


class ProjectError(Exception):
    """A problem with the project's files, said in one line."""


@dataclass(frozen=True)
class Pipeline:
    name: str
    libraries: tuple[str, ...]
    """Glob patterns of the pipeline's source files, relative to the project root."""
    configuration: dict[str, str]

    def resolve(self, variables: dict[str, str]) -> dict[str, str]:
        """The configuration with each ${var.NAME} (or LOCAL_EQUIVALENTS) replaced; an unknown
        reference is an error."""

        def value(match: re.Match[str]) -> str:
            reference = LOCAL_EQUIVALENTS.get(match.group(1), match.group(1))
            key = reference.removeprefix("var.")
            if reference.startswith("var.") and key in variables:
                return variables[key]
            raise ProjectError(f"pipeline {self.name}: no local value for {match.group(0)}")

        return {key: REFERENCE.sub(value, str(raw)) for key, raw in self.configuration.items()}


@dataclass(frozen=True)
class Project:
    root: Path

    @classmethod
    def find(cls, start: Path | None = None) -> Project:
        """The project that contains `start` (the current directory by default)."""
        here = (start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / "databricks.yml").is_file():
                return cls(folder)
        raise ProjectError(f"no databricks.yml in {here} or above: run this inside the project")

    @property
    def package(self) -> str:
        return str(yaml.safe_load((self.root / "databricks.yml").read_text())["bundle"]["name"])

    @property
    def local_configuration(self) -> dict[str, str]:
        """Configuration that local runs set instead of the bundle's ([tool.local-pipeline])."""
        pyproject = tomllib.loads((self.root / "pyproject.toml").read_text())
        return dict(pyproject.get("tool", {}).get("local-pipeline", {}).get("configuration", {}))

    @property
    def declared_pipelines(self) -> list[str]:
        """The pipelines in the order the project was declared with (its .copier-answers.yml)."""
        try:
            answers = yaml.safe_load((self.root / ".copier-answers.yml").read_text()) or {}
        except OSError:
            return []
        return [str(name) for name in answers.get("pipelines", [])]

    def pipelines(self) -> dict[str, Pipeline]:
        """The bundle's pipelines, in declaration order (others after them, by file name)."""
        found: dict[str, Pipeline] = {}
        for path in sorted((self.root / "resources").glob("*.yml")):
            document = yaml.safe_load(path.read_text()) or {}
            for key, spec in document.get("resources", {}).get("pipelines", {}).items():
                libraries = tuple(
                    _relative_to_root(self.root, path.parent, library["glob"]["include"])
                    for library in spec.get("libraries", [])
                    if "glob" in library
                )
                found[key] = Pipeline(key, libraries, dict(spec.get("configuration", {})))
        declared = self.declared_pipelines
        return dict(
            sorted(
                found.items(),
                key=lambda item: declared.index(item[0]) if item[0] in declared else len(declared),
            )
        )

    def pipeline(self, name: str) -> Pipeline:
        pipelines = self.pipelines()
        if name not in pipelines:
            raise ProjectError(f"no pipeline {name!r}; the bundle defines {list(pipelines)}")
        return pipelines[name]

    def sample_data(self, name: str) -> Path:
        """The pipeline's sample landing files, shared by unit, local and integration tests."""
        return self.root / "tests" / "data" / name / "landing"

    def source_files(self, pipeline: Pipeline) -> list[Path]:
        files: list[Path] = []
        for pattern in pipeline.libraries:
            files += sorted(p for p in self.root.glob(pattern.removesuffix("/**") + "/**/*") if p.is_file())
        return [f for f in files if "__pycache__" not in f.parts]


def _relative_to_root(root: Path, base: Path, pattern: str) -> str:
    return Path(os.path.normpath(base / pattern)).relative_to(root.resolve()).as_posix()
