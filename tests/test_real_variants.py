"""Every published variants file reads, and ranks on recorded machines as its reference does.

The files are the public corpus kept beside the repository
(``../shared/real-variants``, sources in its ``SOURCES.md``); the tests skip
where it is absent.  Machines are the recordings in ``fixtures/machines``.

* every file loads, and writing the model back in its format and reading it
  again gives the same model;
* oracle: on each recorded machine, variantlib 0.2.2's resolver, fed the
  supported properties an installer gathers for the file (the file's static
  values, the detection for the others, minus providers the file switches off
  there) and the file's priorities, returns our order;
* the v0.0.2 files against orders derived by hand from the v0.0.2 rules.
"""

from __future__ import annotations

import functools
import importlib.metadata
import io
import json
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest

from variant_providers.cli_match import add_match_parser, run_match
from variant_providers.host import Detection, Host
from variant_providers.model import LEGACY_NULL_LABEL, NULL_LABEL, VariantProperty
from variant_providers.replay import ReplaySystem
from variant_providers.selection import select
from variant_providers.variants_file import V002_SCHEMA, VariantsFile
from variant_providers.variants_json import load_variants_json, parse_variants_json

from .conftest import FIXTURE_MACHINES, SHARED

CORPUS = SHARED / "real-variants"
FILES = sorted(CORPUS.rglob("*.json")) if CORPUS.is_dir() else []
needs_corpus = pytest.mark.skipif(not FILES, reason="../shared/real-variants is not available")

MACHINES = (
    "nvidia-h100-sxm-570",
    "nvidia-gtx1080ti-570",
    "nvidia-rtx4090-560",
    "amd-mi300x-x8-cpx-rocm72",
    "intel-arc-a770-i915",
    "cpu-zen5-vm",
    "cpu-graviton3-al2023",
)


def _rel(path: Path) -> str:
    return str(path.relative_to(CORPUS))


@functools.cache
def machine(name: str) -> Tuple[Detection, Tuple[Tuple[str, str], ...]]:
    """Detection on a recorded machine, and the marker environment of its platform."""
    system = ReplaySystem(FIXTURE_MACHINES / name)
    detection = Host(allow="none").detect(system, cache=False)
    env = (
        ("platform_system", system.platform.system),
        ("platform_machine", system.platform.machine),
    )
    return detection, env


def ours(vfile: VariantsFile, name: str) -> List[str]:
    detection, env = machine(name)
    return list(select(vfile, detection, environment=dict(env)).ranked)


# --------------------------------------------------------------------------------------
# Every file reads
# --------------------------------------------------------------------------------------


@needs_corpus
@pytest.mark.parametrize("path", FILES, ids=_rel)
def test_every_published_file_loads_and_round_trips(path: Path) -> None:
    vfile = load_variants_json(path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert set(vfile.variants) == set(doc["variants"])
    assert parse_variants_json(vfile.to_json(), source=str(path)) == vfile


@needs_corpus
def test_the_corpus_is_complete() -> None:
    """The files listed in SOURCES.md are the files the tests read."""
    rows = (CORPUS / "SOURCES.md").read_text(encoding="utf-8").splitlines()
    listed = {row.split("`")[1] for row in rows if row.startswith("| `")}
    assert listed == {_rel(path) for path in FILES}


@needs_corpus
def test_unversioned_url_reads_as_v002_and_null_keeps_its_label() -> None:
    vfile = load_variants_json(
        CORPUS / "variant-repack/configs/torch-2.8/torch-2.8.0-variants.json"
    )
    assert vfile.schema == V002_SCHEMA
    assert vfile.null_label == LEGACY_NULL_LABEL
    assert vfile.variants[LEGACY_NULL_LABEL] == ()


# --------------------------------------------------------------------------------------
# The three `match` answers of the torch 2.8.0 index file
# --------------------------------------------------------------------------------------

TORCH_28 = "variants-index-test/0012668/torch/torch-2.8.0-variants.json"


def _match(file: Path, machine_name: str, *extra: str) -> str:
    import argparse

    parser = argparse.ArgumentParser(prog="variant-providers")
    add_match_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        ["match", str(file), "--machine", str(FIXTURE_MACHINES / machine_name), *extra]
    )
    out = io.StringIO()
    assert run_match(args, out) == 0
    return out.getvalue()


