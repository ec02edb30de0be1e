"""Our providers as PEP 817/825 installer plugins, checked with variantlib 0.2.2."""

from __future__ import annotations

import copy
import io
import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any, Dict

import pytest

from variant_providers.cli import main
from variant_providers.host import Host
from variant_providers.providers import BUILTIN_PROVIDERS
from variant_providers.selection import select

from .conftest import FIXTURE_MACHINES, REPO, python_without_standard_plugins

variantlib_api = pytest.importorskip("variantlib.api")

TORCH_LIKE = json.loads((REPO / "tests/data/variants/torch-like-v0.2.0.json").read_text())


def our_variants_json() -> Dict[str, Any]:
    """The torch-like release, with its nvidia provider pointing at our plugin-api object."""
    doc: Dict[str, Any] = copy.deepcopy(TORCH_LIKE)
    doc["providers"]["nvidia"] = {
        "requires": ["variant-providers"],
        "plugin-api": "variant_providers.providers.nvidia:Plugin",
    }
    return doc


@pytest.mark.parametrize("vendor", BUILTIN_PROVIDERS)
def test_plugin_objects_follow_the_protocol(vendor: str) -> None:
    module = __import__(f"variant_providers.providers.{vendor}", fromlist=["Plugin"])
    plugin = module.Plugin
    assert plugin.namespace == vendor
    assert plugin.all_properties_compatible is False
    configs = plugin.get_all_configs()
    assert configs, "get_all_configs lists the catalogue"
    for config in configs:
        assert isinstance(config.values, list) and isinstance(config.multi_value, bool)
    catalogue = {c.name: set(c.values) for c in configs}
    for config in plugin.get_supported_configs():
        assert set(config.values) <= catalogue[config.name]


def test_supported_configs_equal_the_report() -> None:
    from variant_providers.providers.x86_64 import Plugin

    supported = [(c.name, c.values) for c in Plugin.get_supported_configs()]
    detected = Host(entry_points=False).detect(only=["x86_64"], cache=False)["x86_64"]
    assert supported == [(f.name, list(f.values)) for f in detected.features]


@pytest.mark.skipif(
    platform.machine().lower() not in ("x86_64", "amd64", "aarch64", "arm64"),
    reason="needs a CPU a built-in provider detects, or both sides are empty",
)
def test_variantlib_cli_lists_our_namespaces(tmp_path: Path) -> None:
    # Other installed standard plugins are hidden: variantlib fails for all when one
    # misbehaves (ascend-variant-provider prints to stdout), which is not what is tested here.
    env = {**os.environ, "VARIANT_PROVIDERS_CACHE_DIR": str(tmp_path)}
    python = python_without_standard_plugins(tmp_path)
    proc = subprocess.run(
        [*python, "variantlib.commands.main:main", "plugins", "get-configs", "--supported"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    ours = Host(entry_points=False).detect(cache=False)
    assert any(ours[cpu].status == "ok" for cpu in ("x86_64", "aarch64")), "a CPU is detected"
    for namespace in BUILTIN_PROVIDERS:
        result = ours[namespace]
        if result.status == "ok":
            assert doc[namespace] == [f.to_dict() for f in result.features], namespace
        else:  # variantlib leaves out namespaces that support nothing
            assert doc.get(namespace, []) == [], namespace


@pytest.mark.parametrize(
    ("machine", "best"),
    [
        ("nvidia-h100-sxm-570", "cu128"),  # TV1: driver 12.8, SM 9.0
        ("nvidia-gtx1080ti-570", "cu126"),  # SM 6.1: only cu126 ships sm_60
        ("nvidia-rtx4090-560", "cu126"),  # driver 12.6 cannot take cu128
        ("nvidia-container-no-gpu-570", "null"),
    ],
)
def test_variantlib_picks_what_select_picks(
    machine: str, best: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The target machine is replayed into a lock file; both sides read it."""
    lock = tmp_path / f"{machine}.lock.json"
    code = main(
        ["report", "--machine", str(FIXTURE_MACHINES / machine), "--lock", str(lock)],
        out=io.StringIO(),
    )
    assert code == 0
    monkeypatch.setenv("VARIANT_PROVIDERS_LOCK", str(lock))
    # variantlib memoizes plugin answers per process, whatever the environment.
    from variantlib.plugins import loader

    monkeypatch.setattr(loader, "VARIANT_PROVIDER_CACHE_TABLE", {})
    theirs = variantlib_api.get_variants_by_priority(variants_json=our_variants_json())
    ours = select(our_variants_json())
    assert [v.label for v in theirs] == list(ours.ranked)
    assert ours.ranked[0] == best
