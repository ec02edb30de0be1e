"""Standard ``variant_plugins`` plugins, installed as real distributions and run in children.

Every plugin here is a ``*.dist-info`` with an ``entry_points.txt`` on
``sys.path``, as pip would leave it; the host finds it through the metadata
and runs it in a child process, never in the test's own interpreter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

from variant_providers.host import Detection, Host, ProviderResult, UnknownNamespace
from variant_providers.standard_child import PluginAdapter
from variant_providers.standard_plugins import pick_claims
from variant_providers.system import LiveSystem

from .conftest import write_distribution

CONFIG = """
from dataclasses import dataclass

@dataclass(frozen=True)
class Config:
    name: str
    values: list
    multi_value: bool = False
"""

#: entry-point name -> (plugin-api attribute path, module source)
PLUGINS: Dict[str, Any] = {
    # variantlib 0.2.2: class methods, configs with multi_value, namespace = entry-point name.
    "modern_hw": (
        "ModernPlugin",
        CONFIG
        + """
class ModernPlugin:
    all_properties_compatible = False

    @classmethod
    def get_supported_configs(cls):
        return [Config("generation", ["g3", "g2"]), Config("lanes", ["x16", "x8"], True)]

    @classmethod
    def get_all_configs(cls):
        return [Config("generation", ["g3", "g2", "g1"]), Config("lanes", ["x16", "x8"], True)]
""",
    ),
    # variantlib 0.2.2 again, as an instance with plain methods.
    "instance_hw": (
        "PLUGIN",
        CONFIG
        + """
class _Plugin:
    def get_supported_configs(self):
        return [Config("mode", ["fast"])]

    def get_all_configs(self):
        return [Config("mode", ["fast", "slow"])]

PLUGIN = _Plugin()
""",
    ),
    # variantlib 0.2.2 as a module of plain functions (the plugin-api names only the module).
    "module_hw": (
        "",
        CONFIG
        + """
def get_supported_configs():
    return [Config("tier", ["t2", "t1"])]

def get_all_configs():
    return [Config("tier", ["t2", "t1"])]
""",
    ),
    # The older protocol of provider-variant-x86-64 0.0.1: instance methods taking
    # known_properties, no get_all_configs, configs without multi_value, a namespace attribute.
    "provider_variant_oldhw": (
        "OldPlugin",
        """
from dataclasses import dataclass

@dataclass(frozen=True)
class VariantFeatureConfig:
    name: str
    values: list

class OldPlugin:
    namespace = "old_hw"

    def get_supported_configs(self, known_properties):
        return [VariantFeatureConfig("level", ["v2", "v1"])]
""",
    ),
    "chatty_hw": (
        "ChattyPlugin",
        CONFIG
        + """
import os
print("banner printed at import")

class ChattyPlugin:
    @classmethod
    def get_supported_configs(cls):
        print("detecting...")
        os.write(1, b"raw fd 1 noise\\n")
        return [Config("model", ["m1"])]

    @classmethod
    def get_all_configs(cls):
        return [Config("model", ["m1"])]
""",
    ),
    "hangs_hw": (
        "HangingPlugin",
        """
import time

class HangingPlugin:
    @classmethod
    def get_supported_configs(cls):
        time.sleep(60)
        return []

    @classmethod
    def get_all_configs(cls):
        return []
""",
    ),
    "broken_hw": ("Plugin", "import vendor_sdk_that_is_not_installed\n"),
    "invalid_hw": (
        "InvalidPlugin",
        CONFIG
        + """
class InvalidPlugin:
    @classmethod
    def get_supported_configs(cls):
        return [Config("generation", ["Gen-3"])]

    @classmethod
    def get_all_configs(cls):
        return [Config("generation", ["Gen-3"])]
""",
    ),
    # A vendor's own plugin for a namespace one of our built-ins answers.
    "acme_nvidia": (
        "AcmeNvidia",
        CONFIG
        + """
