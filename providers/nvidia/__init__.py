"""NVIDIA provider: CUDA driver version bounds and GPU architectures (namespace ``nvidia``).

The vocabulary is the one of the wheelnext ``nvidia-variant-provider`` so that
wheels built for it select the same way: ``cuda_version_lower_bound``,
``cuda_version_upper_bound`` and ``sm_arch`` (see :mod:`.vocab`).  Detection
(:mod:`.detect`) starts with file checks that cannot hang and only then asks
NVML, libcuda or ``nvidia-smi``, each out of process and with a timeout.
"""

from variant_providers.plugin_api import plugin_class

#: The plugin-API object installers load as ``variant_providers.providers.nvidia:Plugin``.
Plugin = plugin_class("nvidia")
