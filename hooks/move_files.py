"""A migration for releases that move or rename rendered files: the team's version of each file
follows it to its new path.

Declared in copier.yml's `_migrations` for the release that moves the files, once per stage:

    - version: vX.Y.Z
      when: "{{ _stage == 'before' }}"
      command: [python3, "{{ _copier_conf.src_path }}/hooks/move_files.py", before, OLD, NEW, ...]
    - version: vX.Y.Z
      when: "{{ _stage == 'after' }}"
      command: [python3, "{{ _copier_conf.src_path }}/hooks/move_files.py", after, OLD, NEW, ...]

before: each OLD file the project still has is kept aside (in .git/, never committed) and
        removed, so that the update neither merges into it nor recreates it;
after:  each kept file is written to its NEW path, over the template's copy.

The release that moves a file must not also change its content: the team's version replaces the
template's. Change the content in a later release, where `copier update` merges it as usual.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

STORE = Path(".git") / "copier-lakeflow-moves"


def main(stage: str, paths: list[str]) -> None:
    if stage not in ("before", "after") or not paths or len(paths) % 2:
        sys.exit("usage: move_files.py before|after OLD NEW [OLD NEW ...]")
    for old, new in zip(paths[::2], paths[1::2], strict=True):
        kept = STORE / new
        if stage == "before" and Path(old).is_file():
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(old, kept)
            subprocess.run(["git", "rm", "--quiet", "--cached", "--ignore-unmatch", old], check=True)
            Path(old).unlink()
        elif stage == "after" and kept.is_file():
            Path(new).parent.mkdir(parents=True, exist_ok=True)
            shutil.move(kept, new)
    if stage == "after":
        shutil.rmtree(STORE, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
