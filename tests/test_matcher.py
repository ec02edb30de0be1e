"""Hand-checked ranking vectors (spec §12) and the matcher's contract.

The expected orders below are copied from the spec's table, which was derived
by hand from the PEP 825 algorithm and confirmed with variantlib 0.2.2.
"""

from __future__ import annotations

import copy
from typing import Dict, List

import pytest

from variant_providers.matcher import (
    NULL_LABEL,
    abi_dependency_properties,
    compile_ranker,
    parse_feature,
    rank_variants,
)
from variant_providers.model import InvalidVariantProperty, VariantProperty

# ---------------------------------------------------------------------------------------
# NVIDIA provider output as §10 describes it (independent of any provider code).
# ---------------------------------------------------------------------------------------


def nvidia_lower_bounds(major: int, minor: int) -> List[str]:
    values = [f"{major}.{m}" for m in range(minor, -1, -1)] + [f"{major}"]
    for k in range(major - 1, 10, -1):
        values += [f"{k}.{m}" for m in range(20, -1, -1)] + [f"{k}"]
    return values


def nvidia_upper_bounds(major: int, minor: int) -> List[str]:
    values: List[str] = []
    for k in range(15, major, -1):
        values += [f"{k}.{m}" for m in range(20, -1, -1)] + [f"{k}"]
    values += [f"{major}.{m}" for m in range(20, minor, -1)]
    return values


def nvidia_supported(driver: str, sm: str) -> List[str]:
    major, minor = (int(x) for x in driver.split("."))
    sm_major, sm_minor = (int(x) for x in sm.split("."))
    props = [
        f"nvidia :: cuda_version_lower_bound :: {v}" for v in nvidia_lower_bounds(major, minor)
    ]
    props += [
        f"nvidia :: cuda_version_upper_bound :: {v}" for v in nvidia_upper_bounds(major, minor)
    ]
    props += [f"nvidia :: sm_arch :: {sm_major}{m}_real" for m in range(sm_minor, -1, -1)]
    props += [f"nvidia :: sm_arch :: {sm_major}0_virtual"]
    return props


def test_nvidia_list_sizes_match_spec() -> None:
    # §10: driver 12.8 -> 32 lower bounds and 78 upper bounds.
    assert len(nvidia_lower_bounds(12, 8)) == 32
    assert len(nvidia_upper_bounds(12, 8)) == 78
    assert nvidia_upper_bounds(13, 0)[-1] == "13.1"


def cuda_variant(lower: str, upper: str, sms: List[int]) -> Dict[str, Dict[str, List[str]]]:
    return {
        "nvidia": {
            "cuda_version_lower_bound": [lower],
            "cuda_version_upper_bound": [upper],
            "sm_arch": [f"{sm}_real" for sm in sms],
        }
    }


TORCH_LIKE = {
    "cu126": cuda_variant("12.6", "13", [50, 60, 70, 75, 80, 86, 90]),
    "cu128": cuda_variant("12.8", "13", [75, 80, 86, 90, 100, 120]),
    "cu129": cuda_variant("12.9", "13", [75, 80, 86, 90, 100, 120]),
    "cu130": cuda_variant("13.0", "14", [75, 80, 86, 90, 100, 110, 120]),
    "null": {},
}


@pytest.mark.parametrize(
    ("driver", "sm", "expected"),
    [
        ("12.8", "9.0", ["cu128", "cu126", "null"]),  # TV1
        ("12.8", "7.0", ["cu126", "null"]),  # TV2
        ("13.0", "12.0", ["cu130", "null"]),  # TV3
    ],
    ids=["TV1", "TV2", "TV3"],
)
def test_tv1_to_tv3_nvidia(driver: str, sm: str, expected: List[str]) -> None:
    assert rank_variants(TORCH_LIKE, nvidia_supported(driver, sm), ["nvidia"]) == expected


X86_SUPPORTED = [
    "x86_64 :: level :: v3",
    "x86_64 :: level :: v2",
    "x86_64 :: level :: v1",
    "x86_64 :: avx2 :: on",
    "x86_64 :: fma :: on",
    "x86_64 :: sse4_2 :: on",
]
X86_VARIANTS = {
    "x86_64_v4": ["x86_64 :: level :: v4"],
    "x86_64_v3": ["x86_64 :: level :: v3"],
    "x86_64_v2": ["x86_64 :: level :: v2"],
    "v3_fma": ["x86_64 :: level :: v3", "x86_64 :: fma :: on"],
    "avx2": ["x86_64 :: avx2 :: on"],
}


def test_tv4a_x86_default() -> None:
    assert rank_variants(X86_VARIANTS, X86_SUPPORTED, ["x86_64"]) == [
        "v3_fma",
        "x86_64_v3",
        "x86_64_v2",
        "avx2",
        "null",
    ]


