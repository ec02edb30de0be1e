"""The matcher's boundary: every accepted input shape ranks alike, bad input is named."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Dict, List

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from variant_providers.matcher import compile_ranker, rank_variants
from variant_providers.model import VariantProperty

SUPPORTED = ["d :: f :: v", "d :: f :: w", "d :: g :: x", "e :: h :: y"]
NAMESPACES = ["d", "e"]


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"variants": ["a"]}, "variants must map each label"),
        ({"variants": "a"}, "variants must map each label"),
        ({"feature_priorities": ["f"]}, "feature_priorities must be a mapping"),
        ({"feature_priorities": {"d": "f"}}, "feature_priorities['d'] must be a sequence"),
        ({"property_priorities": {"d": ["v"]}}, "property_priorities['d'] must be a mapping"),
        ({"property_priorities": "d"}, "property_priorities must be a mapping"),
        ({"abi_dependencies": ["torch"]}, "abi_dependencies must be a mapping"),
        ({"supported": "d :: f :: v"}, "supported must be a sequence"),
        ({"supported": {"d :: f :: v": 1}}, "supported must be a sequence"),
        ({"namespace_priorities": "d"}, "namespace_priorities must be a sequence"),
        ({"forbidden_features": "d :: f"}, "forbidden_features must be a sequence"),
        ({"forbidden_properties": "d :: f :: v"}, "forbidden_properties must be a sequence"),
    ],
)
def test_a_wrong_argument_type_is_a_type_error_naming_it(
    kwargs: Dict[str, Any], named: str
) -> None:
    args: Dict[str, Any] = {
        "variants": {"a": ["d :: f :: v"]},
        "supported": SUPPORTED,
        "namespace_priorities": NAMESPACES,
        **kwargs,
    }
    with pytest.raises(TypeError) as info:
        rank_variants(**args)
    assert named in str(info.value)
    assert not isinstance(info.value, AttributeError)


@pytest.mark.parametrize(
    "props",
    [
        ["d :: f :: v", "d :: f :: v"],
        ["d :: f :: v", "d :: g :: x", "d::f::v"],
        [VariantProperty("d", "f", "v"), VariantProperty("d", "f", "v")],
        {"d": {"f": ["v", "w", "v"]}},
        {"d": {"f": ("v", "v")}},
        MappingProxyType({"d": {"f": ["v", "v"]}}),
    ],
)
def test_a_value_listed_twice_is_an_error(props: object) -> None:
    with pytest.raises(ValueError, match=r"variant 'a': duplicate value 'v' of 'd :: f'"):
        rank_variants({"a": props}, SUPPORTED, NAMESPACES)  # type: ignore[dict-item]


def test_duplicates_are_found_in_unsupported_features_too() -> None:
    with pytest.raises(ValueError, match="duplicate value 'z'"):
        rank_variants({"a": {"q": {"r": ["z", "z"]}}}, SUPPORTED, NAMESPACES)


@pytest.mark.parametrize("value", ["v", "nope"])  # supported, and not
def test_a_repeat_is_found_once_its_properties_are_known(value: str) -> None:
    # Lists of properties seen before are ranked from a memo: a repeat in two
    # spellings, or of one object, must still be the same error as the first time.
    spellings = [f"d :: f :: {value}", f"d::f::{value}"]
    objects = [VariantProperty("d", "f", value)] * 2
    for _ in range(2):
        rank_variants(
            {"p": spellings[:1], "q": spellings[1:], "r": objects[:1]}, SUPPORTED, NAMESPACES
        )
        for props in (spellings, objects):
            with pytest.raises(ValueError, match=f"duplicate value '{value}' of 'd :: f'"):
                rank_variants({"a": props}, SUPPORTED, NAMESPACES)


def test_known_lists_rank_as_their_first_sighting() -> None:
    variants = {
        "one": ["d :: f :: w", "d :: g :: x"],
        "two": ["d :: f :: v", "d :: f :: u", "e :: h :: y"],
        "three": ["d :: f :: u"],
        "four": ["q :: r :: z", "d :: f :: v"],
    }
    objects = {
        label: [VariantProperty.parse(t) for t in props] for label, props in variants.items()
    }
    nested: Dict[str, Dict[str, Dict[str, List[str]]]] = {}
    for label, props in variants.items():
        for p in map(VariantProperty.parse, props):
            nested.setdefault(label, {}).setdefault(p.namespace, {}).setdefault(
                p.feature, []
            ).append(p.value)
    expected = rank_variants(nested, SUPPORTED, NAMESPACES)
    assert expected == ["two", "one", "null"]  # u and z are unsupported; v before w
    for _ in range(3):
        assert rank_variants(variants, SUPPORTED, NAMESPACES) == expected
        assert rank_variants(objects, SUPPORTED, NAMESPACES) == expected


def test_errors_are_found_after_an_incompatible_feature() -> None:
    with pytest.raises(ValueError, match="'Bad!'"):
        rank_variants({"a": {"q": {"r": ["z"]}, "d": {"f": ["Bad!"]}}}, SUPPORTED, NAMESPACES)
    with pytest.raises(ValueError, match="'Bad!'"):
        rank_variants({"a": ["q :: r :: z", "d :: f :: Bad!"]}, SUPPORTED, NAMESPACES)


def test_variant_key_is_a_tuple_and_none_when_incompatible() -> None:
    ranker = compile_ranker(SUPPORTED, NAMESPACES)
    key = ranker.variant_key("a", ["d :: f :: w"])
    assert isinstance(key, tuple) and key == ranker.variant_key("a", {"d": {"f": ["w"]}})
    assert ranker.variant_key("a", ["d :: f :: nope"]) is None


# --------------------------------------------------------------------------------------
# Every shape ranks the same variants the same way
# --------------------------------------------------------------------------------------

VALUES = {("d", "f"): ["v", "w", "u"], ("d", "g"): ["x", "t"], ("e", "h"): ["y"], ("q", "r"): ["z"]}


@st.composite
def variant_sets(draw: st.DrawFn) -> Dict[str, Dict[str, Dict[str, List[str]]]]:
    labels = draw(st.lists(st.sampled_from(["a", "b", "c", "a.1", "b_2", "z"]), unique=True))
    out: Dict[str, Dict[str, Dict[str, List[str]]]] = {}
    for label in labels:
        keys = draw(st.lists(st.sampled_from(sorted(VALUES)), min_size=1, max_size=3, unique=True))
        nested: Dict[str, Dict[str, List[str]]] = {}
        for ns, feature in keys:
            values = draw(st.lists(st.sampled_from(VALUES[(ns, feature)]), min_size=1, unique=True))
            nested.setdefault(ns, {})[feature] = values
        out[label] = nested
    return out


@settings(max_examples=150, deadline=None)
@given(variant_sets(), st.booleans())
def test_every_input_shape_gives_the_same_order(
    nested: Dict[str, Dict[str, Dict[str, List[str]]]], reverse: bool
) -> None:
    def flat(label: str) -> List[str]:
        items = [
            f"{ns} :: {f} :: {v}"
            for ns, fs in nested[label].items()
            for f, vs in fs.items()
            for v in vs
        ]
        return items[::-1] if reverse else items  # order inside a variant does not matter

    shapes: List[Dict[str, Any]] = [
        nested,
        {label: flat(label) for label in nested},
        {label: tuple(flat(label)) for label in nested},
        {label: [VariantProperty.parse(t) for t in flat(label)] for label in nested},
        {label: (VariantProperty.parse(t) for t in flat(label)) for label in nested},
        {
            label: MappingProxyType(
                {ns: {f: tuple(v) for f, v in fs.items()} for ns, fs in n.items()}
            )
            for label, n in nested.items()
        },
    ]
    orders = [rank_variants(shape, SUPPORTED, NAMESPACES) for shape in shapes]
    assert all(order == orders[0] for order in orders)
    assert orders[0][-1] == "null"
