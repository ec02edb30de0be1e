"""The on-disk detection cache.

Installers ask on every resolve; the answer rarely changes.  Each provider's
raw result (before overrides are applied) is stored in its own small JSON
file, so one provider's miss does not re-run the others.

An entry is used only when all of these still hold:

* same format, same variant-providers version, same provider and provider
  version;
* same boot (``/proc/sys/kernel/random/boot_id`` on Linux): drivers and
  devices can change across a reboot;
* same provider *fingerprint* — a cheap digest the provider computes from
  files such as driver version files and device listings
  (``Provider.fingerprint``);
* the environment variables the provider read while detecting still have
  the values they had (recorded automatically, so a changed
  ``CUDA_VISIBLE_DEVICES`` or force variable is a miss);
* younger than its time-to-live: 24 h for answers, 60 s for errors and
  timeouts, which must never stick.

Writes go to a temporary file in the same directory and are renamed into
place, so a reader sees the old file or the new one, never half of one (see
:mod:`variant_providers.atomic`).  Anything unreadable, corrupt or foreign is
ignored and rewritten.  A cache directory that cannot be created (read-only
home, no home) disables caching silently.

A cache may be shared (a common ``VARIANT_PROVIDERS_CACHE_DIR``), and root
must not take another user's word for what the machine supports, nor for
which modules to import.  So an entry is read only when it and its directory
belong to the current user and nobody else can write them (as pip requires
of its cache); an entry or directory that fails this is ignored, reported
once on stderr, and never written into.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional

from . import __version__, lazy_log
from .atomic import PathArg, write_atomic
from .cachedir import CACHE_DIR_VAR, CACHE_FORMAT, cache_root
from .records import ProviderResult
from .safefs import (
    UntrustedFile,
    dumps_json,
    loads_json,
    read_bytes,
    report_untrusted,
    untrusted_reason,
)
from .settings import MAX_TTL, seconds
from .warm import sha256_hex

if TYPE_CHECKING:
    from .provider import Provider
    from .system import System

__all__ = [
    "CACHE_DIR_VAR",
    "CACHE_FORMAT",
    "CACHE_TTL_VAR",
    "DEFAULT_TTL",
    "ERROR_TTL",
    "DetectionCache",
    "default_cache_dir",
    "entry_name",
    "read_private_json",
    "write_private_json",
]

log = lazy_log.getLogger("variant_providers")

CACHE_TTL_VAR = "VARIANT_PROVIDERS_CACHE_TTL"
DEFAULT_TTL = 24 * 3600.0
ERROR_TTL = 60.0
#: Largest cache entry read back; real ones are a few kilobytes.
MAX_ENTRY_BYTES = 4 * 1024 * 1024


def default_cache_dir(environ: Mapping[str, str]) -> Optional[str]:
    """The per-user cache directory, following each platform's convention."""
    return cache_root(environ) or None


def _ttl_from(environ: Mapping[str, str]) -> float:
    """:data:`CACHE_TTL_VAR` in seconds; a bad value is an ``InvalidSetting``, not ignored."""
    text = environ.get(CACHE_TTL_VAR, "").strip()
    return seconds(text, CACHE_TTL_VAR, maximum=MAX_TTL, allow_zero=True) if text else DEFAULT_TTL


def entry_name(name: str, group: str = "variant_providers") -> str:
    """The cache entry of the entry point *name* of *group*.

    Entry-point names may hold any character; namespaces, which name the
    built-ins' entries, cannot.  A third-party plugin's entry is written by
    :mod:`variant_providers.third_party_runs`, a standard (``variant_plugins``)
    plugin's by :mod:`variant_providers.standard_plugins`; the warm record
    (:mod:`variant_providers.warm_record`) reads both.
    """
    prefix = "standard-" if group == "variant_plugins" else "third-party-"
    return prefix + sha256_hex(name.encode("utf-8"))[:16]


