"""Finding 16: dependency floors allowed releases with published advisories
(starlette < 0.47.2, python-multipart < 0.0.18, h11 < 0.16, cryptography <
44.0.1), and there was no lock file. The floors are above every advisory
known here, and ``requirements.lock`` pins every runtime package with hashes."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
# package: the first release without a published advisory (the advisory fixed there)
SAFE_FROM = {
    "starlette": "0.49.1",  # CVE-2025-54121 (0.47.2), CVE-2025-62727 (0.49.1)
    "python-multipart": "0.0.22",  # CVE-2024-53981 (0.0.18), arbitrary file write (0.0.22)
    "h11": "0.16",  # CVE-2025-43859
    "cryptography": "44.0.1",  # CVE-2024-12797
    "aiosmtpd": "1.4.6",  # CVE-2024-27305 (1.4.5), CVE-2024-34083 (1.4.6)
    "tqdm": "4.66.3",  # CVE-2024-34062
    "jinja2": "3.1.6",  # CVE-2024-56201, CVE-2024-56326 (3.1.5), CVE-2025-27516 (3.1.6)
}


def _requirements() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {(r := Requirement(line)).name.lower(): r for line in project["dependencies"]}


def test_every_floor_is_above_the_known_advisories() -> None:
    requirements = _requirements()
    for name, safe in SAFE_FROM.items():
        floors = [Version(s.version) for s in requirements[name].specifier if s.operator in (">=", "==", "~=")]
        assert floors and min(floors) >= Version(safe), f"{name}: floor {floors} is below {safe}"


def test_the_lock_file_pins_every_runtime_dependency_with_hashes_within_the_floors() -> None:
    lock = (ROOT / "requirements.lock").read_text()
    pinned = {m.group(1).lower(): Version(m.group(2)) for m in re.finditer(r"^([A-Za-z0-9_.-]+)==(\S+) \\$", lock, re.MULTILINE)}
    for name, requirement in _requirements().items():
        assert name in pinned, f"{name} is not in requirements.lock"
        assert requirement.specifier.contains(pinned[name]), f"{name}=={pinned[name]} is outside {requirement.specifier}"
    blocks = re.split(r"\n(?=[A-Za-z0-9_.-]+==)", lock.split("\n", 6)[-1])
    assert all("--hash=sha256:" in block for block in blocks if "==" in block)
