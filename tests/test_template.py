"""The provider template and `new-provider`: a vendor's starting point must work."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

from variant_providers.cli import main
from variant_providers.host import Detection, run_provider
from variant_providers.provider import Provider
from variant_providers.providers.template import plugin as template_plugin
from variant_providers.replay import ReplaySystem
from variant_providers.scaffold import NewProviderError, new_provider
from variant_providers.testing import (
    ConformanceError,
    check_detection,
    check_fixture,
    check_provider,
)

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
        package / "vocab.py",
        package / "detect.py",
        package / "sysfs.py",
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


def _doc_blocks(language: str) -> List[str]:
    text = (REPO / "docs" / "writing-a-provider.md").read_text()
    worked = text.split("## Worked example", 1)[1]
    return re.findall(rf"```{language}\n(.*?)```", worked, flags=re.S)


def test_the_worked_example_of_the_docs_runs_on_its_recorded_machine(tmp_path: Path) -> None:
    provider_code = _doc_blocks("python")[0]
    machine = tmp_path / "acme-lib-fails"
    machine.mkdir()
    (machine / "machine.json").write_text(_doc_blocks("json")[0])
    namespace: Dict[str, Any] = {}
    exec(compile(provider_code, "writing-a-provider.md", "exec"), namespace)
    result = run_provider(Provider("acme", namespace["detect"]), ReplaySystem(machine))
    check_detection(Detection(providers=(result,)), machine)
    assert result.info["source"] == {"generation": "acme-smi"}, (
        "the library failed, the tool did not"
    )


def test_the_docs_variantlib_example_passes_against_a_generated_project(tmp_path: Path) -> None:
    pytest.importorskip("variantlib.api")
    project = tmp_path / "acme"
    new_provider("acme", project)
    (project / "tests" / "test_variantlib.py").write_text(_doc_blocks("python")[1])
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_variantlib.py",
        ],
        capture_output=True,
        text=True,
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project / "src")},
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_generated_project_ships_readme_gitignore_and_ci(tmp_path: Path) -> None:
    project = tmp_path / "chip"
    new_provider("chip", project)
    readme = (project / "README.md").read_text()
    assert "python -m pip install -e" in readme and "not published on PyPI yet" in readme
    assert ".venv/" in (project / ".gitignore").read_text().splitlines()
    ci = (project / ".github" / "workflows" / "test.yml").read_text()
    assert "python -m pytest" in ci and "VARIANT_PROVIDERS_SOURCE" in ci
    out = io.StringIO()
    assert main(["new-provider", "chip2", str(tmp_path / "chip2")], out=out) == 0
    steps = out.getvalue().split("Next:", 1)[1]
    assert f"python -m pip install {REPO}" in steps, "installs this checkout first"
    with pytest.raises(NewProviderError, match="built-in namespace"):
        new_provider("intel", tmp_path / "intel")
