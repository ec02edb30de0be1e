"""The ``abi_dependency`` namespace: which releases of installed packages a target supports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Dict, List

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from .model import ABI_DEPENDENCY_NAMESPACE, VariantProperty, is_valid_name

__all__ = ["abi_dependency_properties"]


def abi_dependency_properties(dependencies: Mapping[str, str]) -> List[VariantProperty]:
    """The ``abi_dependency`` properties a set of installed packages supports.

    For ``torch 2.9.1`` that is ``2``, ``2.9``, ``2.9.1`` in that order, so the
    coarsest pin is preferred; packages come in sorted normalized-name order.
    This is the emulation variantlib applies (name normalized with ``-`` -> ``_``,
    release from ``Version.major/minor/micro``: local, pre, post and epoch are
    ignored).  Unlike variantlib nothing is read from the running interpreter:
    the caller says which environment it installs into.
    """
    packages: Dict[str, Version] = {}
    for name, version in dependencies.items():
        if not isinstance(name, str) or not isinstance(version, str):
            raise TypeError("abi_dependencies must map package names to version strings")
        normalized = canonicalize_name(name).replace("-", "_")
        if not is_valid_name(normalized):
            raise ValueError(f"abi_dependencies: invalid package name {name!r}")
        try:
            packages[normalized] = Version(version)
        except InvalidVersion:
            raise ValueError(
                f"abi_dependencies: invalid version {version!r} for {name!r}"
            ) from None
    props: List[VariantProperty] = []
    for name in sorted(packages):
        ver = packages[name]
        for value in (
            f"{ver.major}",
            f"{ver.major}.{ver.minor}",
            f"{ver.major}.{ver.minor}.{ver.micro}",
        ):
            props.append(VariantProperty(ABI_DEPENDENCY_NAMESPACE, name, value))
    return props
