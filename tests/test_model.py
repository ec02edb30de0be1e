"""The property model: grammar, parsing, canonical form, ordering."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from variant_providers import (
    FeatureConfig,
    InvalidFeatureConfig,
    InvalidVariantProperty,
    VariantProperty,
)

NAME_CHARS = string.ascii_lowercase + string.digits + "_"
names = st.text(alphabet=NAME_CHARS, min_size=1, max_size=20)
values = st.text(alphabet=NAME_CHARS + ".", min_size=1, max_size=20)
spaces = st.text(alphabet=" \t", max_size=3)


@given(names, names, values, spaces, spaces, spaces, spaces, spaces, spaces)
def test_parse_accepts_any_whitespace_around_separators(
    ns: str, feat: str, val: str, s1: str, s2: str, s3: str, s4: str, lead: str, trail: str
) -> None:
    text = f"{lead}{ns}{s1}::{s2}{feat}{s3}::{s4}{val}{trail}"
    prop = VariantProperty.parse(text)
    assert (prop.namespace, prop.feature, prop.value) == (ns, feat, val)
    assert str(prop) == f"{ns} :: {feat} :: {val}"


@given(names, names, values)
def test_str_parse_round_trip(ns: str, feat: str, val: str) -> None:
    prop = VariantProperty(ns, feat, val)
    assert VariantProperty.parse(str(prop)) == prop
    assert hash(VariantProperty.parse(str(prop))) == hash(prop)


# One representative of every character class the grammar rejects.
REJECTED = ["A", "Z", "-", " ", "é", "ß", "/", ":", "\u00b2", "\n", "+", "@", "\u0660", "ａ"]


@pytest.mark.parametrize("bad", REJECTED)
@pytest.mark.parametrize("part", ["namespace", "feature", "value"])
def test_every_invalid_character_class_is_rejected_with_the_part_named(bad: str, part: str) -> None:
    parts = {"namespace": "nvidia", "feature": "sm_arch", "value": "90_real"}
    parts[part] = f"x{bad}y"
    with pytest.raises(InvalidVariantProperty) as excinfo:
        VariantProperty(**parts)
    message = str(excinfo.value)
    assert f"the {part} " in message
    assert repr(f"x{bad}y") in message


def test_dot_is_allowed_in_values_only() -> None:
    assert VariantProperty("nvidia", "cuda_version_lower_bound", "12.8").value == "12.8"
    with pytest.raises(InvalidVariantProperty, match=r"the namespace 'a\.b'"):
        VariantProperty.parse("a.b :: c :: d")
    with pytest.raises(InvalidVariantProperty, match=r"the feature 'c\.d'"):
        VariantProperty.parse("a :: c.d :: e")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("x86_64 :: level", "found 2 parts"),
        ("a :: b :: c :: d", "found 4 parts"),
        ("a : b : c", "found 1 part"),
        ("a :: b :: ", "the value '' is empty"),
        (" :: b :: c", "the namespace '' is empty"),
        ("X86_64 :: level :: v3", "contains 'X'"),
        ("x86_64 :: level :: v3-x", "contains '-'"),
    ],
)
def test_parse_errors_quote_the_input_and_say_what_is_wrong(text: str, fragment: str) -> None:
    with pytest.raises(InvalidVariantProperty) as excinfo:
        VariantProperty.parse(text)
    assert repr(text) in str(excinfo.value)
    assert fragment in str(excinfo.value)


def test_invalid_property_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        VariantProperty.parse("nope")
    with pytest.raises(InvalidVariantProperty, match="expected a string"):
        VariantProperty.parse(42)  # type: ignore[arg-type]


def test_properties_are_immutable_and_ordered() -> None:
    a = VariantProperty.parse("amd :: gfx_arch :: gfx942")
    b = VariantProperty.parse("nvidia :: sm_arch :: 90_real")
    c = VariantProperty.parse("nvidia :: sm_arch :: 80_real")
    assert sorted([b, a, c]) == [a, c, b]
    with pytest.raises(AttributeError):
        a.value = "gfx90a"  # type: ignore[misc]
    assert len({a, VariantProperty("amd", "gfx_arch", "gfx942")}) == 1


def test_feature_config_keeps_value_order_and_builds_properties() -> None:
    cfg = FeatureConfig("sm_arch", ["90_real", "90_virtual"], multi_value=True)
    assert cfg.values == ("90_real", "90_virtual")
    assert [str(p) for p in cfg.properties("nvidia")] == [
        "nvidia :: sm_arch :: 90_real",
        "nvidia :: sm_arch :: 90_virtual",
    ]
    assert cfg.to_dict() == {
        "name": "sm_arch",
        "values": ["90_real", "90_virtual"],
        "multi_value": True,
    }


@pytest.mark.parametrize(
    ("name", "vals", "fragment"),
    [
        ("level", [], "has no values"),
        ("level", ["v3", "v3"], "listed twice"),
        ("Level", ["v3"], "invalid feature name 'Level'"),
        ("level", ["V3"], "invalid value 'V3'"),
        ("level", "v3", "not one string"),
        ("level", None, "not NoneType"),
    ],
)
def test_feature_config_rejects_invalid_configs(name: str, vals: object, fragment: str) -> None:
    with pytest.raises(InvalidFeatureConfig, match=fragment):
        FeatureConfig(name, vals)  # type: ignore[arg-type]


@given(names, st.lists(values, min_size=1, max_size=8, unique=True), st.booleans())
def test_feature_config_accepts_every_valid_config(name: str, vals: list[str], multi: bool) -> None:
    cfg = FeatureConfig(name, vals, multi)
    assert list(cfg.values) == vals
    assert cfg.multi_value is multi


def test_a_property_behaves_as_the_frozen_ordered_dataclass_it_replaces() -> None:
    import copy
    import dataclasses
    import pickle

    @dataclasses.dataclass(frozen=True, order=True)
    class Standard:
        namespace: str
        feature: str
        value: str

    texts = ["x86_64 :: level :: v3", "x86_64 :: level :: v2", "nvidia :: sm_arch :: 90_real"]
    ours = [VariantProperty.parse(t) for t in texts]
    theirs = [Standard(p.namespace, p.feature, p.value) for p in ours]
    assert [repr(p) for p in ours] == [
        "VariantProperty" + repr(s).partition("Standard")[2] for s in theirs
    ]
    for a, sa in zip(ours, theirs):
        for b, sb in zip(ours, theirs):
            assert (a == b, a < b, a <= b, a > b, a >= b) == (
                sa == sb,
                sa < sb,
                sa <= sb,
                sa > sb,
                sa >= sb,
            )
        assert hash(a) == hash(sa)
        assert a != (a.namespace, a.feature, a.value) and a.__lt__("x") is NotImplemented
        with pytest.raises(dataclasses.FrozenInstanceError):
            a.value = "v4"  # type: ignore[misc]
        with pytest.raises(dataclasses.FrozenInstanceError):
            del a.value
        assert copy.copy(a) == a == pickle.loads(pickle.dumps(a))
        assert str(copy.deepcopy(a)) == str(a)
    assert VariantProperty.__match_args__ == ("namespace", "feature", "value")
