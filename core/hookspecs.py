"""The hooks a variant-providers plugin can implement.

A plugin is a module or object registered with the host; built-in providers
register exactly like third-party ones, which is how the built-ins prove the
contract.  Third-party plugins are found through the entry-point group
``variant_providers``::

    # pyproject.toml of a vendor's package
    [project.entry-points.variant_providers]
    acme = "acme_variant_provider.plugin"

Hook implementations are marked with :data:`hookimpl` (also exported as
``variant_providers.hookimpl``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Union

import pluggy

if TYPE_CHECKING:
    from .provider import Provider

__all__ = ["PROJECT_NAME", "hookimpl", "hookspec", "variant_providers"]

#: The pluggy project name: hook names, markers and the entry-point group.
PROJECT_NAME = "variant_providers"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def variant_providers() -> Union[Iterable[Provider], None]:
    """Return (or yield) the :class:`~variant_providers.Provider` records of a plugin.

    **When it is called:** once per detection, before any provider runs, to
    learn which namespaces exist.  It must be cheap: do not look at the
    machine here — that is what ``Provider.detect`` is for, and the host calls
    it later, timed and isolated.

    **What it returns:** an iterable of ``Provider`` records (a list, a tuple,
    or a generator), or ``None`` for "nothing on this platform".  Each
    namespace may be claimed once; a second claim is reported as an error of
    the later provider and the first one keeps it.  Built-in providers are
    registered first.

    **Failure:** if this hook raises, the plugin is reported with status
    ``error`` and every other plugin still runs.

    Example::

        from variant_providers import FeatureConfig, Provider, hookimpl

        def detect(system):
            if not system.exists("/dev/acme0"):
                return []                          # not detected
            gen = system.read_text("/sys/class/acme/acme0/generation").strip()
            return [FeatureConfig("generation", [gen], multi_value=False)]

        @hookimpl
        def variant_providers():
            yield Provider(namespace="acme", detect=detect,
                           description="ACME accelerator generation")
    """
