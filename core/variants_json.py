"""Read ``variants.json`` files, and a wheel's ``*.dist-info/variant.json``.

Three formats are published, and the file's ``$schema`` URL decides which
one is read (see ``docs/matching.md``):

* **v0.2.0** (providers-PEP era, written by variantlib 0.2.2);
* **v0.0.3** (PEP 817);
* **v0.0.2** (the 2025 WheelNext test index; also its earlier, unversioned
  URL ``https://variants-schema.wheelnext.dev/``).

Each format has a private reader that converts the parsed document into the
one model, :class:`~variant_providers.variants_file.VariantsFile`.  This
module only opens and decodes files and hands the parsed JSON to the right
reader.  A file whose ``$schema`` names another version is reported as
unsupported rather than guessed at; a file without ``$schema`` is read in the
format whose keys it uses (v0.2.0 when it uses none).  Unknown keys are
ignored, as the PEPs require, except keys that belong to *another* format:
they mean the ``$schema`` is wrong, and reading on would silently drop data.

Every error names the file and the position (``line:column`` for JSON syntax,
a JSON path such as ``providers.nvidia.requires[0]`` for content).  Parsing
builds a new immutable :class:`VariantsFile` or raises: nothing is applied
half-way.
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from pathlib import Path
from typing import Any, Mapping, Optional, Union

from ._formats import read_document
from ._formats.common import kind
from .safefs import loads_json, open_regular, read_bytes
from .variants_file import (
    LEGACY_SCHEMA,
    SCHEMA,
    SUPPORTED_SCHEMAS,
    V002_SCHEMA,
    Provider,
    UnsupportedSchemaError,
    VariantsFile,
    VariantsJsonError,
    schema_url,
)

__all__ = [
    "LEGACY_SCHEMA",
    "SCHEMA",
    "SUPPORTED_SCHEMAS",
    "V002_SCHEMA",
    "Provider",
    "UnsupportedSchemaError",
    "VariantsFile",
    "VariantsJsonError",
    "load_variants_json",
    "load_wheel_variant_json",
    "parse_variants_json",
    "schema_url",
]

# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------

PathLike = Union[str, "os.PathLike[str]"]


def _decode(text: Union[str, bytes], source: str) -> Any:
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        return loads_json(text)
    except UnicodeDecodeError as exc:
        raise VariantsJsonError(source, f"byte {exc.start}", "not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise VariantsJsonError(
            source, f"line {exc.lineno}, column {exc.colno}", f"invalid JSON: {exc.msg}"
        ) from None


def load_variants_json(path: PathLike) -> VariantsFile:
    """Read a ``variants.json``, a ``variant.json``, a ``*.dist-info`` folder or a wheel."""
    p = Path(path)
    source = str(path)
    if p.suffix == ".whl":
        return load_wheel_variant_json(p)
    if p.is_dir():
        p = p / "variant.json"
        source = str(p)
    try:
        raw = read_bytes(p)
    except OSError as exc:
        raise VariantsJsonError(source, "", f"cannot read: {exc.strerror or exc}") from None
    parsed = parse_variants_json(raw, source=source)
    if p.name == "variant.json":
        _require_single(parsed, source)
    return parsed


def _require_single(parsed: VariantsFile, source: str) -> None:
    if len(parsed.variants) != 1:
        raise VariantsJsonError(
            source,
            "variants",
            f"a variant.json describes exactly one variant, found {len(parsed.variants)}",
        )


def _wheel_label(filename: str) -> Optional[str]:
    """The variant label in a wheel filename, or None for a plain wheel."""
    parts = filename[: -len(".whl")].split("-")
    if len(parts) == 7:
        return parts[6]
    if len(parts) == 6 and not parts[2][:1].isdigit():
        # Six parts are either name-ver-build-py-abi-plat or name-ver-py-abi-plat-label;
        # build tags start with a digit and python tags must not (PEP 825).
        return parts[5]
    return None


#: Largest uncompressed ``variant.json`` read from a wheel (a zip bomb stops here).
MAX_MEMBER_BYTES = 16 * 1024 * 1024


def _read_member(wheel: zipfile.ZipFile, name: str, source: str) -> bytes:
    """One member's bytes, bounded, with a clear error for what zipfile cannot read."""
    info = wheel.getinfo(name)
    where = f"{source}!{name}"
    if info.file_size > MAX_MEMBER_BYTES:
        raise VariantsJsonError(where, "", f"{info.file_size} bytes uncompressed, too large")
    try:
        with wheel.open(info) as member:
            data = member.read(MAX_MEMBER_BYTES + 1)
    except NotImplementedError as exc:  # an unknown compression method
        raise VariantsJsonError(where, "", f"cannot decompress: {exc}") from None
    except RuntimeError as exc:  # an encrypted member
        raise VariantsJsonError(where, "", f"cannot read: {exc}") from None
    except (zipfile.BadZipFile, EOFError, ValueError, zlib.error) as exc:
        raise VariantsJsonError(where, "", f"corrupt member: {exc}") from None
    if len(data) > MAX_MEMBER_BYTES:
        raise VariantsJsonError(where, "", f"larger than {MAX_MEMBER_BYTES} bytes uncompressed")
    return data


def load_wheel_variant_json(path: PathLike) -> VariantsFile:
    """Read ``*.dist-info/variant.json`` from a wheel and check its label."""
    source = str(path)
    try:
        with os.fdopen(open_regular(path), "rb") as fh, zipfile.ZipFile(fh) as wheel:
            names = [
                n
                for n in wheel.namelist()
                if n.count("/") == 1 and n.endswith(".dist-info/variant.json")
            ]
            if len(names) != 1:
                raise VariantsJsonError(
                    source,
                    "",
                    "no *.dist-info/variant.json in this wheel (not a variant wheel)"
                    if not names
                    else f"several variant.json files: {', '.join(sorted(names))}",
                )
            raw = _read_member(wheel, names[0], source)
    except VariantsJsonError:
        raise
    except (OSError, zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise VariantsJsonError(source, "", f"cannot read wheel: {exc}") from None
    except NotImplementedError as exc:  # a zip feature zipfile lacks (e.g. "zip file version 6.4")
        raise VariantsJsonError(source, "", f"cannot read wheel: {exc}") from None
    inner = f"{source}!{names[0]}"
    parsed = parse_variants_json(raw, source=inner)
    _require_single(parsed, inner)
    expected = _wheel_label(Path(path).name)
    if expected is not None and parsed.label != expected:
        raise VariantsJsonError(
            inner,
            "variants",
            f"label {parsed.label!r} does not match the wheel filename's label {expected!r}",
        )
    return parsed


# --------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------


def parse_variants_json(
    data: Union[Mapping[str, Any], str, bytes], *, source: str = "<variants.json>"
) -> VariantsFile:
    """Parse a variants.json document (already loaded, or as JSON text)."""
    doc = _decode(data, source) if isinstance(data, (str, bytes)) else data
    if not isinstance(doc, Mapping):
        raise VariantsJsonError(source, "(top level)", f"expected a JSON object, found {kind(doc)}")
    return read_document(dict(doc), source)