class AcmeNvidia:
    namespace = "nvidia"

    @classmethod
    def get_supported_configs(cls):
        return [Config("sm_arch", ["90_real"], True)]

    @classmethod
    def get_all_configs(cls):
        return [Config("sm_arch", ["90_real", "80_real"], True)]
""",
    ),
}


TIMEOUT = 4.0


def install_plugins(site: Path, names: List[str]) -> None:
    """Write each named test plugin as its own distribution into *site*."""
    for name in names:
        attribute, source = PLUGINS[name]
        module = f"vpstd_{name}"
        write_distribution(
            site,
            f"{name}_plugin",
            f"[variant_plugins]\n{name} = {module}{':' if attribute else ''}{attribute}\n",
            {module: source},
        )
        sys.modules.pop(module, None)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("site")
    install_plugins(site, list(PLUGINS))
    return site


def _detect(site: Path, cache_dir: Path, policy: str = "") -> Detection:
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(site))
        mp.setenv("VARIANT_PROVIDERS_CACHE_DIR", str(cache_dir))
        mp.setenv("VARIANT_PROVIDERS_PLUGINS", policy)
        # Ten children start at once: leave room for a loaded machine.
        return Host().detect(LiveSystem(), cache=False, timeout=TIMEOUT)


@pytest.fixture(scope="module")
def detection(site: Path, tmp_path_factory: pytest.TempPathFactory) -> Detection:
    return _detect(site, tmp_path_factory.mktemp("cache"))


def _row(detection: Detection, namespace: str) -> ProviderResult:
    return detection[namespace]


def test_both_protocols_answer_with_validated_features(detection: Detection) -> None:
    properties = [str(p) for p in detection.properties]
    modern = _row(detection, "modern_hw")
    assert modern.status == "ok" and modern.plugin == "modern_hw"
    assert [(f.name, f.values, f.multi_value) for f in modern.features] == [
        ("generation", ("g3", "g2"), False),
        ("lanes", ("x16", "x8"), True),
    ]
    assert modern.info["protocol"] == "variantlib 0.2.2"
    assert modern.info["plugin_api"] == "vpstd_modern_hw:ModernPlugin"
    assert modern.version == "1.0"  # its distribution's, read by the parent from METADATA
    assert "instance_hw :: mode :: fast" in properties
    assert [str(p) for p in detection["module_hw"].properties] == [
        "module_hw :: tier :: t2",
        "module_hw :: tier :: t1",
    ]

    old = _row(detection, "old_hw")
    assert old.status == "ok" and old.plugin == "provider_variant_oldhw"
    assert properties.count("old_hw :: level :: v2") == 1
    adapted = " | ".join(old.info["adapted"])
    for note in (
        "from the plugin's namespace attribute",
        "instantiated the class",
        "known_properties=None",
        "no get_all_configs",
        "without multi_value",
    ):
        assert note in adapted, note
    assert old.info["protocol"] == "older (pre-0.2.2)"


def test_each_bad_plugin_is_one_row_and_the_rest_is_unaffected(detection: Detection) -> None:
    assert _row(detection, "hangs_hw").status == "timeout"
    broken = _row(detection, "broken_hw")
    assert broken.status == "error"
    assert "ModuleNotFoundError" in (broken.error or "")
    invalid = _row(detection, "invalid_hw")
    assert invalid.status == "error" and "'Gen-3'" in (invalid.error or "")
    chatty = _row(detection, "chatty_hw")
    assert chatty.status == "ok" and [str(p) for p in chatty.properties] == [
        "chatty_hw :: model :: m1"
    ]
    assert _row(detection, "x86_64").status == "ok", "built-ins are unaffected"
    assert not [p for p in detection.properties if p.namespace in ("hangs_hw", "invalid_hw")]


def test_plugin_report_lists_every_standard_plugin(detection: Detection) -> None:
    rows = {p["name"]: p for p in detection.plugins if p.get("group") == "variant_plugins"}
    assert set(PLUGINS) <= set(rows)
    assert rows["modern_hw"]["distribution"] == "modern_hw_plugin"
    # Our own variant_plugins entries (the built-ins' plugin-API objects) are not run twice.
    assert not [p for p in rows.values() if p["value"].startswith("variant_providers.")]
    assert detection.namespaces.count("x86_64") == 1


def test_a_namespace_claimed_twice_keeps_ours_by_default(detection: Detection) -> None:
    nvidia = _row(detection, "nvidia")
    assert nvidia.plugin == "builtin:nvidia"
    assert "nvidia :: sm_arch :: 90_real" not in [str(p) for p in detection.properties]
    (claim,) = [r for r in detection.shadowed if r.namespace == "nvidia"]
    assert claim.plugin == "acme_nvidia" and claim.status == "ok"
    assert "answered by builtin" in claim.reason and "VARIANT_PROVIDERS_PLUGINS" in claim.reason


def test_the_plugins_variable_chooses_who_answers(site: Path, tmp_path: Path) -> None:
    chosen = _detect(site, tmp_path, "nvidia=acme_nvidia,-hangs_hw,-broken_hw")
    nvidia = chosen["nvidia"]
    assert nvidia.plugin == "acme_nvidia"
    assert "nvidia :: sm_arch :: 90_real" in [str(p) for p in chosen.properties]
    (ours,) = [r for r in chosen.shadowed if r.namespace == "nvidia"]
    assert ours.plugin == "builtin:nvidia" and "chosen by VARIANT_PROVIDERS_PLUGINS" in ours.reason
    assert "hangs_hw" not in chosen.namespaces
    states = {p["name"]: p["state"] for p in chosen.plugins}
    assert states["hangs_hw"].startswith("blocked")


def test_a_choice_naming_no_installed_plugin_is_a_usage_error(site: Path) -> None:
    from variant_providers.settings import InvalidSetting

    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(site))
        mp.setenv("VARIANT_PROVIDERS_PLUGINS", "nvidia=acme_nvidai")
        with pytest.raises(InvalidSetting, match=r"'acme_nvidai'.*known: .*acme_nvidia"):
            Host().detect(LiveSystem(), cache=False, only=["x86_64"])
        mp.setenv("VARIANT_PROVIDERS_PLUGINS", "nvidia=builtin")
        assert Host().detect(LiveSystem(), cache=False, only=["x86_64"])["x86_64"].status == "ok"


def test_only_finds_a_standard_plugins_namespace(site: Path, tmp_path: Path) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(site))
        only = Host(allow="provider_variant_oldhw").detect(LiveSystem(), only=["old_hw"])
    assert only.namespaces == ["old_hw"]


def test_disable_override_and_only_apply_to_standard_namespaces(site: Path, tmp_path: Path) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(site))
        mp.setenv("VARIANT_PROVIDERS_PLUGINS", "modern_hw,instance_hw")
        mp.setenv("VARIANT_PROVIDERS_DISABLE", "instance_hw")
        mp.setenv("VARIANT_PROVIDERS_OVERRIDE", "modern_hw :: generation :: g9")
        detection = Host().detect(LiveSystem(), cache=False, timeout=TIMEOUT)
        assert detection["instance_hw"].status == "disabled"
        modern = detection["modern_hw"]
        assert modern.status == "override" and modern.overridden == {
            "generation": "VARIANT_PROVIDERS_OVERRIDE"
        }
        assert [str(p) for p in modern.properties][:1] == ["modern_hw :: generation :: g9"]
        mp.delenv("VARIANT_PROVIDERS_DISABLE")
        with pytest.raises(UnknownNamespace, match=r"'nope'.*known: .*modern_hw"):
            Host().detect(LiveSystem(), only=["modern_hw", "nope"], timeout=TIMEOUT)


def test_report_json_stays_clean_with_noisy_and_hanging_plugins(site: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(site), "VARIANT_PROVIDERS_CACHE_DIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "variant_providers", "report", "--json", "--timeout", str(TIMEOUT)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)  # nothing but the report on stdout
    rows = {p["namespace"]: p for p in doc["providers"]}
    assert rows["hangs_hw"]["status"] == "timeout"
    assert rows["chatty_hw"]["status"] == "ok"
    assert [r["plugin"] for r in doc["shadowed"]] == ["acme_nvidia"]


# -- select() follows the providers table of the file -------------------------------------


def _variants(namespace: str, plugin_api: str, requires: str, variants: Dict[str, Any]) -> Any:
    return {
        "$schema": "https://variants-schema.wheelnext.dev/v0.2.0.json",
        "default-priorities": {"namespace": [namespace]},
        "providers": {namespace: {"requires": [requires], "plugin-api": plugin_api}},
        "variants": {**variants, "null": {}},
    }


@pytest.fixture
def on_path(site: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(site))
    return site


def test_select_runs_the_plugin_the_file_names(on_path: Path) -> None:
    from variant_providers.selection import select

    doc = _variants(
        "modern_hw",
        "vpstd_modern_hw:ModernPlugin",
        "modern-hw-plugin >=1",
        {
            "gen1": {"modern_hw": {"generation": ["g1"]}},
            "gen2": {"modern_hw": {"generation": ["g2"]}},
            "gen3": {"modern_hw": {"generation": ["g3"]}},
        },
    )
    # The built-ins detect on a host that has not run this plugin; the file's plugin runs.
    selection = select(doc, Host(allow="none").detect(LiveSystem(), cache=False))
    assert selection.ranked == ("gen3", "gen2", "null")
    assert "needs `modern_hw :: generation :: g1`" in selection.rejected["gen1"]
    assert selection.providers["modern_hw"] == "plugin-api vpstd_modern_hw:ModernPlugin (ok)"


def test_select_prefers_the_files_plugin_over_our_claim(detection: Detection) -> None:
    """acme_nvidia lost the `nvidia` claim in the report; a file built against it uses it."""
    from variant_providers.selection import select

    doc = _variants(
        "nvidia",
        "vpstd_acme_nvidia:AcmeNvidia",
        "acme-nvidia-plugin",
        {"sm90": {"nvidia": {"sm_arch": ["90_real"]}}},
    )
    assert detection["nvidia"].plugin == "builtin:nvidia"
    selection = select(doc, detection)
    assert selection.best == "sm90"
    assert selection.providers["nvidia"].startswith("plugin-api vpstd_acme_nvidia:AcmeNvidia")


def test_select_says_when_our_builtin_answers_for_a_missing_plugin(on_path: Path) -> None:
    from variant_providers.selection import select

    doc = _variants(
        "nvidia",
        "nvidia_variant_provider.plugin:NvidiaVariantPlugin",
        "nvidia-variant-provider >=0.0.2,<1",
        {"sm90": {"nvidia": {"sm_arch": ["90_real"]}}},
    )
    selection = select(doc, Host(allow="none").detect(LiveSystem(), cache=False))
    assert selection.providers["nvidia"] == (
        "builtin:nvidia answers: plugin-api "
        "nvidia_variant_provider.plugin:NvidiaVariantPlugin is not installed"
    )
    assert selection.to_dict()["providers"] == dict(selection.providers)


# -- a real published plugin ------------------------------------------------------------


def _installed(distribution: str) -> bool:
    try:
        metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        return False
    return True


@pytest.mark.skipif(
    not _installed("ascend-variant-provider"), reason="ascend-variant-provider not installed"
)
def test_ascend_variant_provider_is_listed_and_stdout_stays_json(tmp_path: Path) -> None:
    """The published plugin prints to stdout when it finds no NPU; variantlib 0.2.2 breaks on it."""
    env = {**os.environ, "VARIANT_PROVIDERS_CACHE_DIR": str(tmp_path)}
    env.pop("VARIANT_PROVIDERS_PLUGINS", None)
    proc = subprocess.run(
        [sys.executable, "-m", "variant_providers", "report", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    rows = {p["namespace"]: p for p in doc["providers"]}
    ascend = rows["ascend"]
    assert ascend["plugin"] == "ascend_variant_provider"
    assert ascend["info"]["plugin_api"] == "ascend_variant_provider.plugin:AscendVariantPlugin"
    if ascend["status"] == "not-detected":  # no Ascend NPU here: every feature had no values
        assert "no values" in ascend["reason"]
    assert {"nvidia", "amd", "intel", "x86_64", "aarch64"} <= set(rows)


# -- the adapter and the claim rule, on objects the test owns -----------------------------


class _Cfg:
    def __init__(self, name: Any, values: Any, multi_value: bool = False) -> None:
        self.name, self.values, self.multi_value = name, values, multi_value


def _adapter(answer: Any) -> PluginAdapter:
    class Plugin:
        @classmethod
        def get_supported_configs(cls) -> Any:
            return answer

        @classmethod
        def get_all_configs(cls) -> Any:
            return answer

    return PluginAdapter(Plugin, "acme")


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"generation": ["g1"]}, "returned dict"),
        (["g1"], "expected a config with name and values"),
        ([_Cfg("gen", ["g1"]), _Cfg("gen", ["g2"])], "listed twice"),
        ([_Cfg("gen", ["g1", "g1"])], "listed twice"),
        ([_Cfg("Gen", ["g1"])], "invalid feature name 'Gen'"),
        ([_Cfg("gen", "g1")], "not one string"),
    ],
)
def test_invalid_answers_fail_with_the_providers_rules(answer: Any, message: str) -> None:
    from variant_providers.host import run_provider
    from variant_providers.provider import Provider

    adapter = _adapter(answer)
    result = run_provider(Provider("acme", adapter.detect), LiveSystem())
    assert result.status == "error"
    assert message in (result.error or "")


def test_a_feature_without_values_is_dropped_and_named() -> None:
    adapter = _adapter([_Cfg("gen", []), _Cfg("mode", ["fast"])])
    output = adapter.detect(None)
    assert [f.name for f in output.features] == ["mode"]
    assert "dropped features listed with no values: gen" in output.info["adapted"]
    empty = _adapter([_Cfg("gen", [])]).detect(None)
    assert not empty.features and "had no values (gen)" in empty.reason


def test_an_object_without_get_supported_configs_is_not_a_plugin() -> None:
    with pytest.raises(TypeError, match="not a variant plugin"):
        PluginAdapter(object(), "acme")


def _result(namespace: str, plugin: str) -> ProviderResult:
    return ProviderResult(namespace, "not-detected", plugin=plugin)


def test_claims_first_wins_unless_chosen_and_the_winner_takes_the_first_place() -> None:
    ours = [_result("nvidia", "builtin:nvidia"), _result("x86_64", "builtin:x86_64")]
    theirs = [_result("nvidia", "a"), _result("acme", "b"), _result("acme", "c")]
    rows, shadowed = pick_claims(ours, theirs, {}, "VAR")
    assert [(r.namespace, r.plugin) for r in rows] == [
        ("nvidia", "builtin:nvidia"),
        ("x86_64", "builtin:x86_64"),
        ("acme", "b"),
    ]
    assert [(r.namespace, r.plugin) for r in shadowed] == [("nvidia", "a"), ("acme", "c")]
    rows, shadowed = pick_claims(ours, theirs, {"nvidia": "a", "acme": "c"}, "VAR")
    assert [r.plugin for r in rows] == ["a", "builtin:x86_64", "c"]
    assert [r.plugin for r in shadowed] == ["builtin:nvidia", "b"]
    assert all("chosen by VAR" in r.reason for r in shadowed)


@pytest.fixture(autouse=True)
def _no_leaked_modules() -> Iterator[None]:
    """No test plugin is ever imported into the test's own interpreter."""
    yield
    assert not [m for m in sys.modules if m.startswith("vpstd_")]
