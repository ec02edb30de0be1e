"""Which plugin answers for a namespace when a variants.json names one.

A package's ``variants.json`` says, per namespace, which plugin its
variants were built against (``plugin-api``, or the single package in
``requires``).  :func:`~variant_providers.selection.select` follows the file:

1. the file names one of our built-ins (``variant_providers.…``): ours answers;
2. a row of the detection came from that plugin-api (an installed
   ``variant_plugins`` entry point, whether or not its claim won): its values;
3. the detection is of the live machine and the plugin is installed (its
   package in ``requires`` is, and its module can be found — nothing is
   imported to check): it runs now, isolated like every standard plugin;
4. otherwise the detection's own row for the namespace (our built-in,
   usually) answers.

Each namespace's choice is written into :attr:`Selection.providers
<variant_providers.selection.Selection.providers>`, so the result says when
our built-in answered in place of the plugin the file names.
"""

from __future__ import annotations

import os
import re
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from .entrypoints import EntryPointRecord
from .model import VariantProperty
from .record_class import dataclass, field
from .standard_plugins import StandardRuns
from .system import DEFAULT_TIMEOUT, timeout_from
from .variants_file import Provider, VariantsFile

__all__ = ["PluginAnswers", "file_plugin_api", "plugin_answers"]

_OURS = "variant_providers."
_MODULE_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class PluginAnswers:
    """Per namespace: the properties chosen, which plugin gave them, its status."""

    properties: Mapping[str, Tuple[VariantProperty, ...]] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)
    statuses: Mapping[str, str] = field(default_factory=dict)


def _requirement_names(provider: Provider) -> List[str]:
    from packaging.requirements import InvalidRequirement, Requirement

    names = []
    for text in provider.requires:
        try:
            names.append(Requirement(text).name)
        except InvalidRequirement:
            continue
    return names


def file_plugin_api(provider: Provider) -> Optional[str]:
    """The plugin-api the file names: explicit, or the module of its single ``requires``."""
    if provider.plugin_api:
        return provider.plugin_api.strip()
    names = _requirement_names(provider)
    if len(names) == 1:
        return re.sub(r"[-.]+", "_", names[0]).lower()
    return None


def _installed(api: str, provider: Provider) -> bool:
    """Whether the plugin's package is installed and its top-level module exists (no import)."""
    import importlib.util
    from importlib import metadata

    top = api.partition(":")[0].strip().split(".")[0]
    if not _MODULE_RE.fullmatch(top):
        return False
    names = _requirement_names(provider)
    for name in names:
        try:
            metadata.distribution(name)
            break
        except metadata.PackageNotFoundError:
            continue
    else:
        if names:
            return False
    try:
        return importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):
        return False


def _rows(detection: Any) -> List[Any]:
    rows = list(getattr(detection, "providers", ()) or ())
    return rows + list(getattr(detection, "shadowed", ()) or ())


def _api_of(row: Any) -> str:
    """The plugin-api a detection row came from (standard plugins' rows carry it)."""
    info = getattr(row, "info", None)
    return str(info.get("plugin_api") or "").strip() if isinstance(info, Mapping) else ""


def _properties(row: Any, namespace: str) -> Tuple[VariantProperty, ...]:
    """A row's values under the file's namespace (a plugin's own name for it may differ)."""
    if row.status not in ("ok", "override"):
        return ()
    return tuple(p for f in row.features for p in f.properties(namespace))


def _outcome(api: str, row: Any) -> str:
    detail = row.error or row.reason
    status = row.status if not detail else f"{row.status}: {detail}"
    return f"plugin-api {api} ({status})"


def _run_now(wanted: Sequence[Tuple[str, str, Provider]]) -> Dict[str, Any]:
    """Run the file's installed plugins that no detection row came from, in parallel."""
    records = [
        EntryPointRecord(ns, api, next(iter(_requirement_names(p)), "")) for ns, api, p in wanted
    ]
    limit = timeout_from(os.environ) or DEFAULT_TIMEOUT
    runs = StandardRuns(records, limit, {}, "")
    return {ns: row for (ns, _, _), row in zip(wanted, runs.rows())}


def plugin_answers(vfile: VariantsFile, detection: Any) -> PluginAnswers:
    """Choose, per plugin namespace of *vfile*, whose answer :func:`select` uses."""
    rows = _rows(detection)
    if not rows:  # plain properties: nothing to choose from
        return PluginAnswers()
    by_api = {_api_of(r): r for r in rows if _api_of(r)}
    live = getattr(detection, "source", None) == "live"
    properties: Dict[str, Tuple[VariantProperty, ...]] = {}
    sources: Dict[str, str] = {}
    statuses: Dict[str, str] = {}
    pending: List[Tuple[str, str, Provider]] = []
    for ns, provider in vfile.providers.items():
        api = file_plugin_api(provider)
        if provider.is_static or api is None:
            continue
        if api.startswith(_OURS):
            sources[ns] = f"built-in (the file names {api})"
        elif api in by_api:
            row = by_api[api]
            properties[ns], statuses[ns] = _properties(row, ns), row.status
            sources[ns] = _outcome(api, row)
        elif live and _installed(api, provider):
            pending.append((ns, api, provider))
        else:
            answering = next((r for r in rows if r.namespace == ns), None)
            who = getattr(answering, "plugin", "") or ("nothing" if answering is None else ns)
            sources[ns] = f"{who} answers: plugin-api {api} is not installed"
    for ns, row in (_run_now(pending) if pending else {}).items():
        api = _api_of(row)
        properties[ns], statuses[ns] = _properties(row, ns), row.status
        sources[ns] = _outcome(api, row)
    return PluginAnswers(properties, sources, statuses)
