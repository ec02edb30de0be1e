"""aarch64 provider: architecture version and CPU features (namespace ``aarch64``).

``version`` lists the Armv8/v9 versions whose mandatory features the machine
shows (``9.0a … 8a``), then every CPU feature follows as its own single-value
feature with value ``on``, in the order of the existing
provider-variant-aarch64.  See ``docs/providers/aarch64.md``.
"""

from variant_providers.plugin_api import plugin_class

#: The plugin-API object installers load as ``variant_providers.providers.aarch64:Plugin``.
Plugin = plugin_class("aarch64")