@needs_corpus
def test_match_torch_28_on_h100_picks_cu128() -> None:
    data = json.loads(_match(CORPUS / TORCH_28, "nvidia-h100-sxm-570", "--json"))
    assert data["best"] == "cu128"
    assert data["ranked"] == ["cu128", "cu126", "00000000"]


@needs_corpus
def test_match_torch_28_on_gtx1080ti_picks_cu126_and_says_why_not_cu128() -> None:
    data = json.loads(_match(CORPUS / TORCH_28, "nvidia-gtx1080ti-570", "--json"))
    assert data["ranked"] == ["cu126", "00000000"]
    reason = data["rejected"]["cu128"]
    assert reason.startswith("needs `nvidia :: sm_arch :: 100_real`")
    assert "this machine supports 61_real, 60_real, 60_virtual" in reason
    text = " ".join(_match(CORPUS / TORCH_28, "nvidia-gtx1080ti-570").split())  # unwrapped
    assert "best: cu126 " in text
    assert "cu128 needs `nvidia :: sm_arch :: 100_real`" in text


@needs_corpus
def test_match_torch_28_on_a_cpu_only_machine_picks_the_null_variant_by_its_label() -> None:
    data = json.loads(_match(CORPUS / TORCH_28, "cpu-zen5-vm", "--json"))
    assert data["ranked"] == ["00000000"]
    assert sorted(data["rejected"]) == ["cu126", "cu128", "cu129"]
    text = " ".join(_match(CORPUS / TORCH_28, "cpu-zen5-vm").split())  # unwrapped
    assert "best: 00000000 " in text
    assert "1. 00000000 (no properties)" in text


# --------------------------------------------------------------------------------------
# v0.0.2 files: orders derived by hand from the v0.0.2 rules
# --------------------------------------------------------------------------------------

H100, GTX1080TI, RTX4090 = "nvidia-h100-sxm-570", "nvidia-gtx1080ti-570", "nvidia-rtx4090-560"
MI300X, ARC, ZEN5, GRAVITON = (
    "amd-mi300x-x8-cpx-rocm72",
    "intel-arc-a770-i915",
    "cpu-zen5-vm",
    "cpu-graviton3-al2023",
)

# Reasoning per row is in docs/matching.md ("v0.0.2 by its own rules").  In short:
# CUDA lower bounds rank newest first, so cu12 (12.0) beats cu11 (11.0); variants
# with equal keys fall back to the label; `plugin-use: none` namespaces support only
# the values listed under both default-priorities.feature and .property, so the
# `priority` and `abi_dependency` namespaces below support nothing; build-time
# namespaces (blas_lapack, openmp) support their property-priority list, in order;
# x86_64 comes first in those files' namespace list, so the v4 build wins where
# the CPU is x86-64-v4.
HAND_DERIVED = [
    (TORCH_28, H100, ["cu128", "cu126", "00000000"]),
    (TORCH_28, GTX1080TI, ["cu126", "00000000"]),
    (TORCH_28, RTX4090, ["cu126", "00000000"]),
    (TORCH_28, MI300X, ["00000000"]),
    (TORCH_28, ZEN5, ["00000000"]),
    ("variants-index-test/3004567/torch/torch-2.9.0-variants.json", H100, ["null"]),
    ("variants-index-test/3004567/torch/torch-2.9.0-variants.json", ARC, ["xpu", "null"]),
    ("variants-index-test/3004567/torch/torch-2.9.0-variants.json", MI300X, ["null"]),
    (
        "variants-index-test/175a558/torch/torch-2.9.0-variants.json",
        H100,
        ["cuda12.6", "cuda12.8", "null"],
    ),
    (
        "variants-index-test/175a558/torch/torch-2.9.0-variants.json",
        GTX1080TI,
        ["cuda12.6", "null"],
    ),
    (
        "variants-index-test/175a558/torch/torch-2.9.0-variants.json",
        RTX4090,
        ["cuda12.6", "cuda12.8", "null"],
    ),
    ("variants-index-test/175a558/torch/torch-2.9.0-variants.json", ARC, ["xpu", "null"]),
    ("variants-index-test/0f27c92/cupy/cupy-13.6.0-variants.json", H100, ["cu12", "cu11", "null"]),
    (
        "variants-index-test/0f27c92/cupy/cupy-13.6.0-variants.json",
        GTX1080TI,
        ["cu12", "cu11", "null"],
    ),
    ("variants-index-test/0f27c92/cupy/cupy-13.6.0-variants.json", GRAVITON, ["null"]),
    (
        "variants-index-test/0012668/numpy/numpy-2.3.3-variants.json",
        ZEN5,
        ["x8664v4_mkl", "accelerate", "openblas", "null"],
    ),
    (
        "variants-index-test/0012668/numpy/numpy-2.3.3-variants.json",
        GRAVITON,
        ["accelerate", "openblas", "null"],
    ),
    (
        "variants-index-test/0012668/scikit-learn/scikit_learn-1.7.2-variants.json",
        ZEN5,
        ["x8664vv4_iomp5", "gomp", "libomp", "null"],
    ),
    (
        "variants-index-test/0012668/scikit-learn/scikit_learn-1.7.2-variants.json",
        GRAVITON,
        ["gomp", "libomp", "null"],
    ),
    (
        "variant-abi-dependency-example/docs/v0.0.2/flash_attn/flash_attn-2.8.0-variants.json",
        H100,
        ["null"],
    ),
]


