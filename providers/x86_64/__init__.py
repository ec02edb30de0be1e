"""x86-64 provider: the psABI micro-architecture level and CPU extensions (namespace ``x86_64``).

``level`` is ``vN … v1`` from the machine's psABI level down; every CPU
extension found follows as its own single-value feature with value ``on``, in
the order of the existing provider-variant-x86-64 (extensions it does not know
come after, newest families first).  See ``docs/providers/x86_64.md``.
"""

from variant_providers.plugin_api import plugin_class

#: The plugin-API object installers load as ``variant_providers.providers.x86_64:Plugin``.
Plugin = plugin_class("x86_64")
