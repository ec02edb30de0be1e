"""User overrides: VARIANT_PROVIDERS_OVERRIDE / _OVERRIDE_FILE / _DISABLE."""

from __future__ import annotations

import io
import json
from typing import Iterator, List

import pytest

from variant_providers import FeatureConfig, Provider, System, hookimpl
from variant_providers.cli import main
from variant_providers.host import Host
from variant_providers.overrides import InvalidOverride, parse_overrides
from variant_providers.replay import ReplaySystem
from variant_providers.settings import InvalidSetting

from .conftest import MachineFactory


def demo_detect(system: System) -> List[FeatureConfig]:
    return [
        FeatureConfig("arch", ["a2", "a1"], multi_value=True),
        FeatureConfig("version", ["2.1", "2.0"]),
    ]


class Demo:
    @hookimpl
    def variant_providers(self) -> Iterator[Provider]:
        yield Provider(
            "demo",
            demo_detect,
            all_configs=lambda: [
                FeatureConfig("arch", ["a3", "a2", "a1"], multi_value=True),
                FeatureConfig("version", ["2.1", "2.0"]),
                FeatureConfig("extra", ["on"], multi_value=True),
            ],
        )


def detect_with_env(make_machine: MachineFactory, **env: str) -> object:
    host = Host(builtins=False, entry_points=False, plugins=[Demo()])
    return host.detect(ReplaySystem(make_machine(env=env)))


def features(result: object) -> list[tuple[str, list[str], bool]]:
    return [(f.name, list(f.values), f.multi_value) for f in result.features]  # type: ignore[attr-defined]


def test_parse_items_with_free_whitespace_and_later_items_winning() -> None:
    items = parse_overrides(
        " nvidia::sm_arch :: 90_real ,90_virtual ; x86_64 :: level :: v3\n"
        "nvidia :: sm_arch :: 80_real",
        "VARIANT_PROVIDERS_OVERRIDE",
    )
    assert [(o.namespace, o.feature, o.values) for o in items] == [
        ("nvidia", "sm_arch", ("80_real",)),
        ("x86_64", "level", ("v3",)),
    ]
    assert parse_overrides("amd :: rocm_version ::", "X")[0].absent


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("nvidia sm_arch 90_real", "cannot parse 'nvidia sm_arch 90_real'"),
        ("NVIDIA :: sm_arch :: 90_real", "invalid namespace 'NVIDIA'"),
        ("nvidia :: sm-arch :: 90_real", "invalid feature 'sm-arch'"),
        ("nvidia :: sm_arch :: 9.0 real", "invalid value '9.0 real'"),
        ("nvidia :: sm_arch :: 90_real, 90_real", "listed twice"),
    ],
)
def test_invalid_override_text_names_the_variable(text: str, fragment: str) -> None:
    with pytest.raises(InvalidOverride) as excinfo:
        parse_overrides(text, "VARIANT_PROVIDERS_OVERRIDE")
    assert str(excinfo.value).startswith("VARIANT_PROVIDERS_OVERRIDE")
    assert fragment in str(excinfo.value)


def test_override_replaces_values_in_place_and_flags_them(make_machine: MachineFactory) -> None:
    detection = detect_with_env(make_machine, VARIANT_PROVIDERS_OVERRIDE="demo :: arch :: a3, a1")
    result = detection["demo"]  # type: ignore[index]
    assert result.status == "override"
    assert features(result) == [("arch", ["a3", "a1"], True), ("version", ["2.1", "2.0"], False)]
    assert result.overridden == {"arch": "VARIANT_PROVIDERS_OVERRIDE"}


def test_override_adds_a_missing_feature_with_its_declared_multi_value(
    make_machine: MachineFactory,
) -> None:
    detection = detect_with_env(make_machine, VARIANT_PROVIDERS_OVERRIDE="demo :: extra :: on")
    assert features(detection["demo"])[-1] == ("extra", ["on"], True)  # type: ignore[index]


def test_empty_value_list_forces_a_feature_absent(make_machine: MachineFactory) -> None:
    detection = detect_with_env(make_machine, VARIANT_PROVIDERS_OVERRIDE="demo :: version ::")
    assert [f[0] for f in features(detection["demo"])] == ["arch"]  # type: ignore[index]
    everything = "demo :: version ::; demo :: arch ::"
    gone = detect_with_env(make_machine, VARIANT_PROVIDERS_OVERRIDE=everything)["demo"]  # type: ignore[index]
    assert gone.status == "not-detected" and gone.properties == []