@needs_corpus
@pytest.mark.parametrize(("rel", "machine_name", "expected"), HAND_DERIVED)
def test_v002_files_rank_by_the_v002_rules(
    rel: str, machine_name: str, expected: List[str]
) -> None:
    vfile = load_variants_json(CORPUS / rel)
    assert vfile.schema == V002_SCHEMA
    assert ours(vfile, machine_name) == expected


# --------------------------------------------------------------------------------------
# Oracle: variantlib 0.2.2's resolver on the same inputs
# --------------------------------------------------------------------------------------


@pytest.fixture
def no_installed_distributions() -> Iterator[None]:
    """variantlib adds abi_dependency values of the running interpreter; here: none."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(importlib.metadata, "distributions", lambda: iter(()))
        mp.delenv("VARIANT_ABI_DEPENDENCY", raising=False)
        yield


def _installer_supported(vfile: VariantsFile, name: str) -> List[VariantProperty]:
    """What an installer feeds the resolver: static values, else the detection's."""
    from packaging.markers import Marker

    detection, env = machine(name)
    supported: List[VariantProperty] = []
    for ns, provider in vfile.providers.items():
        if provider.is_switchable and (
            provider.optional
            or (
                provider.enable_if is not None
                and not Marker(provider.enable_if).evaluate(dict(env))
            )
        ):
            continue
        if provider.is_static:
            supported.extend(provider.static_properties())
        else:
            supported.extend(p for p in detection.properties if p.namespace == ns)
    return supported


def _variantlib_order(vfile: VariantsFile, name: str) -> List[str]:
    from variantlib.models.variant import VariantDescription
    from variantlib.models.variant import VariantProperty as VLProperty
    from variantlib.resolver.lib import sort_and_filter_supported_variants

    # 0.2.2 only knows `null` as the null label; the file's own label is mapped back.
    rename: Dict[str, str] = {vfile.null_label: NULL_LABEL}
    vdescs = [
        VariantDescription.from_dict(nested, rename.get(label, label))
        for label, nested in vfile.variant_dicts().items()
    ]
    supported = [
        VLProperty(p.namespace, p.feature, p.value) for p in _installer_supported(vfile, name)
    ]
    result = sort_and_filter_supported_variants(
        vdescs,
        supported,
        list(vfile.namespace_priorities),
        {ns: list(f) for ns, f in vfile.feature_priorities.items()},
        {ns: {f: list(v) for f, v in t.items()} for ns, t in vfile.property_priorities.items()},
        filter_values=True,
    )
    back = {NULL_LABEL: vfile.null_label}
    return [back.get(vdesc.label, vdesc.label) for vdesc in result]


@needs_corpus
@pytest.mark.usefixtures("no_installed_distributions")
@pytest.mark.parametrize("machine_name", MACHINES)
@pytest.mark.parametrize("path", FILES, ids=_rel)
def test_ranking_agrees_with_variantlib_022(path: Path, machine_name: str) -> None:
    pytest.importorskip("variantlib.resolver.lib")
    vfile = load_variants_json(path)
    assert ours(vfile, machine_name) == _variantlib_order(vfile, machine_name)