def test_tv4b_property_priority() -> None:
    got = rank_variants(
        X86_VARIANTS, X86_SUPPORTED, ["x86_64"], property_priorities={"x86_64": {"level": ["v2"]}}
    )
    assert got == ["x86_64_v2", "v3_fma", "x86_64_v3", "avx2", "null"]


def test_tv4c_feature_priority() -> None:
    got = rank_variants(X86_VARIANTS, X86_SUPPORTED, ["x86_64"], {"x86_64": ["avx2"]})
    assert got == ["avx2", "v3_fma", "x86_64_v3", "x86_64_v2", "null"]


TV5_SUPPORTED = [
    "nvidia :: cuda_version_lower_bound :: 12.8",
    "nvidia :: cuda_version_lower_bound :: 12.6",
    "nvidia :: sm_arch :: 90_real",
    "nvidia :: sm_arch :: 90_virtual",
    "amd :: gfx_arch :: gfx942",
    "amd :: rocm_version :: 6.4",
]
TV5_VARIANTS = {
    "cu128": ["nvidia :: cuda_version_lower_bound :: 12.8", "nvidia :: sm_arch :: 90_real"],
    "cu126": ["nvidia :: cuda_version_lower_bound :: 12.6"],
    "rocm64": ["amd :: gfx_arch :: gfx942", "amd :: rocm_version :: 6.4"],
}


def test_tv5a_namespace_rank_dominates() -> None:
    assert rank_variants(TV5_VARIANTS, TV5_SUPPORTED, ["nvidia", "amd"]) == [
        "cu128",
        "cu126",
        "rocm64",
        "null",
    ]


def test_tv5b_namespace_order_swapped() -> None:
    assert rank_variants(TV5_VARIANTS, TV5_SUPPORTED, ["amd", "nvidia"]) == [
        "rocm64",
        "cu128",
        "cu126",
        "null",
    ]


def test_tv6_best_value_then_label() -> None:
    variants = {
        "b_xy": ["demo :: gpu :: x", "demo :: gpu :: y"],
        "a_x": ["demo :: gpu :: x"],
        "c_y": ["demo :: gpu :: y"],
        "d_z": ["demo :: gpu :: z"],
    }
    supported = ["demo :: gpu :: x", "demo :: gpu :: y"]
    assert rank_variants(variants, supported, ["demo"]) == ["a_x", "b_xy", "c_y", "null"]


def test_tv7_higher_feature_dominates_and_longer_wins() -> None:
    variants = {
        "p_a2": ["demo :: a :: 2"],
        "q_b1": ["demo :: b :: 1"],
        "r_a1b1": ["demo :: a :: 1", "demo :: b :: 1"],
        "s_a1": ["demo :: a :: 1"],
        "t_a2b1": ["demo :: a :: 2", "demo :: b :: 1"],
    }
    supported = ["demo :: a :: 1", "demo :: a :: 2", "demo :: b :: 1"]
    assert rank_variants(variants, supported, ["demo"]) == [
        "r_a1b1",
        "s_a1",
        "t_a2b1",
        "p_a2",
        "q_b1",
        "null",
    ]


TV8_VARIANTS = {
    "t2": ["abi_dependency :: torch :: 2"],
    "t29": ["abi_dependency :: torch :: 2.9"],
    "t291": ["abi_dependency :: torch :: 2.9.1"],
    "t28": ["abi_dependency :: torch :: 2.8"],
    "t28_29": ["abi_dependency :: torch :: 2.8", "abi_dependency :: torch :: 2.9"],
    "cu": ["nvidia :: sm_arch :: 90_real"],
    "cu_t28": ["nvidia :: sm_arch :: 90_real", "abi_dependency :: torch :: 2.8"],
    "cu_t29": ["nvidia :: sm_arch :: 90_real", "abi_dependency :: torch :: 2.9"],
}


def test_tv8_abi_dependency() -> None:
    got = rank_variants(
        TV8_VARIANTS,
        ["nvidia :: sm_arch :: 90_real"],
        ["nvidia"],
        abi_dependencies={"torch": "2.9.1"},
    )
    assert got == ["cu_t29", "cu", "t2", "t28_29", "t29", "t291", "null"]


def test_abi_dependency_is_not_injected_implicitly() -> None:
    # Without abi_dependencies nothing is read from the running interpreter:
    # every variant pinning an ABI dependency is incompatible.
    got = rank_variants(TV8_VARIANTS, ["nvidia :: sm_arch :: 90_real"], ["nvidia"])
    assert got == ["cu", "null"]


