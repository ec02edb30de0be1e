"""The plugin host: registration, validation and per-provider isolation."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Iterator, List

import pytest

from variant_providers import FeatureConfig, Provider, ProviderOutput, hookimpl
from variant_providers.host import Host, UnknownNamespace
from variant_providers.replay import ReplaySystem
from variant_providers.system import System

from .conftest import V2_FLAGS, MachineFactory, cpuinfo, write_distribution


def good_detect(system: System) -> List[FeatureConfig]:
    return [FeatureConfig("generation", ["g2", "g1"])]


class GoodPlugin:
    @hookimpl
    def variant_providers(self) -> Iterator[Provider]:
        yield Provider("acme", good_detect, description="ACME accelerators")


def _provider(namespace: str, detect: Any) -> object:
    class Plugin:
        @hookimpl
        def variant_providers(self) -> List[Provider]:
            return [Provider(namespace, detect)]

    return Plugin()


def _raise(system: System) -> Any:
    raise RuntimeError("driver exploded\nsecond line of noise")


BROKEN = {
    "raises": (_raise, "RuntimeError: driver exploded"),
    "returns_none": (lambda s: None, "invalid result: detect returned NoneType"),
    "returns_string": (lambda s: "level=v3", "invalid result: detect returned str"),
    "bad_value": (lambda s: [{"name": "x"}], "invalid result: detect returned a dict"),
    "duplicate_feature": (
        lambda s: [FeatureConfig("f", ["a"]), FeatureConfig("f", ["b"])],
        "feature 'f' is listed twice",
    ),
    "bad_grammar": (
        lambda s: [type("Cfg", (), {"name": "f", "values": ["Bad"], "multi_value": False})()],
        "invalid value 'Bad'",
    ),
    "empty_values": (
        lambda s: [type("Cfg", (), {"name": "f", "values": [], "multi_value": False})()],
        "has no values",
    ),
    "bad_status": (lambda s: ProviderOutput(status="great"), "unknown status 'great'"),  # type: ignore[arg-type]
    "ok_without_features": (lambda s: ProviderOutput(status="ok"), "status 'ok' with no features"),
    "bad_info": (lambda s: ProviderOutput(info=[1, 2]), "info must be a mapping"),  # type: ignore[arg-type]
    "not_finite_info": (
        lambda s: ProviderOutput(info={"clock": float("nan")}),
        "invalid result: Out of range float values",
    ),
}


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_a_broken_provider_does_not_affect_a_good_one(
    kind: str, make_machine: MachineFactory
) -> None:
    detect, fragment = BROKEN[kind]
    host = Host(
        builtins=False, entry_points=False, plugins=[_provider("broken", detect), GoodPlugin()]
    )
    detection = host.detect(ReplaySystem(make_machine()))
    broken, good = detection["broken"], detection["acme"]
    assert broken.status == "error"
    assert broken.error is not None and fragment in broken.error
    assert "\n" not in broken.error, "the reason is one line"
    assert good.status == "ok"
    assert [str(p) for p in detection.properties] == [
        "acme :: generation :: g2",
        "acme :: generation :: g1",
    ]


def test_a_hook_that_raises_is_one_error_row(make_machine: MachineFactory) -> None:
    class Exploding:
        @hookimpl
        def variant_providers(self) -> List[Provider]:
            raise ImportError("vendor SDK missing")

    host = Host(builtins=False, entry_points=False, plugins=[Exploding(), GoodPlugin()])
    detection = host.detect(ReplaySystem(make_machine()))
    assert [r.status for r in detection.providers] == ["ok", "error"]
    assert detection.providers[1].error == "ImportError: vendor SDK missing"
    assert detection.failed == [detection.providers[1]]


def test_a_hook_returning_garbage_is_reported(make_machine: MachineFactory) -> None:
    class Garbage:
        @hookimpl
        def variant_providers(self) -> List[Any]:
            return ["acme"]

    host = Host(builtins=False, entry_points=False, plugins=[Garbage()])
    (result,) = host.detect(ReplaySystem(make_machine())).providers
    assert result.status == "error" and "not a Provider record" in (result.error or "")


def test_a_namespace_is_owned_by_the_first_provider(make_machine: MachineFactory) -> None:
    second = _provider("acme", lambda s: [FeatureConfig("generation", ["g9"])])
    host = Host(builtins=False, entry_points=False, plugins=[GoodPlugin(), second])
    detection = host.detect(ReplaySystem(make_machine()))
    assert [r.status for r in detection.providers] == ["ok", "error"]
    assert "already provided by" in (detection.providers[1].error or "")
    assert "acme :: generation :: g9" not in [str(p) for p in detection.properties]


def test_invalid_namespace_is_rejected(make_machine: MachineFactory) -> None:
    host = Host(builtins=False, entry_points=False, plugins=[_provider("ACME-gpu", good_detect)])
    (result,) = host.detect(ReplaySystem(make_machine())).providers
    assert result.status == "error" and "invalid namespace 'ACME-gpu'" in (result.error or "")


def test_not_detected_and_override_statuses(make_machine: MachineFactory) -> None:
    quiet = _provider("quiet", lambda s: ProviderOutput(reason="no /dev/acme0"))
    forced = _provider(
        "forced",
        lambda s: ProviderOutput(
            features=[FeatureConfig("generation", ["g3"])],
            status="override",
            info={"source": {"generation": "env ACME_FORCE"}},
        ),
    )
    host = Host(builtins=False, entry_points=False, plugins=[quiet, forced])
    detection = host.detect(ReplaySystem(make_machine()))
    assert detection["quiet"].status == "not-detected"
    assert detection["quiet"].reason == "no /dev/acme0"
    assert detection["quiet"].properties == []
    assert detection["forced"].status == "override"
    assert [str(p) for p in detection.properties] == ["forced :: generation :: g3"]


def test_only_runs_the_named_namespaces(make_machine: MachineFactory) -> None:
    calls: List[str] = []

    def spy(system: System) -> List[FeatureConfig]:
        calls.append("spy")
        return []

    host = Host(builtins=False, entry_points=False, plugins=[GoodPlugin(), _provider("spy", spy)])
    detection = host.detect(ReplaySystem(make_machine()), only=["acme"])
    assert detection.namespaces == ["acme"] and calls == []
    with pytest.raises(UnknownNamespace, match="'nope'"):
        host.detect(ReplaySystem(make_machine()), only=["nope"])


def test_builtin_x86_64_level_on_a_replayed_machine(make_machine: MachineFactory) -> None:
    machine = make_machine(root_files={"/proc/cpuinfo": cpuinfo(V2_FLAGS)})
    detection = Host(entry_points=False).detect(ReplaySystem(machine), only=["x86_64"])
    result = detection["x86_64"]
    assert result.status == "ok"
    assert [v for f in result.features if f.name == "level" for v in f.values] == ["v2", "v1"]


def test_broken_entry_point_plugins_leave_the_others_working(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_machine: MachineFactory
) -> None:
    """Installed third-party plugins: one fails to import, one works."""
    site = tmp_path / "site"
    write_distribution(
        site,
        "acme_variant_provider",
        """
        [variant_providers]
        acme = acme_vp
        """,
        {
            "acme_vp": """
            from variant_providers import FeatureConfig, Provider, hookimpl

            @hookimpl
            def variant_providers():
                yield Provider("acme", lambda system: [FeatureConfig("generation", ["g2"])])
            """
        },
    )
    write_distribution(
        site,
        "broken_variant_provider",
        """
        [variant_providers]
        broken = broken_vp
        """,
        {"broken_vp": "import vendor_sdk_that_is_not_installed\n"},
    )
    monkeypatch.syspath_prepend(str(site))
    for module in ("acme_vp", "broken_vp"):
        sys.modules.pop(module, None)
    detection = Host().detect(
        ReplaySystem(make_machine(root_files={"/proc/cpuinfo": cpuinfo(V2_FLAGS)}))
    )
    assert detection["acme"].status == "ok"
    assert detection["acme"].plugin == "acme"
    assert detection["broken"].status == "error"
    assert "ModuleNotFoundError" in (detection["broken"].error or "")
    assert detection["x86_64"].status == "ok"
    assert "acme :: generation :: g2" in [str(p) for p in detection.properties]