def test_override_for_a_namespace_without_a_provider(make_machine: MachineFactory) -> None:
    """Building on a CPU-only machine for a GPU target."""
    text = "nvidia :: cuda_version_lower_bound :: 12.8, 12.6; nvidia :: sm_arch :: 90_real"
    detection = detect_with_env(make_machine, VARIANT_PROVIDERS_OVERRIDE=text)
    nvidia = detection["nvidia"]  # type: ignore[index]
    assert nvidia.status == "override"
    assert [str(p) for p in nvidia.properties] == [
        "nvidia :: cuda_version_lower_bound :: 12.8",
        "nvidia :: cuda_version_lower_bound :: 12.6",
        "nvidia :: sm_arch :: 90_real",
    ]


def test_file_overrides_and_the_variable_winning(make_machine: MachineFactory) -> None:
    machine = make_machine(
        root_files={
            "/etc/vp-overrides": "# target machine\ndemo :: version :: 2.0\ndemo :: arch :: a1\n"
        },
        env={
            "VARIANT_PROVIDERS_OVERRIDE_FILE": "/etc/vp-overrides",
            "VARIANT_PROVIDERS_OVERRIDE": "demo :: arch :: a2",
        },
    )
    host = Host(builtins=False, entry_points=False, plugins=[Demo()])
    result = host.detect(ReplaySystem(machine))["demo"]
    assert features(result) == [("arch", ["a2"], True), ("version", ["2.0"], False)]
    assert result.overridden["arch"] == "VARIANT_PROVIDERS_OVERRIDE"
    assert result.overridden["version"].startswith("VARIANT_PROVIDERS_OVERRIDE_FILE")


def test_unreadable_override_file_is_a_clear_error(make_machine: MachineFactory) -> None:
    machine = make_machine(env={"VARIANT_PROVIDERS_OVERRIDE_FILE": "/nope"})
    host = Host(builtins=False, entry_points=False, plugins=[Demo()])
    with pytest.raises(
        InvalidOverride, match="VARIANT_PROVIDERS_OVERRIDE_FILE: cannot read '/nope'"
    ):
        host.detect(ReplaySystem(machine))


def test_disable_skips_the_provider_entirely(make_machine: MachineFactory) -> None:
    calls: List[int] = []

    class Counting:
        @hookimpl
        def variant_providers(self) -> Iterator[Provider]:
            yield Provider("demo", lambda s: calls.append(1) or [])  # type: ignore[func-returns-value]

    host = Host(builtins=False, entry_points=False, plugins=[Counting()])
    machine = make_machine(env={"VARIANT_PROVIDERS_DISABLE": "demo, demo"})
    result = host.detect(ReplaySystem(machine))["demo"]
    assert result.status == "disabled" and calls == []
    assert "VARIANT_PROVIDERS_DISABLE" in result.reason
    typo = make_machine(env={"VARIANT_PROVIDERS_DISABLE": "demo, demoo"})
    with pytest.raises(InvalidSetting, match=r"VARIANT_PROVIDERS_DISABLE: .*'demoo'.*known: demo"):
        host.detect(ReplaySystem(typo))
    assert calls == [], "a typo stops the run before any provider"


def test_cli_flags_overrides_and_rejects_bad_text(
    make_machine: MachineFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    machine = make_machine(
        env={"VARIANT_PROVIDERS_OVERRIDE": "nvidia :: sm_arch :: 90_real, 90_virtual"}
    )
    out = io.StringIO()
    assert main(["report", "--machine", str(machine)], out=out) == 0
    text = out.getvalue()
    assert "nvidia :: sm_arch :: 90_real   [override: VARIANT_PROVIDERS_OVERRIDE]" in text
    assert "Overrides in effect:" in text
    out = io.StringIO()
    assert main(["report", "--json", "--machine", str(machine)], out=out) == 0
    doc = json.loads(out.getvalue())
    nvidia = next(p for p in doc["providers"] if p["namespace"] == "nvidia")
    assert nvidia["status"] == "override"
    assert nvidia["overridden"] == {"sm_arch": "VARIANT_PROVIDERS_OVERRIDE"}
    assert doc["overrides"][0]["variable"] == "VARIANT_PROVIDERS_OVERRIDE"

    bad = make_machine(env={"VARIANT_PROVIDERS_OVERRIDE": "nvidia :: SM :: x"})
    assert main(["report", "--machine", str(bad)], out=io.StringIO()) == 2
    assert "VARIANT_PROVIDERS_OVERRIDE: invalid feature 'SM'" in capsys.readouterr().err
