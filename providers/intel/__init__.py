"""Intel XPU provider: GPU device IPs (namespace ``intel``, feature ``device_ip``)."""

from variant_providers.plugin_api import plugin_class

#: The plugin-API object installers load as ``variant_providers.providers.intel:Plugin``.
Plugin = plugin_class("intel")
