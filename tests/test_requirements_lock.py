"""The lock files (pip-compile --generate-hashes) pin every package, the dependencies' dependencies
included, with its hashes, at the versions requirements*.txt ask for; the image installs from
them with --require-hashes. Installing them is checked by hand (see requirements.txt): this test
keeps them in step with what the requirements ask for."""

import re

import pytest

from tests.processes import ROOT

LOCKS = {
    "requirements.lock": ["requirements.txt"],
    "requirements-s3.lock": ["requirements.txt", "requirements-s3.txt"],
    "requirements-dev.lock": ["requirements-dev.txt", "requirements.txt"],
}


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def asked_for(filename: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / filename).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-r"):
            continue
        name, _, version = line.partition("==")
        assert version, f"{filename}: {line} is not pinned"
        pins[normalized(name.split("[", 1)[0])] = version.strip()
    return pins


def locked(filename: str) -> dict[str, list[str]]:
    """{package: [version, hash, hash, ...]} of a lock file."""
    entries: dict[str, list[str]] = {}
    current = None
    for line in (ROOT / filename).read_text().splitlines():
        if match := re.match(r"^([A-Za-z0-9_.\-]+)==([^\s\\;]+)", line):
            current = normalized(match.group(1))
            entries[current] = [match.group(2)]
        elif current and (match := re.search(r"--hash=sha256:([0-9a-f]{64})", line)):
            entries[current].append(match.group(1))
    return entries


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_locked_package_has_hashes(lock):
    entries = locked(lock)

    assert entries
    assert [name for name, (version, *hashes) in entries.items() if not hashes] == []


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_the_lock_pins_what_the_requirements_ask_for(lock):
    entries = locked(lock)
    for requirements in LOCKS[lock]:
        for name, version in asked_for(requirements).items():
            assert name in entries, f"{name} ({requirements}) is missing from {lock}: regenerate it"
            assert entries[name][0] == version, f"{lock} has {name}=={entries[name][0]}, {requirements} asks {version}"


def test_the_image_installs_only_hash_checked_packages():
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert "--require-hashes" in dockerfile
    assert "pip install -r requirements" not in dockerfile