def test_abi_dependency_properties_emulation() -> None:
    props = abi_dependency_properties({"Foo-Bar": "1!3.0rc1+local", "torch": "2"})
    assert [str(p) for p in props] == [
        "abi_dependency :: foo_bar :: 3",
        "abi_dependency :: foo_bar :: 3.0",
        "abi_dependency :: foo_bar :: 3.0.0",
        "abi_dependency :: torch :: 2",
        "abi_dependency :: torch :: 2.0",
        "abi_dependency :: torch :: 2.0.0",
    ]
    with pytest.raises(ValueError, match="not_a_version"):
        abi_dependency_properties({"torch": "not_a_version"})


TV9_VARIANTS = {
    "z_xy": ["demo :: gpu :: x", "demo :: gpu :: y"],
    "b_y": ["demo :: gpu :: y"],
    "c_x": ["demo :: gpu :: x"],
}


def test_tv9a_forbidden_value_still_ranks() -> None:
    got = rank_variants(
        TV9_VARIANTS,
        ["demo :: gpu :: x", "demo :: gpu :: y"],
        ["demo"],
        forbidden_properties=["demo :: gpu :: x"],
    )
    assert got == ["z_xy", "b_y", "null"]


def test_tv9b_filter_values() -> None:
    got = rank_variants(
        TV9_VARIANTS,
        ["demo :: gpu :: x", "demo :: gpu :: y"],
        ["demo"],
        forbidden_properties=[VariantProperty("demo", "gpu", "x")],
        filter_values=True,
    )
    assert got == ["b_y", "z_xy", "null"]


# ---------------------------------------------------------------------------------------
# Contract
# ---------------------------------------------------------------------------------------


def test_forbidden_namespaces_and_features() -> None:
    assert rank_variants(
        TV5_VARIANTS, TV5_SUPPORTED, ["nvidia", "amd"], forbidden_namespaces=["amd"]
    ) == [
        "cu128",
        "cu126",
        "null",
    ]
    got = rank_variants(
        TV5_VARIANTS,
        TV5_SUPPORTED,
        ["nvidia", "amd"],
        forbidden_features=["nvidia :: sm_arch", ("amd", "rocm_version")],
    )
    assert got == ["cu126", "null"]


def test_feature_with_every_value_forbidden_is_incompatible() -> None:
    got = rank_variants(
        TV9_VARIANTS,
        ["demo :: gpu :: x", "demo :: gpu :: y"],
        ["demo"],
        forbidden_properties=["demo :: gpu :: x", "demo :: gpu :: y"],
    )
    assert got == ["null"]


def test_nested_and_flat_forms_agree() -> None:
    nested = {
        label: {"x86_64": {p.split(" :: ")[1]: [p.split(" :: ")[2]] for p in props}}
        for label, props in X86_VARIANTS.items()
    }
    as_objects = {
        label: [VariantProperty.parse(p) for p in props] for label, props in X86_VARIANTS.items()
    }
    expected = rank_variants(X86_VARIANTS, X86_SUPPORTED, ["x86_64"])
    assert rank_variants(nested, X86_SUPPORTED, ["x86_64"]) == expected
    assert rank_variants(as_objects, X86_SUPPORTED, ["x86_64"]) == expected


def test_whitespace_in_property_strings_is_free() -> None:
    variants = {"a": ["demo::gpu::x"], "b": ["  demo ::gpu::   y "]}
    assert rank_variants(variants, ["demo :: gpu :: y", "demo::gpu::x"], ["demo"]) == [
        "b",
        "a",
        "null",
    ]


def test_inputs_are_not_mutated() -> None:
    variants = {"a_x": ["demo :: gpu :: x"], "null": []}
    supported = ["demo :: gpu :: x"]
    nps = ["demo"]
    fps = {"demo": ["gpu"]}
    pps = {"demo": {"gpu": ["x"]}}
    before = copy.deepcopy((variants, supported, nps, fps, pps))
    assert rank_variants(variants, supported, nps, fps, pps) == ["a_x", "null"]
    assert (variants, supported, nps, fps, pps) == before


def test_null_always_present_and_last() -> None:
    assert rank_variants({}, [], []) == [NULL_LABEL]
    assert rank_variants({"null": [], "a": ["d :: f :: v"]}, ["d :: f :: v"], ["d"]) == [
        "a",
        "null",
    ]
    assert rank_variants({"null": {}}, [], []) == ["null"]


def test_missing_namespace_priority_is_named() -> None:
    with pytest.raises(ValueError, match="'amd'"):
        rank_variants(TV5_VARIANTS, TV5_SUPPORTED, ["nvidia"])


def test_namespaces_only_in_variants_need_no_priority() -> None:
    variants = {"a": ["other :: f :: v"], "b": ["demo :: f :: v"]}
    assert rank_variants(variants, ["demo :: f :: v"], ["demo"]) == ["b", "null"]


