"""Private readers of the published ``variants.json`` formats, one module per format.

Each format module has ``read(doc, source) -> VariantsFile`` (the document
already parsed from JSON) and ``write(vfile) -> dict``.  :func:`read_document`
picks the reader from ``$schema``; nothing outside this package knows how a
format is spelled.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, Mapping

from ..variants_file import (
    LEGACY_SCHEMA,
    SCHEMA,
    SUPPORTED_SCHEMAS,
    V002_SCHEMA,
    UnsupportedSchemaError,
    VariantsFile,
)
from . import v0_0_2, v0_0_3, v0_2_0
from .common import JsonReader

__all__ = ["read_document", "schema_version"]

_READERS: Dict[str, Callable[[Mapping[str, Any], str], VariantsFile]] = {
    SCHEMA: v0_2_0.read,
    LEGACY_SCHEMA: v0_0_3.read,
    V002_SCHEMA: v0_0_2.read,
}
_SCHEMA_URL_RE = re.compile(r"https://variants-schema\.wheelnext\.dev/v(?P<version>[^/]+)\.json")
_UNVERSIONED_URLS = (
    "https://variants-schema.wheelnext.dev/",
    "https://variants-schema.wheelnext.dev",
)


def read_document(doc: Mapping[str, Any], source: str) -> VariantsFile:
    """The model of a parsed document, read by the reader its ``$schema`` names."""
    return _READERS[schema_version(doc, source)](doc, source)


def schema_version(doc: Mapping[str, Any], source: str) -> str:
    """The format version a document declares (or, without ``$schema``, uses)."""
    r = JsonReader(source)
    if "$schema" not in doc:
        return _infer(doc)
    url = r.string(doc["$schema"], "$schema").strip()
    if url in _UNVERSIONED_URLS:
        return V002_SCHEMA
    match = _SCHEMA_URL_RE.fullmatch(url)
    if match is None:
        raise UnsupportedSchemaError(
            source, "$schema", f"unrecognized schema {url!r} (supported: {_supported_text()})"
        )
    version = match.group("version")
    if version not in _READERS:
        raise UnsupportedSchemaError(
            source,
            "$schema",
            f"unsupported format version {version} (supported: {_supported_text()})",
        )
    return version


def _supported_text() -> str:
    return ", ".join(f"v{v}" for v in SUPPORTED_SCHEMAS)


def _infer(doc: Mapping[str, Any]) -> str:
    """A file without ``$schema``: the format whose keys it uses (v0.2.0 when it uses none)."""
    providers = doc.get("providers")
    infos = (
        [i for i in providers.values() if isinstance(i, dict)]
        if isinstance(providers, dict)
        else []
    )
    if any(k in info for info in infos for k in v0_0_2.ONLY_KEYS):
        return V002_SCHEMA
    prio = doc.get("default-priorities")
    if (
        "static-properties" in doc
        or (isinstance(prio, dict) and ("feature" in prio or "property" in prio))
        or any(k in info for info in infos for k in v0_0_3.ONLY_KEYS)
    ):
        return LEGACY_SCHEMA
    return SCHEMA
