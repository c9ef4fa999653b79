"""MkDocs hook: the answers reference (docs/answers.md) is generated from copier.yml at build
time, so the documentation and the questions cannot drift."""

from __future__ import annotations

from pathlib import Path

import jinja2
import yaml

TEMPLATE = Path(__file__).parents[2]
COPIER_YML = TEMPLATE / "copier.yml"
MARKER = "<!-- answers -->"


def questions() -> dict[str, dict]:
    """copier.yml's questions, in order (its first YAML document; the second is versions)."""
    settings = yaml.safe_load(COPIER_YML.read_text().split("\n---")[0])
    return {name: spec for name, spec in settings.items() if not name.startswith("_")}


def _help(text: str) -> str:
    """A help text as Copier shows it: rendered, for those that list the table of source kinds."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE), extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"]
    )
    return environment.from_string(text).render()


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _values(spec: dict) -> str:
    choices = spec.get("choices")
    if isinstance(choices, dict):
        values = ", ".join(f"`{value}` ({label})" for label, value in choices.items())
    elif choices:
        values = ", ".join(f"`{value}`" for value in choices)
    else:
        values = spec.get("type", "str")
    return values + (" (several)" if spec.get("multiselect") else "")


def _yaml(value: object) -> str:
    """A default as a user would write it in an answers file: YAML, in flow style."""
    return value if isinstance(value, str) else yaml.safe_dump(value, default_flow_style=True).strip()


def reference() -> str:
    rows = ["| question | values | default | what it changes |", "| --- | --- | --- | --- |"]
    for name, spec in questions().items():
        default = spec.get("default", "")
        shown = f"`{_cell(_yaml(default))}`" if "{{" not in str(default) else "derived from the other answers"
        asked = " Asked when you choose to customise." if "ask" in spec else ""
        asked += f" Only when `{_cell(spec['when'])}`." if "when" in spec else ""
        rows.append(f"| `{name}` | {_values(spec)} | {shown} | {_cell(_help(spec.get('help', '')))}{asked} |")
    return "\n".join(rows)


def on_page_markdown(markdown: str, page, config, files) -> str:  # MkDocs passes all four
    return markdown.replace(MARKER, reference()) if MARKER in markdown else markdown