def test_unsupported_priority_entries_have_no_effect() -> None:
    base = rank_variants(X86_VARIANTS, X86_SUPPORTED, ["x86_64"])
    got = rank_variants(
        X86_VARIANTS,
        X86_SUPPORTED,
        ["nvidia", "x86_64"],
        {"x86_64": ["nope"], "nvidia": ["sm_arch"]},
        {"x86_64": {"level": ["v4"]}},
    )
    assert got == base


@pytest.mark.parametrize(
    ("variants", "message"),
    [
        ({"Bad": ["d :: f :: v"]}, "Bad"),
        ({"a": ["d :: f :: V1"]}, "V1"),
        ({"a": ["d :: f"]}, "d :: f"),
        ({"a": {"d": {"f": ["v!"]}}}, "v!"),
        ({"a": {"D": {"f": ["v"]}}}, "'D'"),
        ({"a": {"d": {"f": []}}}, "no values"),
        ({"a": []}, "no properties"),
        ({"null": ["d :: f :: v"]}, "must not have properties"),
    ],
)
def test_invalid_input_names_the_offending_text(variants: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rank_variants(variants, ["d :: f :: v"], ["d"])  # type: ignore[arg-type]


def test_invalid_supported_property() -> None:
    with pytest.raises(InvalidVariantProperty, match="Level"):
        rank_variants({}, ["x86_64 :: Level :: v3"], ["x86_64"])


def test_string_in_place_of_list_is_rejected() -> None:
    with pytest.raises(TypeError):
        rank_variants({"a": {"d": {"f": "v"}}}, ["d :: f :: v"], ["d"])
    with pytest.raises(TypeError):
        rank_variants({}, [], "d")


def test_ranker_is_memoized_and_isolated_from_later_mutation() -> None:
    supported = ["demo :: gpu :: x", "demo :: gpu :: y"]
    pps = {"demo": {"gpu": ["y"]}}
    first = compile_ranker(supported, ["demo"], None, pps)
    assert compile_ranker(list(supported), ("demo",), None, {"demo": {"gpu": ["y"]}}) is first
    pps["demo"]["gpu"] = ["x"]
    supported.reverse()
    # y preferred: b_y and z_xy tie on y (label decides), c_x only has x.
    assert first.rank(TV9_VARIANTS) == ["b_y", "z_xy", "c_x", "null"]
    assert [str(p) for p in first.ordered_supported] == ["demo :: gpu :: y", "demo :: gpu :: x"]


def test_ranker_allowed_values() -> None:
    ranker = compile_ranker(
        ["demo :: gpu :: x", "demo :: gpu :: y", "demo :: cpu :: a"],
        ["demo"],
        forbidden_properties=["demo :: gpu :: x"],
        forbidden_features=["demo :: cpu"],
    )
    assert ranker.allowed_values("demo", "gpu") == ("y",)
    assert ranker.is_usable_feature("demo", "gpu")
    assert not ranker.is_usable_feature("demo", "cpu")
    assert ranker.allowed_values("demo", "nope") == ()


def test_parse_feature() -> None:
    assert parse_feature(" nvidia::sm_arch ") == ("nvidia", "sm_arch")
    with pytest.raises(ValueError, match="a :: b :: c"):
        parse_feature("a :: b :: c")


def test_variants_json_shape_with_other_containers() -> None:
    # Tuples / non-dict mappings take the general path and rank the same way.
    from types import MappingProxyType

    variants = {
        "a": {"demo": {"gpu": ("x",)}},
        "b": MappingProxyType({"demo": {"gpu": ["y", "z"]}}),
        "c": {"demo": {"gpu": ["z"]}},
    }
    got = rank_variants(variants, ["demo :: gpu :: y", "demo :: gpu :: x"], ["demo"])
    assert got == ["b", "a", "null"]


def test_non_string_value_is_reported() -> None:
    with pytest.raises(TypeError, match="must be strings"):
        rank_variants({"a": {"d": {"f": [["v"]]}}}, ["d :: f :: v"], ["d"])
    with pytest.raises(TypeError, match="must be strings"):
        rank_variants({"a": {"d": {"f": [3]}}}, ["d :: f :: v"], ["d"])


def test_invalid_text_is_reported_even_after_a_valid_call() -> None:
    # The fast path trusts only what was validated before; new text is still checked.
    supported = ["d :: f :: v"]
    assert rank_variants({"a": {"d": {"f": ["v", "w"]}}}, supported, ["d"]) == ["a", "null"]
    with pytest.raises(ValueError, match="W!"):
        rank_variants({"a": {"d": {"f": ["v", "W!"]}}}, supported, ["d"])
    with pytest.raises(ValueError, match="Nope"):
        rank_variants({"a": {"d": {"f": ["v"]}, "Nope": {"f": ["v"]}}}, supported, ["d"])
