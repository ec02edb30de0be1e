"""Reading variants.json (v0.2.0 and v0.0.3) and a wheel's variant.json."""

from __future__ import annotations

import copy
import json
import zipfile
from pathlib import Path
from typing import Any, Dict

import pytest

from variant_providers.model import VariantProperty
from variant_providers.variants_json import (
    LEGACY_SCHEMA,
    SCHEMA,
    UnsupportedSchemaError,
    VariantsJsonError,
    load_variants_json,
    load_wheel_variant_json,
    parse_variants_json,
    schema_url,
)

DATA = Path(__file__).parent / "data" / "variants"


def load_doc(name: str) -> Dict[str, Any]:
    with open(DATA / name, encoding="utf-8") as fh:
        doc: Dict[str, Any] = json.load(fh)
    return doc


def test_v020_spec_example() -> None:
    vf = load_variants_json(DATA / "spec-v0.2.0.json")
    assert vf.schema == SCHEMA
    assert vf.namespace_priorities == ("nvidia", "x86_64", "blas_lapack")
    assert list(vf.variants) == ["cu128_v3", "cpu_v3_mkl", "null"]
    assert vf.variants["cpu_v3_mkl"] == (
        VariantProperty("blas_lapack", "library", "mkl"),
        VariantProperty("x86_64", "level", "v3"),
    )
    assert vf.variants["null"] == ()
    nvidia = vf.providers["nvidia"]
    assert nvidia.requires == ("nvidia-variant-provider >=0.0.2,<1",)
    assert nvidia.plugin_api == "nvidia_variant_provider.plugin:NvidiaVariantPlugin"
    assert not nvidia.is_static
    blas = vf.providers["blas_lapack"]
    assert blas.is_static and not blas.install_time
    assert [str(p) for p in blas.static_properties()] == [
        "blas_lapack :: library :: openblas",
        "blas_lapack :: library :: mkl",
        "blas_lapack :: ilp :: lp64",
        "blas_lapack :: ilp :: ilp64",
    ]
    # feature-order is the package's feature priority (variantlib uses it the same way)
    assert dict(vf.feature_priorities) == {"blas_lapack": ("library", "ilp")}


def test_v003_spec_example() -> None:
    vf = load_variants_json(DATA / "spec-v0.0.3.json")
    assert vf.schema == LEGACY_SCHEMA
    assert dict(vf.feature_priorities) == {"x86_64": ("level",)}
    assert {ns: dict(f) for ns, f in vf.property_priorities.items()} == {
        "blas_lapack": {"library": ("openblas",)}
    }
    assert vf.providers["nvidia"].enable_if == (
        "platform_system == 'Linux' or platform_system == 'Windows'"
    )
    assert vf.providers["nvidia"].install_time
    blas = vf.providers["blas_lapack"]
    assert not blas.install_time and blas.requires == ()
    assert [str(p) for p in blas.static_properties()] == [
        "blas_lapack :: library :: openblas",
        "blas_lapack :: library :: mkl",
    ]


@pytest.mark.parametrize(
    "name",
    ["spec-v0.2.0.json", "spec-v0.0.3.json", "blas-omp-v0.2.0.json", "torch-like-v0.2.0.json"],
)
def test_round_trip(name: str) -> None:
    doc = load_doc(name)
    vf = parse_variants_json(doc)
    out = vf.to_json()
    assert parse_variants_json(out) == vf
    # The files are written canonically (values sorted), so the document comes back
    # unchanged except for unknown top-level keys, which are not kept.
    expected = {k: v for k, v in doc.items() if not k.startswith("x-")}
    assert out == expected


def test_round_trip_sorts_values() -> None:
    doc = load_doc("spec-v0.2.0.json")
    doc["variants"]["cu128_v3"]["nvidia"]["sm_arch"] = ["90_real", "120_real", "100_real"]
    out = parse_variants_json(doc).to_json()
    assert out["variants"]["cu128_v3"]["nvidia"]["sm_arch"] == ["100_real", "120_real", "90_real"]


def test_v020_document_is_accepted_by_variantlib() -> None:
    variants_json = pytest.importorskip("variantlib.variants_json")
    for name in ("spec-v0.2.0.json", "blas-omp-v0.2.0.json"):
        out = parse_variants_json(load_doc(name)).to_json()
        theirs = variants_json.VariantsJson(out)
        assert list(theirs.variants) == list(out["variants"])


def test_unknown_top_level_keys_are_ignored() -> None:
    doc = load_doc("spec-v0.2.0.json")
    doc["x-generated-by"] = {"anything": [1, 2]}
    assert parse_variants_json(doc) == parse_variants_json(load_doc("spec-v0.2.0.json"))


def test_inputs_are_not_mutated() -> None:
    doc = load_doc("spec-v0.0.3.json")
    before = copy.deepcopy(doc)
    parse_variants_json(doc).to_json()
    assert doc == before