class DetectionCache:
    """Per-provider cache entries under one directory."""

    def __init__(self, directory: PathArg, ttl: float = DEFAULT_TTL) -> None:
        self.directory = os.fspath(directory)
        self.ttl = ttl

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Optional[DetectionCache]:
        directory = default_cache_dir(environ)
        if directory is None:
            return None
        return cls(os.path.join(directory, f"v{CACHE_FORMAT}"), _ttl_from(environ))

    @classmethod
    def for_detection(
        cls, system: System, cache: Optional[bool], live: bool
    ) -> Optional[DetectionCache]:
        """The cache a detection of *system* uses, or ``None``.

        ``cache``: ``None`` means the live machine only, ``False`` never,
        ``True`` also for other systems.  A cache that cannot be written is off.
        """
        if cache is False or (cache is None and not live):
            return None
        environ = getattr(system, "environ_for_cache", None)
        store = cls.from_environ(environ if environ is not None else os.environ)
        return store if store is not None and store.writable() else None

    def writable(self) -> bool:
        """Whether entries can be stored here (the directory exists or can be made).

        A cache that can never be written is off, not a miss on every run.
        """
        try:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
        except OSError:
            return False
        return os.access(self.directory, os.W_OK | os.X_OK)

    @staticmethod
    def key(parts: Mapping[str, Any]) -> str:
        """A digest of everything the answer depends on."""
        text = json.dumps(parts, sort_keys=True, default=str)
        return sha256_hex(text.encode("utf-8"))

    @staticmethod
    def boot_id(system: System) -> str:
        """This boot's id (Linux): drivers and devices can change across a reboot."""
        if not system.platform.is_linux:
            return ""
        try:
            return system.read_text("/proc/sys/kernel/random/boot_id").strip()
        except OSError:
            return ""

    @classmethod
    def provider_key(
        cls, provider: Provider, plugin: str, system: System, boot_id: str
    ) -> Optional[str]:
        """The cache key of one provider's answer, or ``None`` when it cannot be computed.

        The one place the key's parts are listed: anything the answer depends
        on besides the environment variables ``detect`` reads (those are
        stored in the entry and compared by :meth:`lookup`).
        """
        fingerprint = ""
        if provider.fingerprint is not None:
            try:
                fingerprint = provider.fingerprint(system)
            except Exception:
                log.debug("fingerprint of %s failed; not cached", provider.namespace, exc_info=True)
                return None
        return cls.key(
            {
                "tool": __version__,
                "python": sys.version_info[:2],
                "namespace": provider.namespace,
                "plugin": plugin,
                "provider_version": provider.version,
                "platform": system.platform.to_dict(),
                "boot_id": boot_id,
                "fingerprint": fingerprint,
            }
        )

    @classmethod
    def plugin_key(
        cls,
        plugin: Mapping[str, str],
        machine: Mapping[str, Any],
        system: System,
        boot_id: str,
    ) -> str:
        """The cache key of a third-party plugin's answer (all its providers at once).

        *plugin* names the entry point (name, value, distribution and its
        version), *machine* how its child rebuilt the machine.  Fingerprints
        are not part of it: they are recomputed from the specs stored in the
        entry (see :mod:`variant_providers.third_party`), and the variables
        read are compared as for any entry.
        """
        return cls.key(
            {
                "tool": __version__,
                "python": sys.version_info[:2],
                "plugin": dict(plugin),
                "machine": dict(machine),
                "platform": system.platform.to_dict(),
                "boot_id": boot_id,
            }
        )

    def lookup(self, namespace: str, key: str, system: System) -> Optional[ProviderResult]:
        """The cached answer for *key*, if the variables it read still have their values."""
        entry = self.load(namespace, key)
        if entry is None:
            return None
        env = entry.get("env")
        if not isinstance(env, dict):
            return None
        for name, value in env.items():
            if system.getenv(name) != value:
                return None
        try:
            result = ProviderResult.from_dict(entry["result"])
        except (KeyError, TypeError, ValueError):
            return None
        return result.cached(float(entry["age_s"]))

    def store(
        self,
        namespace: str,
        key: str,
        result: ProviderResult,
        env_read: Mapping[str, Optional[str]],
    ) -> None:
        """Keep *result* (errors and timeouts only briefly, they must never stick)."""
        ttl = ERROR_TTL if result.status in ("error", "timeout") else self.ttl
        self.save(namespace, key, {"env": dict(env_read), "result": result.to_dict()}, ttl)

    def _path(self, namespace: str) -> str:
        return os.path.join(self.directory, f"{namespace}.json")

    def load(
        self, namespace: str, key: str, now: Optional[float] = None
    ) -> Optional[Dict[str, Any]]:
        """The stored entry for *namespace* if it matches *key* and is fresh."""
        entry = read_private_json(self._path(namespace))
        if not isinstance(entry, dict) or entry.get("format") != CACHE_FORMAT:
            return None
        if entry.get("key") != key or not isinstance(entry.get("result"), dict):
            return None
        created = entry.get("created")
        ttl = entry.get("ttl")
        if not isinstance(created, (int, float)) or not isinstance(ttl, (int, float)):
            return None
        age = (time.time() if now is None else now) - created
        if age < 0 or age > min(ttl, self.ttl):
            return None
        entry["age_s"] = age
        return entry

    def save(self, namespace: str, key: str, entry: Dict[str, Any], ttl: float) -> bool:
        """Store *entry* atomically; False (and nothing raised) when it cannot."""
        doc = {"format": CACHE_FORMAT, "key": key, "created": time.time(), "ttl": ttl, **entry}
        try:
            write_private_json(self._path(namespace), doc)
        except (OSError, TypeError, ValueError) as exc:
            log.debug("cache write for %s skipped: %s", namespace, exc)
            return False
        return True


def _trusted_dir(directory: str) -> bool:
    """Whether *directory* is ours alone; an untrusted one is reported once."""
    try:
        st = os.stat(directory)
    except OSError:
        return False
    reason = untrusted_reason(st)
    if reason:
        report_untrusted(directory, f"cache directory {reason}")
        return False
    return True


def read_private_json(path: PathArg) -> Any:
    """The JSON document in the private file *path*, or ``None``.

    ``None`` for a missing, unreadable, corrupt or untrusted file (the last
    reported once), or one in an untrusted directory.
    """
    if not _trusted_dir(os.path.dirname(os.fspath(path)) or "."):
        return None
    try:
        return loads_json(read_bytes(path, MAX_ENTRY_BYTES, private=True))
    except UntrustedFile as exc:
        report_untrusted(path, f"cache entry {exc.strerror}")
    except (OSError, ValueError):
        pass
    return None


def write_private_json(path: PathArg, doc: Any) -> None:
    """Store *doc* in *path* atomically, readable by the current user only.

    Raises :class:`OSError` when the directory cannot be created or is not
    ours alone, ``ValueError`` when *doc* is not strict JSON.
    """
    data = dumps_json(doc, sort_keys=True).encode("utf-8")
    parent = os.path.dirname(os.fspath(path)) or "."
    os.makedirs(parent, mode=0o700, exist_ok=True)  # parents as umask allows, as Path.mkdir
    if not _trusted_dir(parent):
        raise OSError(f"{parent} is not private to this user")
    write_atomic(path, data, mode=0o600)
