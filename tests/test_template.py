"""The provider template and `new-provider`: a vendor's starting point must work."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from variant_providers.cli import main
from variant_providers.providers.template import plugin as template_plugin
from variant_providers.scaffold import NewProviderError, new_provider
from variant_providers.testing import ConformanceError, check_fixture, check_provider

from .conftest import REPO

TEMPLATE_MACHINES = sorted((REPO / "providers" / "template" / "machines").iterdir())


def test_template_passes_its_own_checks() -> None:
    check_provider(template_plugin, TEMPLATE_MACHINES)
    for machine in TEMPLATE_MACHINES:
        check_fixture(template_plugin, machine)


def test_check_fixture_catches_a_wrong_expectation(tmp_path: Path) -> None:
    machine = tmp_path / "wrong"
    (machine / "root/sys/class/acme/acme0").mkdir(parents=True)
    (machine / "root/sys/class/acme/acme0/generation").write_text("2\n")
    (machine / "machine.json").write_text(
        '{"platform": {"system": "Linux", "machine": "x86_64"},'
        ' "expected": {"acme": {"features": {"generation": ["g3", "g2", "g1"]}}}}'
    )
    with pytest.raises(ConformanceError, match="features"):
        check_fixture(template_plugin, machine)


def test_new_provider_creates_a_working_project(tmp_path: Path) -> None:
    project = tmp_path / "tensorchip"
    code = main(["new-provider", "tensorchip", str(project)], out=io.StringIO())
    assert code == 0
    package = project / "src" / "tensorchip_variant_provider"
    for path in (
        project / "pyproject.toml",
        package / "__init__.py",
        package / "plugin.py",
        package / "detect.py",
        project / "tests" / "test_provider.py",
        project
        / "tests/machines/tensorchip-two-devices/root/sys/class/tensorchip/tensorchip1/generation",
    ):
        assert path.is_file(), path
    for path in project.rglob("*"):
        if path.is_file():
            assert "acme" not in path.read_text().lower(), path
    pyproject = (project / "pyproject.toml").read_text()
    entry = 'tensorchip = "tensorchip_variant_provider.plugin"'
    assert f"[project.entry-points.variant_providers]\n{entry}" in pyproject
    env = {**os.environ, "PYTHONPATH": str(project / "src")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(project / "tests")],
        capture_output=True,
        text=True,
        cwd=project,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout


def test_new_provider_refuses_bad_names_and_busy_directories(tmp_path: Path) -> None:
    with pytest.raises(NewProviderError, match="invalid provider name"):
        new_provider("Tensor-Chip", tmp_path / "a")
    with pytest.raises(NewProviderError, match="invalid provider name"):
        new_provider("9chip", tmp_path / "b")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x").write_text("")
    with pytest.raises(NewProviderError, match="not empty"):
        new_provider("chip", busy)
    assert main(["new-provider", "Bad-Name", str(tmp_path / "c")], out=io.StringIO()) == 2
