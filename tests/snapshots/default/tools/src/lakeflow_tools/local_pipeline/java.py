"""The Java that Apache Spark runs on (17 or later), found before Spark is started: JAVA_HOME,
else `java` on PATH, else a JDK installed where package managers put them. Without one, the
message says how to get it, in a few lines."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

LOWEST = 17
INSTALLED = (
    "/usr/lib/jvm/*",  # apt, dnf
    "/Library/Java/JavaVirtualMachines/*/Contents/Home",  # macOS installers, brew casks
    "/opt/homebrew/opt/openjdk*/libexec/openjdk.jdk/Contents/Home",  # brew on Apple silicon
    "/usr/local/opt/openjdk*/libexec/openjdk.jdk/Contents/Home",  # brew on Intel
    "~/.sdkman/candidates/java/*",  # SDKMAN
)
NONE = "No Java was found: no JAVA_HOME, no `java` on PATH, none in the usual install folders.\n"
NEEDED = f"""Apache Spark needs Java {LOWEST} or later. Install one, then run the command again:
  Debian/Ubuntu: sudo apt install openjdk-{LOWEST}-jre-headless
  macOS:         brew install openjdk@{LOWEST}
  any system:    sdk install java {LOWEST}.0.13-tem   (SDKMAN, https://sdkman.io)
If it is installed somewhere else, set JAVA_HOME to its folder."""


class NoJavaError(Exception):
    """No Java that Spark can run on; the message says what to do."""


@dataclass(frozen=True)
class Java:
    home: Path | None
    """The JDK's folder, to set as JAVA_HOME; None for the `java` on PATH."""
    version: int
    found_by_search: bool = False
    """Neither JAVA_HOME nor PATH had it: it was found in a usual install folder."""

    @property
    def environment(self) -> dict[str, str]:
        """What Spark's launcher needs to see to use this Java."""
        return {"JAVA_HOME": str(self.home)} if self.home else {}


def _version(java: Path) -> int | None:
    """The major version `java -version` reports, or None if it does not run."""
    try:
        said = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r'version "(?:1\.)?(\d+)', said)
    return int(match.group(1)) if match else None


def find() -> Java:
    """The Java Spark will use; NoJavaError if there is none of version 17 or later."""
    if java_home := os.environ.get("JAVA_HOME"):
        version = _version(Path(java_home) / "bin" / "java")
        if version is None:
            raise NoJavaError(f"JAVA_HOME is {java_home}, which has no bin/java that runs.\n{NEEDED}")
        if version < LOWEST:
            raise NoJavaError(f"JAVA_HOME is {java_home}, Java {version}.\n{NEEDED}")
        return Java(Path(java_home), version)
    old = NONE
    if on_path := shutil.which("java"):
        version = _version(Path(on_path))
        if version is not None and version >= LOWEST:
            return Java(None, version)
        old = f"The `java` on PATH ({on_path}) is Java {version or 'of an unknown version'}.\n"
    found: list[Java] = []  # the oldest that is new enough: the release Spark is tested on most
    for pattern in INSTALLED:
        folder = Path(pattern).expanduser()
        for home in Path(folder.anchor).glob(str(folder.relative_to(folder.anchor))):
            version = _version(home / "bin" / "java")
            if version is not None and version >= LOWEST:
                found.append(Java(home, version, found_by_search=True))
    if found:
        return min(found, key=lambda candidate: (candidate.version, str(candidate.home)))
    raise NoJavaError(old + NEEDED)


def using(java: Java) -> str | None:
    """A line that says which Java is used when it was found by searching, else None."""
    if java.found_by_search:
        return f"using Java {java.version} at {java.home} (set JAVA_HOME to choose another)"
    return None
