"""What a provider is, and what its detection returns.

These records are what plugins hand to the host through the
``variant_providers`` hook (see :mod:`variant_providers.hookspecs`).
"""

from __future__ import annotations

import importlib
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Literal,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
    get_args,
)

from .model import FeatureConfig
from .record_class import dataclass, field

if TYPE_CHECKING:
    from .system import System

__all__ = [
    "EVERY_FEATURE",
    "STATUSES",
    "DetectFunction",
    "ForceVariable",
    "Provider",
    "ProviderOutput",
    "Status",
    "lazy",
]

#: Every status a provider result can have.
#:
#: ``ok``            the provider found its hardware and reports features;
#: ``not-detected``  it looked and found nothing (a normal state, not a failure);
#: ``error``         it failed (a listed reason; other providers are unaffected);
#: ``timeout``       a driver call or command it depends on did not answer in time;
#: ``override``      its values come from an override variable, not the machine;
#: ``disabled``      the user switched it off.
Status = Literal["ok", "not-detected", "error", "timeout", "override", "disabled"]
#: The same statuses as a tuple, in that order (for messages and validation).
STATUSES: Tuple[Status, ...] = get_args(Status)


@dataclass(frozen=True)
class ProviderOutput:
    """A detection answer with more than features.

    ``detect`` may return a plain sequence of :class:`FeatureConfig` (empty
    means "not detected"), or this record when it has more to say:

    * ``info`` — free-form, JSON-serialisable facts for the report: device
      names, versions, probe notes.
    * ``sources`` — where each feature's values came from: feature name to
      the probe that found them (``{"sm_arch": "nvml"}``).  The host turns
      it into the result's provenance, from which the JSON's
      ``info["source"]`` is derived.  (A provider that only writes
      ``info["source"]`` in that shape, as older third-party providers do,
      is read the same way.)
    * ``status`` — ``"timeout"`` when a probe hung, ``"not-detected"`` with a
      ``reason`` to say why nothing was found.  Left as ``None`` the host
      derives ``ok`` / ``not-detected`` from ``features``.
    * ``reason`` — one line explaining the status (``"no /dev/kfd"``).
    """

    features: Sequence[FeatureConfig] = ()
    info: Mapping[str, Any] = field(default_factory=dict)
    status: Optional[Status] = None
    reason: str = ""
    sources: Mapping[str, str] = field(default_factory=dict)


#: In :attr:`ForceVariable.features`: while the variable is set, the provider's
#: whole answer is what its force variables say (detected features are dropped).
EVERY_FEATURE = "*"


@dataclass(frozen=True)
class ForceVariable:
    """A vendor's own environment variable that forces features of its namespace.

    Pure data: the provider declares the variable, the host does the rest
    (:mod:`variant_providers.force`).  It reads the value, expands it, and
    applies it after the cache in the same step as
    ``VARIANT_PROVIDERS_OVERRIDE``.  An invalid value is a usage error naming
    the variable.  The report and the JSON ``overrides`` name the variable
    beside the features it set.  ``detect`` is not run at all when the set
    variables force every feature the provider has.

    ``expand(value)`` turns the raw value into the features it forces, most
    preferred value first (``"9.0"`` → ``sm_arch :: 90_real, 90_virtual``).
    It is a pure function of the text and raises ``ValueError`` saying what
    is wrong with it.  ``features`` lists the features the variable sets.  A
    listed feature that ``expand`` does not return is forced absent.
    :data:`EVERY_FEATURE` replaces the provider's whole answer.  ``needs``
    names another variable without which this one has no effect
    (``…_FORCE_EXTENSIONS`` needs ``…_FORCE_LEVEL``).  ``alone=False``: the
    variable only replaces values of an answer that has features (the NVIDIA
    SM variable sets the architectures of a driver that was found or forced;
    alone it reports nothing).

    Example::

        ForceVariable(
            "NV_VARIANT_PROVIDER_FORCE_SM_ARCH", ("sm_arch",), expand=expand_forced_sm
        )
    """

    variable: str
    features: Tuple[str, ...]
    expand: Callable[[str], Sequence[FeatureConfig]]
    needs: str = ""
    alone: bool = True


#: The signature of :attr:`Provider.detect`.
DetectFunction = Callable[["System"], Union[Sequence[FeatureConfig], ProviderOutput]]


@dataclass(frozen=True)
class Provider:
    """One namespace of variant properties and how to detect it.

    ``detect(system)`` looks at the machine only through *system* and returns
    the supported features, most preferred feature first and each feature's
    values most preferred first.  ``all_configs()`` returns every feature and
    value the provider can ever emit (what a wheel builder validates against);
    ``None`` when the provider cannot enumerate them.

    Example::

        Provider(
            namespace="x86_64",
            detect=detect_x86_64,
            all_configs=lambda: [FeatureConfig("level", ["v4", "v3", "v2", "v1"])],
            description="x86-64 psABI level and SIMD extensions",
        )

    ``fingerprint(system)`` is optional and must be cheap (a few file reads,
    never a command or a driver call): it returns a text that changes whenever
    the answer of ``detect`` could — driver version files, device listings,
    the CPU flags line.  The disk cache keys on it (together with the
    environment variables ``detect`` read, recorded automatically); a
    provider without one is cached until the next boot or the cache's
    time-to-live.
    """

    namespace: str
    detect: DetectFunction
    all_configs: Optional[Callable[[], Sequence[FeatureConfig]]] = None
    description: str = ""
    version: str = ""
    fingerprint: Optional[Callable[[System], str]] = None
    #: The vendor force variables this provider honours (see :class:`ForceVariable`).
    force_variables: Tuple[ForceVariable, ...] = ()


def lazy(target: str) -> Callable[..., Any]:
    """A function that imports ``"module:attribute"`` on its first call.

    Provider records are built every run, but a cached answer never calls
    ``detect``; registering ``detect=lazy("pkg.detect:detect")`` keeps the
    detection code (and its tables) out of the import path of a cache hit.
    """
    module_name, _, attribute = target.partition(":")
    loaded: list[Callable[..., Any]] = []

    def load() -> Callable[..., Any]:
        if not loaded:
            loaded.append(getattr(importlib.import_module(module_name), attribute))
        return loaded[0]

    def call(*args: Any, **kwargs: Any) -> Any:
        return load()(*args, **kwargs)

    call.load = load  # type: ignore[attr-defined]
    call.__name__ = call.__qualname__ = attribute
    call.__doc__ = f"Lazily imported {target}."
    return call
