"""Java for Spark, found before Spark starts: JAVA_HOME, PATH, or a JDK where package managers
install them; without one, a few lines that say how to get it."""

import pytest

from lakeflow_tools.local_pipeline import java


def fake_jdk(folder, version: str):
    """A JDK folder whose bin/java reports the version as `java -version` does (on stderr)."""
    binary = folder / "bin" / "java"
    binary.parent.mkdir(parents=True)
    binary.write_text(f"#!/bin/sh\necho 'openjdk version \"{version}\" 2025-01-21' >&2\n")
    binary.chmod(0o755)
    return folder


@pytest.fixture
def no_java(tmp_path, monkeypatch):
    """No JAVA_HOME, no java on PATH, and the usual install folders are this test's own."""
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(java, "INSTALLED", (str(tmp_path / "jvm" / "*"),))
    return tmp_path / "jvm"


def test_without_java_the_message_says_what_to_do(no_java):
    with pytest.raises(java.NoJavaError) as raised:
        java.find()

    message = str(raised.value)
    assert "Java 17 or later" in message
    for way in ("apt install", "brew install", "sdk install", "JAVA_HOME"):
        assert way in message
    assert len(message.splitlines()) <= 7


def test_an_installed_jdk_is_found_and_named(no_java):
    fake_jdk(no_java / "java-11-openjdk", "11.0.2")
    home = fake_jdk(no_java / "java-17-openjdk", "17.0.13")

    found = java.find()

    assert (found.home, found.version, found.found_by_search) == (home, 17, True)
    assert found.environment == {"JAVA_HOME": str(home)}
    assert java.using(found) == f"using Java 17 at {home} (set JAVA_HOME to choose another)"


def test_java_home_is_used_as_it_is_and_an_old_one_is_refused(no_java, monkeypatch):
    monkeypatch.setenv("JAVA_HOME", str(fake_jdk(no_java / "jdk-21", "21.0.5")))
    assert java.find().version == 21
    assert java.using(java.find()) is None

    monkeypatch.setenv("JAVA_HOME", str(fake_jdk(no_java / "jdk-8", "1.8.0_402")))
    with pytest.raises(java.NoJavaError, match="Java 8"):
        java.find()