def test_missing_schema_is_inferred_from_the_keys() -> None:
    legacy = load_doc("spec-v0.0.3.json")
    del legacy["$schema"]
    assert parse_variants_json(legacy).schema == LEGACY_SCHEMA
    current = load_doc("spec-v0.2.0.json")
    del current["$schema"]
    assert parse_variants_json(current).schema == SCHEMA


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (schema_url("0.1.0"), "unsupported format version 0.1.0"),
        (schema_url("9.9.9"), "unsupported format version 9.9.9"),
        ("https://example.com/schema.json", "unrecognized schema"),
    ],
)
def test_unknown_schema_is_unsupported_not_guessed(url: str, message: str) -> None:
    doc = load_doc("spec-v0.2.0.json")
    doc["$schema"] = url
    with pytest.raises(UnsupportedSchemaError, match=message) as info:
        parse_variants_json(doc, source="pkg-1.0-variants.json")
    assert str(info.value).startswith("pkg-1.0-variants.json: $schema: ")


def test_malformed_json_names_file_and_position() -> None:
    with pytest.raises(VariantsJsonError) as info:
        load_variants_json(DATA / "malformed.json")
    message = str(info.value)
    assert "malformed.json" in message
    assert "line 4, column 3" in message


def test_unreadable_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope-variants.json"
    with pytest.raises(VariantsJsonError, match=r"nope-variants\.json: cannot read"):
        load_variants_json(missing)


def test_not_an_object() -> None:
    with pytest.raises(VariantsJsonError, match="expected a JSON object, found a list"):
        parse_variants_json("[1, 2]")


def _broken(name: str, edit: Any) -> Dict[str, Any]:
    doc = load_doc(name)
    edit(doc)
    return doc


@pytest.mark.parametrize(
    ("name", "edit", "where", "what"),
    [
        (
            "spec-v0.2.0.json",
            lambda d: d["variants"]["cu128_v3"]["nvidia"]["sm_arch"].append("SM90"),
            "variants.cu128_v3.nvidia.sm_arch[3]",
            "'SM90'",
        ),
        (
            "spec-v0.2.0.json",
            lambda d: d["variants"].update({"Bad-Label": {"x86_64": {"level": ["v3"]}}}),
            "variants.Bad-Label",
            "invalid variant label",
        ),
        (
            "spec-v0.2.0.json",
            lambda d: d["variants"].update({"cpu": {}}),
            "variants.cpu",
            "only the 'null' variant",
        ),
        (
            "spec-v0.2.0.json",
            lambda d: d["variants"].update({"null": {"x86_64": {"level": ["v1"]}}}),
            "variants.null",
            "must have no properties",
        ),
        (
            "spec-v0.2.0.json",
            lambda d: d["variants"].update({"arm": {"aarch64": {"version": ["8a"]}}}),
            "variants.arm.aarch64",
            "no entry in providers",
        ),
        (
            "spec-v0.2.0.json",
            lambda d: d["variants"]["cpu_v3_mkl"]["x86_64"].update({"level": ["v3", "v3"]}),
            "variants.cpu_v3_mkl.x86_64.level[1]",
            "listed twice",
        ),
        (
            "spec-v0.2.0.json",
            lambda d: d["variants"]["cpu_v3_mkl"]["x86_64"].update({"level": []}),
            "variants.cpu_v3_mkl.x86_64.level",
            "must not be empty",
        ),
        (
            "spec-v0.2.0.json",
            lambda d: d["default-priorities"]["namespace"].pop(),
            "default-priorities.namespace",
            "blas_lapack missing from the priority list",
        ),
        (
            "spec-v0.2.0.json",
            lambda d: d["default-priorities"].update({"feature": {"x86_64": ["level"]}}),
            "default-priorities.feature",
            "v0.0.3 format",
        ),
        (
            "spec-v0.2.0.json",
            lambda d: d["providers"]["x86_64"].update({"static-properties": {"level": ["v3"]}}),
            "providers.x86_64",
            "exactly one of requires, static-properties or builtin",
        ),
        (
            "spec-v0.2.0.json",
            lambda d: d["providers"]["blas_lapack"].update({"feature-order": ["library"]}),
            "providers.blas_lapack.feature-order",
            "must order every static feature",
        ),
        (
            "spec-v0.2.0.json",
            lambda d: d["providers"]["x86_64"].update({"requires": "provider-variant-x86-64"}),
            "providers.x86_64.requires",
            "expected a list of strings, found a string",
        ),
        (
            "spec-v0.2.0.json",
            lambda d: d["providers"]["x86_64"].update({"optional": "yes"}),
            "providers.x86_64.optional",
            "expected true or false",
        ),
        (
            "spec-v0.2.0.json",
            lambda d: d["providers"]["x86_64"].update({"build-requires": ["x"]}),
            "providers.x86_64.build-requires",
            "only allowed in pyproject.toml",
        ),
        (
            "spec-v0.0.3.json",
            lambda d: d["providers"]["nvidia"].update({"enable-if": "platform_system = 'Linux'"}),
            "providers.nvidia.enable-if",
            "invalid environment marker",
        ),
        (
            "spec-v0.0.3.json",
            lambda d: d["providers"]["nvidia"].update({"requires": []}),
            "providers.nvidia.requires",
            "install-time provider needs at least one requirement",
        ),
        (
            "spec-v0.0.3.json",
            lambda d: d["static-properties"].update({"x86_64": {"level": ["v3"]}}),
            "static-properties.x86_64",
            "install-time",
        ),
        (
            "spec-v0.0.3.json",
            lambda d: d["variants"].update({"a_very_long_label_x": {"x86_64": {"level": ["v3"]}}}),
            "variants.a_very_long_label_x",
            "longer than 16",
        ),
        (
            "spec-v0.0.3.json",
            lambda d: d["providers"]["blas_lapack"].update({"static-properties": {}}),
            "providers.blas_lapack.static-properties",
            "v0.2.0 format",
        ),
    ],
)
def test_content_errors_name_file_and_position(name: str, edit: Any, where: str, what: str) -> None:
    doc = _broken(name, edit)
    with pytest.raises(VariantsJsonError) as info:
        parse_variants_json(doc, source="pkg.json")
    assert info.value.location == where
    assert what in info.value.message
    assert str(info.value).startswith(f"pkg.json: {where}: ")


