"""AMD ROCm provider: GPU targets (``gfx_arch``) and the ROCm version (namespace ``amd``).

Detection reads the KFD topology in sysfs (file reads only, no ROCm userspace
needed), finds the installed ROCm version from its version files, and falls
back to ``rocminfo`` / ``rocm_agent_enumerator`` only when sysfs cannot
answer.  See ``docs/providers/amd.md``.
"""

from variant_providers.plugin_api import plugin_class

#: The plugin-API object installers load as ``variant_providers.providers.amd:Plugin``.
Plugin = plugin_class("amd")
