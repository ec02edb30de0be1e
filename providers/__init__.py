"""The providers shipped with variant-providers, one subpackage per vendor.

Every subpackage has the same shape:

* ``plugin.py`` — the ``variant_providers`` hook implementation: the
  :class:`~variant_providers.Provider` record, its ``all_configs`` and version;
* ``detect.py`` — detection, reading the machine only through the
  :class:`~variant_providers.system.System` seam.

:data:`BUILTIN_PROVIDERS` lists them in report order: accelerators first,
then CPUs.
"""

BUILTIN_PROVIDERS = ("nvidia", "amd", "intel", "x86_64", "aarch64")
