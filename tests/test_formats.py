"""The format readers: v0.0.2 rules, the 00000000 null label, older formats, round trips."""

from __future__ import annotations

import copy
from typing import Any, Dict, List

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from variant_providers.model import VariantProperty
from variant_providers.selection import select
from variant_providers.variants_file import (
    LEGACY_SCHEMA,
    SCHEMA,
    V002_SCHEMA,
    VariantsFile,
    schema_url,
)
from variant_providers.variants_json import VariantsJsonError, parse_variants_json

UNVERSIONED = "https://variants-schema.wheelnext.dev/"


def v002(**changes: Any) -> Dict[str, Any]:
    """A v0.0.2 file shaped like the test index's numpy: a build-time blas_lapack namespace."""
    doc: Dict[str, Any] = {
        "$schema": schema_url(V002_SCHEMA),
        "default-priorities": {
            "namespace": ["x86_64", "blas_lapack"],
            "feature": {"blas_lapack": ["provider"]},
            "property": {"blas_lapack": {"provider": ["openblas", "mkl"], "ilp": ["lp64"]}},
        },
        "providers": {
            "x86_64": {"requires": ["provider-variant-x86-64"]},
            "blas_lapack": {"requires": ["blas-lapack-variant-provider"], "plugin-use": "build"},
        },
        "variants": {
            "00000000": {},
            "mkl": {"blas_lapack": {"provider": ["mkl"]}},
            "obl": {"blas_lapack": {"provider": ["openblas"]}},
            "obl_lp64": {"blas_lapack": {"provider": ["openblas"], "ilp": ["lp64"]}},
            "v3": {"x86_64": {"level": ["v3"]}},
        },
    }
    doc.update(changes)
    return doc


def test_build_namespace_supports_the_package_defined_values() -> None:
    vfile = parse_variants_json(v002())
    assert vfile.schema == V002_SCHEMA
    provider = vfile.providers["blas_lapack"]
    assert provider.is_static and not provider.install_time
    # `ilp` has values but is not in feature[blas_lapack]: it supports nothing.
    assert [str(p) for p in provider.static_properties()] == [
        "blas_lapack :: provider :: openblas",
        "blas_lapack :: provider :: mkl",
    ]
    sel = select(vfile, ["x86_64 :: level :: v3"])
    assert sel.ranked == ("v3", "obl", "mkl", "00000000")
    assert "blas_lapack :: ilp :: lp64" in sel.rejected["obl_lp64"]


def test_none_namespace_needs_no_requires_and_all_needs_them() -> None:
    doc = v002()
    doc["providers"]["blas_lapack"] = {"plugin-use": "none", "requires": []}
    assert parse_variants_json(doc).providers["blas_lapack"].requires == ()
    doc["providers"]["blas_lapack"] = {"plugin-use": "build", "requires": []}
    with pytest.raises(VariantsJsonError, match=r"providers\.blas_lapack\.requires: must not"):
        parse_variants_json(doc)
    doc["providers"]["blas_lapack"] = {"plugin-use": "sometimes", "requires": ["x"]}
    with pytest.raises(VariantsJsonError, match="invalid plugin-use 'sometimes'"):
        parse_variants_json(doc)


def test_optional_and_enable_if_do_not_switch_off_build_namespaces() -> None:
    doc = v002()
    doc["providers"]["blas_lapack"].update({"optional": True, "enable-if": "python_version < '1'"})
    doc["providers"]["x86_64"]["optional"] = True
    sel = select(parse_variants_json(doc), ["x86_64 :: level :: v3"])
    assert sel.ranked == ("obl", "mkl", "00000000")
    assert "optional" in sel.rejected["v3"]


@pytest.mark.parametrize("url", [UNVERSIONED, UNVERSIONED.rstrip("/")])
def test_unversioned_url_is_v002(url: str) -> None:
    assert parse_variants_json(v002(**{"$schema": url})).schema == V002_SCHEMA


def test_a_file_without_schema_that_uses_plugin_use_is_v002() -> None:
    doc = v002()
    del doc["$schema"]
    assert parse_variants_json(doc).schema == V002_SCHEMA


def test_v002_rejects_keys_of_later_formats() -> None:
    doc = v002()
    doc["providers"]["x86_64"]["install-time"] = True
    with pytest.raises(VariantsJsonError, match=r"belongs to the v0\.0\.3 format"):
        parse_variants_json(doc)


def _v003(variants: Dict[str, Any], namespaces: List[str]) -> Dict[str, Any]:
    providers = {ns: {"requires": [f"{ns}-provider"]} for ns in namespaces}
    return {
        "$schema": schema_url(LEGACY_SCHEMA),
        "default-priorities": {"namespace": namespaces},
        "providers": providers,
        "variants": variants,
    }


def test_00000000_is_the_null_variant_in_older_formats_only() -> None:
    doc = _v003({"00000000": {}, "v3": {"x86_64": {"level": ["v3"]}}}, ["x86_64"])
    vfile = parse_variants_json(doc)
    assert vfile.null_label == "00000000"
    assert select(vfile, []).ranked == ("00000000",)
    doc["$schema"] = schema_url(SCHEMA)
    with pytest.raises(VariantsJsonError, match="only the 'null' variant may have no properties"):
        parse_variants_json(doc)


