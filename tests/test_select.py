"""select(): variants.json + detection -> ranked labels and reasons; the match sub-command."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any, List

import pytest

from tests.test_matcher import nvidia_supported
from variant_providers.cli_match import add_match_parser, run_match
from variant_providers.model import FeatureConfig, VariantProperty
from variant_providers.selection import Priorities, Selection, select
from variant_providers.variants_json import load_variants_json, parse_variants_json

DATA = Path(__file__).parent / "data" / "variants"
TORCH = DATA / "torch-like-v0.2.0.json"
BLAS = DATA / "blas-omp-v0.2.0.json"


def load_doc(name: str) -> Any:
    with open(DATA / name, encoding="utf-8") as fh:
        return json.load(fh)


def assert_partition(selection: Selection, labels: List[str]) -> None:
    """Every label of the file is ranked or rejected, never both."""
    ranked = set(selection.ranked) - {"null"}
    assert ranked.isdisjoint(selection.rejected)
    assert ranked | set(selection.rejected) == set(labels) - {"null"}
    assert selection.ranked[-1] == "null"


@pytest.mark.parametrize(
    ("driver", "sm", "expected"),
    [
        ("12.8", "9.0", ("cu128", "cu126", "null")),  # TV1
        ("12.8", "7.0", ("cu126", "null")),  # TV2
        ("13.0", "12.0", ("cu130", "null")),  # TV3
    ],
    ids=["TV1", "TV2", "TV3"],
)
def test_tv1_to_tv3_through_select(driver: str, sm: str, expected: tuple) -> None:  # type: ignore[type-arg]
    selection = select(TORCH, nvidia_supported(driver, sm))
    assert selection.ranked == expected
    assert_partition(selection, ["cu126", "cu128", "cu129", "cu130"])


def test_reason_names_the_missing_property_and_what_is_supported() -> None:
    doc = load_doc("torch-like-v0.2.0.json")
    doc["variants"]["sm100"] = {"nvidia": {"sm_arch": ["100_real"]}}
    selection = select(doc, nvidia_supported("12.8", "9.0"))
    assert selection.rejected["sm100"] == (
        "needs `nvidia :: sm_arch :: 100_real`; this machine supports 90_real, 90_virtual"
    )


def test_tv2_reason_for_multi_value_feature() -> None:
    selection = select(TORCH, nvidia_supported("12.8", "7.0"))
    assert selection.rejected["cu128"] == (
        "needs `nvidia :: sm_arch :: 100_real` (or 120_real, 75_real, 80_real, 86_real, "
        "90_real); this machine supports 70_real, 70_virtual"
    )
    # Long supported lists are cut in messages.
    assert "... (24 more)" in selection.rejected["cu129"]
    assert "; also needs `nvidia :: sm_arch :: 100_real`" in selection.rejected["cu129"]


def test_tv3_upper_bound_reason() -> None:
    selection = select(TORCH, nvidia_supported("13.0", "12.0"))
    assert selection.rejected["cu128"].startswith(
        "needs `nvidia :: cuda_version_upper_bound :: 13`; this machine supports 15.20, "
    )


def test_e2e4_static_providers_come_from_the_file() -> None:
    # Spec §12 E2E-4: no detection needed, the file's static lists decide.
    selection = select(BLAS, [])
    assert selection.ranked == ("obl64", "obl_llvm", "obl", "mkl", "acc", "null")
    assert selection.rejected == {}


def test_static_list_is_exclusive() -> None:
    # A detection that claims another static value does not change the answer.
    selection = select(BLAS, ["blas_lapack :: library :: accelerate", "omp :: runtime :: llvm"])
    assert selection.ranked == ("obl64", "obl_llvm", "obl", "mkl", "acc", "null")


def test_optional_static_provider_needs_opt_in() -> None:
    doc = load_doc("blas-omp-v0.2.0.json")
    doc["providers"]["omp"]["optional"] = True
    off = select(doc, [])
    assert off.ranked == ("obl64", "obl", "mkl", "acc", "null")
    assert off.rejected == {"obl_llvm": "provider `omp` is optional and not enabled"}
    on = select(doc, [], enable_optional=["omp"])
    assert on.ranked == ("obl64", "obl_llvm", "obl", "mkl", "acc", "null")
    assert select(doc, [], enable_optional=True).ranked == on.ranked


def test_optional_plugin_provider() -> None:
    doc = load_doc("torch-like-v0.2.0.json")
    doc["providers"]["nvidia"]["optional"] = True
    supported = nvidia_supported("12.8", "9.0")
    assert select(doc, supported).ranked == ("null",)
    assert select(doc, supported, enable_optional=["nvidia"]).ranked == ("cu128", "cu126", "null")


def test_enable_if_is_evaluated_with_markers() -> None:
    path = DATA / "spec-v0.0.3.json"
    detected = [
        "nvidia :: cuda_version_lower_bound :: 12.8",
        "nvidia :: sm_arch :: 90_real",
        "x86_64 :: level :: v3",
    ]
    linux = {"platform_system": "Linux", "platform_machine": "x86_64"}
    assert select(path, detected, environment=linux).ranked == ("cu128_v3", "cpu_v3_mkl", "null")
    mac = {"platform_system": "Darwin", "platform_machine": "x86_64"}
    selection = select(path, detected, environment=mac)
    assert selection.ranked == ("cpu_v3_mkl", "null")
    assert selection.rejected["cu128_v3"].startswith(
        "provider `nvidia` is disabled here (enable-if"
    )


def test_legacy_property_priorities_apply() -> None:
    doc = load_doc("spec-v0.0.3.json")
    doc["variants"]["cpu_v3_obl"] = {
        "blas_lapack": {"library": ["openblas"]},
        "x86_64": {"level": ["v3"]},
    }
    env = {"platform_system": "Linux", "platform_machine": "x86_64"}
    selection = select(doc, ["x86_64 :: level :: v3"], environment=env)
    # nvidia first (absent), then x86_64 (tie on v3), then blas_lapack: openblas preferred.
    assert selection.ranked == ("cpu_v3_obl", "cpu_v3_mkl", "null")


def test_user_priorities_go_first() -> None:
    assert select(BLAS, [], priorities=Priorities(namespaces=("omp",))).ranked == (
        "obl_llvm",
        "obl64",
        "obl",
        "mkl",
        "acc",
        "null",
    )
    prefs = {
        "feature_priorities": {"blas_lapack": ["ilp"]},
        "property_priorities": {"blas_lapack": {"library": ["mkl"]}},
    }
    # ilp first: only obl64 has it; then library with mkl preferred; obl_llvm and obl
    # tie on openblas and obl_llvm has one more matching feature.
    assert select(BLAS, [], priorities=prefs).ranked == (
        "obl64",
        "mkl",
        "obl_llvm",
        "obl",
        "acc",
        "null",
    )
    with pytest.raises(ValueError, match="namespace_priority"):
        select(BLAS, [], priorities={"namespace_priority": ["omp"]})


def test_forbidden_entries() -> None:
    selection = select(
        BLAS,
        [],
        forbidden=["omp", "blas_lapack :: ilp", "blas_lapack :: library :: accelerate"],
    )
    assert selection.ranked == ("obl", "mkl", "null")
    assert selection.rejected == {
        "obl64": "feature `blas_lapack :: ilp` is forbidden",
        "obl_llvm": "namespace `omp` is forbidden",
        "acc": (
            "needs `blas_lapack :: library :: accelerate`; this machine supports openblas, mkl "
            "(accelerate forbidden)"
        ),
    }


def test_detection_object_statuses_explain_missing_namespaces() -> None:
    detection = SimpleNamespace(
        properties=[VariantProperty("x86_64", "level", "v3")],
        providers=(
            SimpleNamespace(
                namespace="nvidia",
                status="error",
                features=(),
                error="NVIDIA driver/library version mismatch (NVML error 18)",
            ),
            SimpleNamespace(
                namespace="x86_64", status="ok", features=(FeatureConfig("level", ["v3"]),)
            ),
        ),
    )
    selection = select(TORCH, detection)
    assert selection.ranked == ("null",)
    assert selection.rejected["cu126"] == (
        "needs namespace `nvidia`; this machine reports no `nvidia` properties "
        "(the nvidia provider reported error: NVIDIA driver/library version mismatch "
        "(NVML error 18))"
    )


def test_detected_namespaces_the_file_does_not_use_are_ignored() -> None:
    supported = [*nvidia_supported("12.8", "9.0"), "amd :: gfx_arch :: gfx942"]
    assert select(TORCH, supported).ranked == ("cu128", "cu126", "null")


def test_abi_dependencies() -> None:
    doc = load_doc("blas-omp-v0.2.0.json")
    doc["variants"]["t29"] = {"abi_dependency": {"torch": ["2.9"]}, "omp": {"runtime": ["gnu"]}}
    without = select(doc, [])
    assert "t29" in without.rejected
    assert "abi_dependencies" in without.rejected["t29"]
    with_abi = select(doc, [], abi_dependencies={"torch": "2.9.1"})
    assert "t29" in with_abi.ranked
    assert with_abi.ranked.index("t29") > with_abi.ranked.index("acc")  # abi ranks last


def test_detection_none_detects_lazily(monkeypatch: pytest.MonkeyPatch) -> None:
    from variant_providers import host

    calls: List[int] = []

    def fake_detect(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return SimpleNamespace(properties=nvidia_supported("12.8", "9.0"), providers=())

    monkeypatch.setattr(host, "detect", fake_detect)
    assert select(TORCH).ranked == ("cu128", "cu126", "null")
    assert calls == [1]


def test_accepts_parsed_file_and_selection_json() -> None:
    vf = load_variants_json(TORCH)
    selection = select(vf, nvidia_supported("12.8", "9.0"))
    data = selection.to_dict()
    assert data["best"] == "cu128"
    assert data["ranked"] == ["cu128", "cu126", "null"]
    assert set(data["rejected"]) == {"cu129", "cu130"}
    assert data["supported"][0] == "nvidia :: cuda_version_lower_bound :: 12.8"
    assert select(parse_variants_json(load_doc("torch-like-v0.2.0.json")), []).best == "null"


def test_string_detection_is_rejected() -> None:
    with pytest.raises(TypeError):
        select(TORCH, "nvidia :: sm_arch :: 90_real")


# --------------------------------------------------------------------------------------
# match sub-command
# --------------------------------------------------------------------------------------


def parse(argv: List[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="variant-providers")
    add_match_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


@pytest.fixture
def this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """This machine, overridden to look like a V100 with a CUDA 12.8 driver."""
    by_feature: dict[str, list[str]] = {}
    for text in nvidia_supported("12.8", "7.0"):
        prop = VariantProperty.parse(text)
        by_feature.setdefault(prop.feature, []).append(prop.value)
    override = "; ".join(f"nvidia :: {f} :: {', '.join(v)}" for f, v in by_feature.items())
    monkeypatch.setenv("VARIANT_PROVIDERS_OVERRIDE", override)


@pytest.mark.usefixtures("this_machine")
def test_match_text() -> None:
    out = io.StringIO()
    args = parse(["match", str(TORCH)])
    assert args.handler is run_match
    assert run_match(args, out) == 0
    text = out.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 80, "wrapped to 80 columns"
    flat = " ".join(text.split())  # the same text with the wrapping undone
    assert "best: cu126" in text
    assert "1. cu126 (nvidia :: cuda_version_lower_bound :: 12.6; " in flat
    assert "nvidia :: sm_arch :: 50_real, 60_real, 70_real" in flat
    assert "   2. null  (no properties)" in text
    assert "cu128 needs `nvidia :: sm_arch :: 100_real`" in flat


@pytest.mark.usefixtures("this_machine")
def test_match_json() -> None:
    out = io.StringIO()
    assert run_match(parse(["match", str(TORCH), "--json"]), out) == 0
    data = json.loads(out.getvalue())
    assert data["best"] == "cu126"
    assert data["ranked"] == ["cu126", "null"]
    assert sorted(data["rejected"]) == ["cu128", "cu129", "cu130"]


@pytest.mark.usefixtures("this_machine")
def test_match_forbid_and_optional_flags() -> None:
    out = io.StringIO()
    args = parse(["match", str(BLAS), "--json", "--forbid", "omp", "--enable-optional", "omp"])
    assert run_match(args, out) == 0
    assert json.loads(out.getvalue())["rejected"] == {"obl_llvm": "namespace `omp` is forbidden"}


def test_match_bad_file_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_match(parse(["match", str(DATA / "malformed.json")]), io.StringIO()) == 2
    err = capsys.readouterr().err
    assert "malformed.json: line 4, column 3: invalid JSON" in err


def test_match_bad_forbid_exits_2(capsys: pytest.CaptureFixture[str], this_machine: None) -> None:
    assert run_match(parse(["match", str(BLAS), "--forbid", "Bad Name"]), io.StringIO()) == 2
    assert "Bad Name" in capsys.readouterr().err


def test_match_replays_a_recorded_machine() -> None:
    machines = Path(__file__).resolve().parent.parent / "fixtures" / "machines"
    candidates = sorted(p for p in machines.glob("*") if p.is_dir()) if machines.is_dir() else []
    if not candidates:
        pytest.skip("no recorded machines in this checkout")
    out = io.StringIO()
    assert (
        run_match(parse(["match", str(BLAS), "--json", "--machine", str(candidates[0])]), out) == 0
    )
    # Static providers only: the recorded machine cannot change this answer.
    assert json.loads(out.getvalue())["ranked"] == [
        "obl64",
        "obl_llvm",
        "obl",
        "mkl",
        "acc",
        "null",
    ]
