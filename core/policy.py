"""Which third-party plugins may run: the ``VARIANT_PROVIDERS_PLUGINS`` policy.

Its own module because both the registry (``variant_providers`` entry
points) and the standard-plugin host (``variant_plugins`` entry points) read
it, and neither may import the other for it.
"""

from __future__ import annotations

from typing import Optional, Set, Tuple

__all__ = ["PLUGINS_VAR", "plugin_policy"]

#: Allow/deny list for third-party plugins: unset = all installed plugins;
#: ``none`` = none; ``a,b`` = only those; ``-c`` = all but c.
PLUGINS_VAR = "VARIANT_PROVIDERS_PLUGINS"


def plugin_policy(text: Optional[str]) -> Tuple[Optional[Set[str]], Set[str]]:
    """Parse :data:`PLUGINS_VAR`: ``(allowed or None for all, denied)``."""
    if text is None or not text.strip():
        return None, set()
    items = [t.strip() for t in text.split(",") if t.strip()]
    if [t.lower() for t in items] == ["none"]:
        return set(), set()
    # ``namespace=plugin`` items choose a claim (see variant_providers.standard_plugins).
    allowed = {t for t in items if not t.startswith("-") and "=" not in t}
    denied = {t[1:] for t in items if t.startswith("-")}
    return (allowed or None), denied