def test_two_null_variants_are_an_error() -> None:
    doc = _v003({"00000000": {}, "null": {}}, ["x86_64"])
    with pytest.raises(VariantsJsonError, match="two null variants: '00000000', 'null'"):
        parse_variants_json(doc)


def test_00000000_with_properties_is_an_ordinary_label() -> None:
    doc = _v003({"00000000": {"x86_64": {"level": ["v3"]}}}, ["x86_64"])
    vfile = parse_variants_json(doc)
    assert vfile.null_label == "null"
    assert select(vfile, ["x86_64 :: level :: v3"]).ranked == ("00000000", "null")


def test_variant_json_needing_no_provider() -> None:
    null_only = _v003({"null": {}}, [])
    assert parse_variants_json(null_only).label == "null"
    tbb = _v003({"tbbon": {"itk": {"threading": ["tbb"]}}}, [])
    sel = select(parse_variants_json(tbb), [])
    assert sel.ranked == ("null",)
    assert sel.rejected == {
        "tbbon": "needs namespace `itk`, for which the file declares no provider"
    }


def test_v020_still_needs_providers_and_namespaces() -> None:
    doc = _v003({"null": {}}, [])
    doc["$schema"] = schema_url(SCHEMA)
    with pytest.raises(VariantsJsonError, match=r"namespace: must not be empty"):
        parse_variants_json(doc)


def test_a_hand_built_model_has_no_writer() -> None:
    vfile = VariantsFile(schema=SCHEMA, namespace_priorities=(), providers={}, variants={})
    with pytest.raises(ValueError, match="no writer attached"):
        vfile.to_json()


# --------------------------------------------------------------------------------------
# Round trip: a document in one format, read, written in that format and read again
# --------------------------------------------------------------------------------------

NAMES = st.sampled_from(["a", "b", "nv", "x86_64", "f_1"])
VALUES = st.lists(
    st.sampled_from(["0", "1", "12.8", "v3", "on", "x_y"]), min_size=1, max_size=3, unique=True
)
LABELS = st.sampled_from(["cu128", "v3", "a.b", "x_1", "0f", "mkl"])


@st.composite
def documents(draw: st.DrawFn) -> Dict[str, Any]:
    version = draw(st.sampled_from([SCHEMA, LEGACY_SCHEMA, V002_SCHEMA]))
    namespaces = draw(st.lists(NAMES, min_size=1, max_size=3, unique=True))
    static = set(draw(st.lists(st.sampled_from(namespaces), unique=True)))
    features = {ns: draw(st.lists(NAMES, min_size=1, max_size=2, unique=True)) for ns in namespaces}
    values = {ns: {f: draw(VALUES) for f in fs} for ns, fs in features.items()}
    providers: Dict[str, Any] = {}
    prio: Dict[str, Any] = {"namespace": namespaces}
    top: Dict[str, Any] = {}
    for ns in namespaces:
        entry: Dict[str, Any] = {"requires": [f"{ns}-provider>=1"]}
        if draw(st.booleans()):
            entry["optional"] = True
        if version == SCHEMA and ns in static:
            entry = {"static-properties": values[ns]}
            if len(features[ns]) > 1:
                entry["feature-order"] = features[ns]
        elif version != SCHEMA and draw(st.booleans()):
            entry["enable-if"] = "platform_system == 'Linux'"
        if version == LEGACY_SCHEMA and ns in static:
            entry["install-time"] = False
            top.setdefault("static-properties", {})[ns] = values[ns]
        if version == V002_SCHEMA and ns in static:
            entry["plugin-use"] = draw(st.sampled_from(["build", "none"]))
        providers[ns] = entry
    if version != SCHEMA:
        prio["feature"] = {ns: features[ns] for ns in namespaces if draw(st.booleans())}
        prio["property"] = {ns: values[ns] for ns in namespaces if draw(st.booleans())}
    variants: Dict[str, Any] = {}
    for label in draw(st.lists(LABELS, max_size=4, unique=True)):
        ns = draw(st.sampled_from(namespaces))
        feature = draw(st.sampled_from(features[ns]))
        variants[label] = {ns: {feature: draw(VALUES)}}
    if draw(st.booleans()):
        null = "null" if version == SCHEMA else draw(st.sampled_from(["null", "00000000"]))
        variants[null] = {}
    return {
        "$schema": schema_url(version),
        "default-priorities": prio,
        "providers": providers,
        **top,
        "variants": variants,
    }


@settings(max_examples=200, deadline=None)
@given(documents())
def test_written_and_read_back_gives_the_same_model(doc: Dict[str, Any]) -> None:
    before = copy.deepcopy(doc)
    vfile = parse_variants_json(doc)
    assert doc == before
    written = vfile.to_json()
    again = parse_variants_json(written)
    assert again == vfile
    assert again.to_json() == written
    for props in vfile.variants.values():
        assert list(props) == sorted(props)
        assert all(isinstance(p, VariantProperty) for p in props)
