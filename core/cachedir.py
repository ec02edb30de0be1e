"""Where this user's detection cache lives, decided from the environment alone.

Shared by the cache (:mod:`variant_providers.cache`) and the warm path
(:mod:`variant_providers.warm`), which must find its record without importing
anything beyond ``os`` and ``sys``: one rule, in one place.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on the warm path
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["CACHE_DIR_VAR", "CACHE_FORMAT", "LOCATION_VARS", "cache_root", "entry_dir"]

CACHE_DIR_VAR = "VARIANT_PROVIDERS_CACHE_DIR"
#: Version of the entry format; entries of another format are ignored.
CACHE_FORMAT = 1
#: Every variable :func:`cache_root` reads.
LOCATION_VARS = (CACHE_DIR_VAR, "LOCALAPPDATA", "HOME", "XDG_CACHE_HOME")


def cache_root(environ: Mapping[str, str]) -> str | None:
    """The per-user cache directory, following each platform's convention."""
    explicit = environ.get(CACHE_DIR_VAR)
    if explicit:
        return explicit
    if sys.platform == "win32":
        base = environ.get("LOCALAPPDATA")
        return os.path.join(base, "variant-providers", "Cache") if base else None
    home = environ.get("HOME")
    if sys.platform == "darwin":
        return os.path.join(home, "Library", "Caches", "variant-providers") if home else None
    xdg = environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return os.path.join(xdg, "variant-providers")
    return os.path.join(home, ".cache", "variant-providers") if home else None


def entry_dir(environ: Mapping[str, str]) -> str | None:
    """The directory of this format's entries under :func:`cache_root`."""
    root = cache_root(environ)
    return os.path.join(root, f"v{CACHE_FORMAT}") if root else None
