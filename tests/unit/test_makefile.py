"""``make demo`` installs only the package; ``make test`` installs the dev extra (dry runs)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def dry_run(target: str, tmp_path: Path) -> list[str]:
    if shutil.which("make") is None:
        pytest.fail("these tests need GNU make (apt-get install make)")
    # -n prints the recipe without running it; a venv path that does not exist makes
    # every install step show, whatever the machine has installed
    result = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-n",
            "-C",
            str(ROOT),
            target,
            f"VENV={tmp_path / 'venv'}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.splitlines()


def test_make_demo_installs_the_package_without_the_dev_extra(tmp_path: Path) -> None:
    lines = dry_run("demo", tmp_path)
    installs = [line for line in lines if "pip install" in line and "--upgrade pip" not in line]
    assert installs == [f"{tmp_path / 'venv'}/bin/python -m pip install --quiet -e ."]
    assert lines[-1] == f"{tmp_path / 'venv'}/bin/langmem demo"


def test_make_test_still_installs_the_dev_extra(tmp_path: Path) -> None:
    lines = dry_run("test", tmp_path)
    assert any("pip install" in line and ".[dev]" in line for line in lines)
