"""Writing the warm record that :mod:`variant_providers.warm` answers from.

The record may be written only when its manifest covers every input of the
answer, so :class:`WarmRecorder` takes part in the run instead of guessing
afterwards: it gives the detection a :class:`ManifestSystem`, the live
machine noting every question asked of it (the boot id, each provider's
fingerprint files, the environment variables the cache entries were keyed
on, the override and lock variables), and stores a record only after a run
whose every answer came from the cache, with no command run, no native
library asked and no plugin's child started.  A third-party plugin's
cached answer is covered like a built-in's: its entry's status, and the
fingerprint reads its declared data made; a standard plugin's likewise, with
the inputs its child was seen to read asked again (see
:mod:`variant_providers.observe`).
"""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

from .cache import (
    DetectionCache,
    entry_name,
    read_private_json,
    write_private_json,
)
from .entrypoints import prune
from .native import NativeFacade
from .records import Detection, ProviderResult
from .system import DEFAULT_TIMEOUT, CommandResult, LiveSystem
from .warm import (
    WARM_FORMAT,
    path_entry_state,
    python_facts,
    record_path,
    sha256_hex,
    stat_of,
    top_level_modules,
    watched_environ,
)

if TYPE_CHECKING:
    from .cli_options import Args

__all__ = ["KEEP_RECORDS", "ManifestSystem", "WarmRecorder"]

#: Warm records kept per cache directory: one per question (the report, each
#: plugin-API call) and per ``sys.path`` (``python -m`` starts it with the
#: current directory), the least recently written ones pruned beyond this.
KEEP_RECORDS = 64


class ManifestSystem(LiveSystem):
    """The live machine, noting each question and the answer it observed.

    Answers are noted in the shape :class:`~variant_providers.warm.Facts`
    gives them (a digest of a file, a listing, a flag), so the warm path can
    ask again and compare.  A command or a native call cannot be re-asked cheaply: it
    marks the run as one no record may be written for.
    """

    def __init__(self, *, timeout: Optional[float] = None) -> None:
        super().__init__(timeout=timeout)
        self.env_read: Dict[str, Optional[str]] = {}
        self.asked: List[Tuple[str, str, Any]] = []
        self.opaque = False

    def getenv(self, name: str, default: Optional[str] = None) -> Optional[str]:
        value = super().getenv(name)
        self.env_read[name] = value
        return default if value is None else value

    def read_bytes(self, path: str) -> bytes:
        try:
            data = super().read_bytes(path)
        except OSError:
            self.asked.append(("read", path, None))
            raise
        self.asked.append(("read", path, sha256_hex(data)))
        return data

    def listdir(self, path: str) -> list[str]:
        try:
            names = super().listdir(path)
        except OSError:
            self.asked.append(("listdir", path, None))
            raise
        self.asked.append(("listdir", path, sorted(names)))
        return names

    def exists(self, path: str) -> bool:
        found = super().exists(path)
        self.asked.append(("exists", path, found))
        return found

    def readlink(self, path: str) -> str:
        try:
            target = super().readlink(path)
        except OSError:
            self.asked.append(("readlink", path, None))
            raise
        self.asked.append(("readlink", path, target))
        return target

    def run(self, argv: Sequence[str], timeout: float = DEFAULT_TIMEOUT) -> CommandResult:
        self.opaque = True
        return super().run(argv, timeout)

    def native(self, facade: NativeFacade) -> Any:
        self.opaque = True
        return super().native(facade)


def _recordable(args: Args) -> bool:
    """Whether *args* ask for what a warm record can answer: the live machine, cached, JSON."""
    return (
        args.command == "report"
        and bool(args.json)
        and not any(
            getattr(args, name, None)
            for name in ("machine", "lock", "use_lock", "no_cache", "refresh", "verbose")
        )
    )


