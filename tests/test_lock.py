"""requirements.lock is what a fresh clone installs (`make install`, CI): every dependency,
transitive ones too, pinned with hashes. pyproject.toml's pins must be in it at the same
versions, so a changed dependency without `make lock` fails here rather than installing
something CI never tested."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked() -> dict[str, tuple[str, list[str]]]:
    """Each locked package: its version and its hashes."""
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    found = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        pin = re.match(r"([A-Za-z0-9_.-]+)==([^\s\\]+)", block)
        if pin:
            found[normal(pin[1])] = (pin[2], re.findall(r"--hash=sha256:([0-9a-f]{64})", block))
    return found


def test_every_pin_of_pyproject_is_locked_at_its_version():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    lock = locked()
    for pin in map(Requirement, pins):
        (version,) = [spec.version for spec in pin.specifier if spec.operator == "=="]
        assert lock.get(normal(pin.name), (None,))[0] == version, f"{pin}: run `make lock`"


def test_every_locked_package_has_hashes():
    lock = locked()
    assert len(lock) > 40  # the transitive ones too, not only the direct pins
    assert all(hashes for _, hashes in lock.values()), [n for n, (_, h) in lock.items() if not h]
