"""Shared fixtures: the template, its canonical answer sets, and their renders (one per session)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from copier import run_copy

TEMPLATE = Path(__file__).resolve().parents[1]
ANSWERS = Path(__file__).parent / "answers"
ANSWER_SETS = sorted(path.stem for path in ANSWERS.glob("*.yml"))
LOCAL_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


def copier_settings() -> dict:
    """copier.yml's first document: the settings and the questions (the versions come after)."""
    return yaml.safe_load((TEMPLATE / "copier.yml").read_text().split("\n---")[0])


def questions() -> dict[str, dict]:
    return {name: spec for name, spec in copier_settings().items() if not name.startswith("_")}


def load_answers(name: str) -> dict:
    return yaml.safe_load((ANSWERS / f"{name}.yml").read_text()) or {}


def render(destination: Path, answers: dict) -> Path:
    """Render the template's working tree as `copier copy --defaults` would."""
    run_copy(
        str(TEMPLATE),
        str(destination),
        data=answers,
        defaults=True,
        vcs_ref="HEAD",
        quiet=True,
    )
    return destination


@pytest.fixture(scope="session")
def rendered(copie_session) -> Callable[[str], Path]:
    """Render an answer set of tests/answers/ once per session, with pytest-copie."""
    cache: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in cache:
            result = copie_session.copy(extra_answers=load_answers(name))
            if result.exception is not None:
                raise result.exception
            cache[name] = result.project_dir
        return cache[name]

    return get


@pytest.fixture(params=ANSWER_SETS)
def answer_set(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def project(rendered, answer_set) -> Path:
    return rendered(answer_set)


@pytest.fixture
def answers(project: Path) -> dict:
    """The answers the project was rendered with, as Copier recorded them."""
    return yaml.safe_load((project / ".copier-answers.yml").read_text())