class WarmRecorder:
    """One run (``report --json``, a plugin-API call) that may leave a warm record behind.

    *key* names the question: the command line's arguments, or the call.
    """

    def __init__(self, key: Sequence[str], timeout: Optional[float] = None) -> None:
        self.key = list(key)
        self.system = ManifestSystem(timeout=timeout)

    @classmethod
    def for_args(cls, args: Args, argv: Sequence[str]) -> Optional[WarmRecorder]:
        """A recorder for this run, or ``None`` when no record could answer it."""
        return cls(argv, args.timeout) if _recordable(args) else None

    def remember(self, detection: Detection, payload: Any, code: int = 0) -> bool:
        """Store *payload*, the answer made of *detection*, if that was a full cache hit.

        Returns whether a record was stored.
        """
        path = record_path(os.environ, self.key)
        entries = self._entries(detection)
        if path is None or entries is None:
            return False
        created = time.time()
        # Also the plugins' own packages: their children import them from sys.path too.
        values = [str(p.get("value", "")) for p in detection.plugins]
        plugins = {v.partition(":")[0].partition(".")[0].strip() for v in values}
        modules = sorted(set(top_level_modules()) | (plugins - {""}))
        expires = min(float(e["created"]) + float(e["ttl"]) for e in entries.values())
        rows = detection.providers
        doc = {
            "format": WARM_FORMAT,
            "argv": self.key,
            "created": created,
            "expires": expires,
            "python": python_facts(),
            "environ": watched_environ(os.environ),
            "env_read": self.system.env_read,
            "asked": self.system.asked,
            "stats": [[p, stat_of(p)] for p in self._watched_paths(entries)],
            "modules": modules,
            "path_entries": [[p, path_entry_state(p, modules)] for p in sys.path],
            "payload": payload,
            "ages": [[i, r.cache_age_s] for i, r in enumerate(rows) if r.cache_age_s is not None],
            "code": code,
        }
        try:
            write_private_json(path, doc)
        except (OSError, TypeError, ValueError):
            return False
        prune(os.path.dirname(path), keep=path, prefix="warm-", limit=KEEP_RECORDS)
        return True

    def _entries(self, detection: Detection) -> Optional[Dict[str, Dict[str, Any]]]:
        """The cache entries (by path) the rows came from; ``None`` unless a full hit.

        A built-in's row comes from ``<namespace>.json``; a third-party
        plugin's rows from its entry point's entry, which also holds the
        declared fingerprint data its digests were recomputed from (through
        :class:`ManifestSystem`, so those reads are in the manifest).
        """
        if self.system.opaque or detection.cache_dir is None or detection.shadowed:
            return None
        directory = detection.cache_dir
        names: Dict[str, Optional[ProviderResult]] = {
            f"{row.namespace}.json": row for row in detection.providers
        }
        third_party = set()
        for plugin in detection.plugins:
            state = plugin.get("state", "")
            if state.startswith(("blocked", "skipped")):  # ran nothing; sys.path covers it
                continue
            if state != "runs in a child process":
                return None
            name = plugin.get("name", "")
            third_party.add(name)
            # A standard plugin's rows name their group; its entry is named for it.
            entry = entry_name(name, plugin["group"]) if "group" in plugin else entry_name(name)
            names[f"{entry}.json"] = None
        entries: Dict[str, Dict[str, Any]] = {}
        for name, row in names.items():
            if row is not None and (row.status == "disabled" or row.plugin in third_party):
                continue
            entry = read_private_json(os.path.join(directory, name))
            if row is not None and row.cache_age_s is None:
                return None
            if not isinstance(entry, dict) or not isinstance(entry.get("created"), (int, float)):
                return None
            entry["ttl"] = min(float(entry.get("ttl", 0)), self._ttl())
            entries[os.path.join(directory, name)] = entry
        if any(r.cache_age_s is None and r.status != "disabled" for r in detection.providers):
            return None
        return entries or None

    @staticmethod
    def _ttl() -> float:
        store = DetectionCache.from_environ(os.environ)
        return store.ttl if store is not None else 0.0

    @staticmethod
    def _watched_paths(entries: Dict[str, Dict[str, Any]]) -> List[str]:
        """The files and directories whose change must be a miss.

        This package's loaded modules (and their directories: a module added
        or removed) and the cache entries the answers came from (rewritten or
        cleared).  The ``sys.path`` entries are watched for what they hold
        (:func:`~variant_providers.warm.path_entry_state`), not their status.
        """
        modules = sorted(
            str(module.__file__)
            for name, module in list(sys.modules.items())
            if name.split(".")[0] == "variant_providers" and getattr(module, "__file__", None)
        )
        directories = sorted({os.path.dirname(m) for m in modules})
        return [*modules, *directories, *entries]