def test_labels_have_no_length_limit_in_v020() -> None:
    doc = load_doc("spec-v0.2.0.json")
    doc["variants"]["a_very_long_label_indeed_0123456789"] = {"x86_64": {"level": ["v2"]}}
    assert "a_very_long_label_indeed_0123456789" in parse_variants_json(doc).variants


def test_abi_dependency_variants_are_read() -> None:
    # variantlib 0.2.2 rejects them (quirk Q6); the namespace is reserved and needs
    # no provider entry.
    doc = load_doc("spec-v0.2.0.json")
    doc["variants"]["t29"] = {"abi_dependency": {"torch": ["2.9"]}, "x86_64": {"level": ["v3"]}}
    vf = parse_variants_json(doc)
    assert VariantProperty("abi_dependency", "torch", "2.9") in vf.variants["t29"]


# --------------------------------------------------------------------------------------
# variant.json and wheels
# --------------------------------------------------------------------------------------


def single_variant_doc(label: str = "cpu_v3_mkl") -> Dict[str, Any]:
    doc = load_doc("spec-v0.2.0.json")
    doc["variants"] = {label: doc["variants"][label]}
    return doc


def make_wheel(path: Path, doc: Any, dist_info: str = "foo-1.0.dist-info") -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{dist_info}/METADATA", "Metadata-Version: 2.1\nName: foo\nVersion: 1.0\n")
        zf.writestr(f"{dist_info}/variant.json", json.dumps(doc))
    return path


def test_wheel_variant_json(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "foo-1.0-py3-none-any-cpu_v3_mkl.whl", single_variant_doc())
    vf = load_variants_json(wheel)
    assert vf.label == "cpu_v3_mkl"
    assert vf.source.endswith("foo-1.0-py3-none-any-cpu_v3_mkl.whl!foo-1.0.dist-info/variant.json")


def test_wheel_with_build_tag(tmp_path: Path) -> None:
    name = "foo-1.0-1-py3-none-any-cpu_v3_mkl.whl"
    assert load_wheel_variant_json(make_wheel(tmp_path / name, single_variant_doc())).label == (
        "cpu_v3_mkl"
    )


def test_wheel_label_must_match_filename(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "foo-1.0-py3-none-any-other.whl", single_variant_doc())
    with pytest.raises(
        VariantsJsonError, match="does not match the wheel filename's label 'other'"
    ):
        load_variants_json(wheel)


def test_wheel_variant_json_must_hold_one_variant(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "foo-1.0-py3-none-any.whl", load_doc("spec-v0.2.0.json"))
    with pytest.raises(VariantsJsonError, match="exactly one variant, found 3"):
        load_variants_json(wheel)


def test_plain_wheel_is_reported(tmp_path: Path) -> None:
    wheel = tmp_path / "foo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("foo-1.0.dist-info/METADATA", "Name: foo\n")
    with pytest.raises(VariantsJsonError, match="not a variant wheel"):
        load_variants_json(wheel)


def test_broken_wheel_json_names_the_member(tmp_path: Path) -> None:
    wheel = tmp_path / "foo-1.0-py3-none-any-cpu.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("foo-1.0.dist-info/variant.json", '{"variants": ')
    with pytest.raises(VariantsJsonError) as info:
        load_variants_json(wheel)
    assert "foo-1.0.dist-info/variant.json: line 1, column 14" in str(info.value)


def test_dist_info_folder(tmp_path: Path) -> None:
    folder = tmp_path / "foo-1.0.dist-info"
    folder.mkdir()
    (folder / "variant.json").write_text(json.dumps(single_variant_doc("cu128_v3")))
    assert load_variants_json(folder).label == "cu128_v3"
