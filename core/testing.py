"""Helpers for testing a provider — ours or a vendor's — against recorded machines.

A third-party provider's test suite typically does::

    from variant_providers.testing import check_provider, check_fixture, replay
    from acme_variant_provider import plugin

    def test_conformance():
        check_provider(plugin, machines=["tests/machines/acme-two-devices"])

    def test_two_devices():
        check_fixture(plugin, "tests/machines/acme-two-devices")

The checks are the ones the host applies at run time, plus the promises a
wheel builder relies on: every value ``detect`` emits is listed by
``all_configs``, and detecting the same machine twice gives the same answer.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Union

from .host import Detection, Host, ProviderResult
from .machine_file import command_key
from .model import FeatureConfig, is_valid_name
from .provider import Provider
from .replay import ReplaySystem
from .system import DEFAULT_TIMEOUT, CommandResult, NativeFacade, SystemProxy

__all__ = [
    "Call",
    "ConformanceError",
    "FakeSystem",
    "check_detection",
    "check_fixture",
    "check_provider",
    "detect_with",
    "detection_problems",
    "expected_mismatches",
    "replay",
]

PathLike = Union[str, "os.PathLike[str]"]


class ConformanceError(AssertionError):
    """A provider broke the contract; the message lists every problem found."""


class Call(NamedTuple):
    """One question a provider asked a :class:`FakeSystem`."""

    #: ``getenv``, ``read``, ``listdir``, ``exists``, ``readlink``, ``run`` or ``native``.
    kind: str
    #: The variable, the path, the command (as ``machine.json`` keys it) or the facade name.
    what: str
    #: The timeout asked for (``run`` and ``native`` only).
    timeout: Optional[float] = None


#: The platform of a :class:`FakeSystem` whose document names none.
FAKE_PLATFORM = {"system": "Linux", "machine": "x86_64", "release": "6.8.0"}


class FakeSystem(SystemProxy):
    """A machine written as a dict, which records every question asked of it.

    The dict is a ``machine.json`` document (its keys are documented in
    ``fixtures/README.md``: ``files``, ``env``, ``errors``, ``dirs``,
    ``links``, ``commands``, ``native``), so a test's machine and a recorded
    one are answered by the same :class:`ReplaySystem` rules; the keywords
    are merged into *machine*, and ``platform`` defaults to
    :data:`FAKE_PLATFORM`.  A recorded machine directory may be given instead,
    to count what detection asks of it.  :attr:`calls` lists the questions in
    order.

    >>> system = FakeSystem(files={"/sys/class/acme/acme0/generation": "2"})
    >>> system.read_text("/sys/class/acme/acme0/generation")
    '2'
    >>> system.asked("read")
    ['/sys/class/acme/acme0/generation']
    """

    def __init__(
        self,
        machine: Union[Mapping[str, Any], PathLike, None] = None,
        *,
        files: Optional[Mapping[str, str]] = None,
        env: Optional[Mapping[str, str]] = None,
        errors: Optional[Mapping[str, str]] = None,
        dirs: Optional[Mapping[str, Sequence[str]]] = None,
        links: Optional[Mapping[str, str]] = None,
        commands: Optional[Mapping[str, Mapping[str, Any]]] = None,
        native: Optional[Mapping[str, Mapping[str, Any]]] = None,
        platform: Optional[Mapping[str, str]] = None,
    ) -> None:
        tables = {
            "files": files,
            "env": env,
            "errors": errors,
            "dirs": {k: list(v) for k, v in dirs.items()} if dirs is not None else None,
            "links": links,
            "commands": commands,
            "native": native,
            "platform": platform,
        }
        given = {k: dict(v) for k, v in tables.items() if v is not None}
        if isinstance(machine, (str, os.PathLike)):
            if given:
                raise TypeError("a recorded machine directory takes no tables")
            super().__init__(ReplaySystem(machine))
        else:
            document = {"platform": FAKE_PLATFORM, **(machine or {})}
            for key, table in given.items():
                document[key] = {**(document.get(key) or {}), **table}
            super().__init__(ReplaySystem.from_dict(document, "fake machine"))
        self.calls: List[Call] = []

    @property
    def source(self) -> str:
        """How reports name this machine."""
        return str(getattr(self.inner, "source", "fake machine"))

    def asked(self, kind: str) -> List[str]:
        """What was asked with calls of *kind*, in order (paths, variables, commands)."""
        return [call.what for call in self.calls if call.kind == kind]

    def getenv(self, name: str, default: Optional[str] = None) -> Optional[str]:
        self.calls.append(Call("getenv", name))
        return super().getenv(name, default)

    def read_text(self, path: str) -> str:
        self.calls.append(Call("read", path))
        return super().read_text(path)

    def read_bytes(self, path: str) -> bytes:
        self.calls.append(Call("read", path))
        return super().read_bytes(path)

    def listdir(self, path: str) -> List[str]:
        self.calls.append(Call("listdir", path))
        return super().listdir(path)

    def exists(self, path: str) -> bool:
        self.calls.append(Call("exists", path))
        return super().exists(path)

    def readlink(self, path: str) -> str:
        self.calls.append(Call("readlink", path))
        return super().readlink(path)

    def run(self, argv: Sequence[str], timeout: float = DEFAULT_TIMEOUT) -> CommandResult:
        self.calls.append(Call("run", command_key(argv), timeout))
        return super().run(argv, timeout)

    def native(self, facade: NativeFacade) -> Any:
        self.calls.append(Call("native", facade.name, facade.timeout))
        return super().native(facade)


def replay(machine: PathLike) -> ReplaySystem:
    """The recorded machine in directory *machine*."""
    return ReplaySystem(machine)


def detect_with(plugin: object, machine: PathLike) -> Detection:
    """Run *plugin*'s providers (only them) against a recorded machine."""
    host = Host(builtins=False, entry_points=False, plugins=[plugin])
    return host.detect(ReplaySystem(machine), cache=False, isolate=False)


def _providers(plugin: object) -> List[Provider]:
    host = Host(builtins=False, entry_points=False, plugins=[plugin])
    found, failures = host.providers()
    if failures:
        raise ConformanceError("; ".join(f"{f.name}: {f.error}" for f in failures))
    return [r.provider for r in found]


def expected_mismatches(result: ProviderResult, expected: Mapping[str, Any]) -> List[str]:
    """How *result* differs from one namespace's ``expected`` block (empty: it matches)."""
    problems: List[str] = []
    want_status = expected.get("status", "ok")
    if result.status != want_status:
        detail = result.error or result.reason
        problems.append(f"status {result.status!r} != {want_status!r} ({detail})")
    got = [(f.name, list(f.values)) for f in result.features]
    want = [(name, list(values)) for name, values in expected.get("features", {}).items()]
    if got != want:
        problems.append(f"features {got} != {want}")
    for key, value in expected.get("info", {}).items():
        if result.info.get(key) != value:
            problems.append(f"info[{key!r}] = {result.info.get(key)!r} != {value!r}")
    return problems


def detection_problems(
    detection: Detection, expected: Mapping[str, Any], *, complete: bool = False
) -> List[str]:
    """How *detection* differs from a machine's ``expected`` block (empty: it matches).

    Each namespace listed in *expected* must have exactly that status, those
    features in that order with those values in that order, and the listed
    ``info`` keys; every namespace the detection reports and *expected* does
    not list must be ``not-detected``.  With *complete* (the detection ran
    every provider the block names), a listed namespace nobody reported is a
    problem too.
    """
    problems: List[str] = []
    for result in detection.providers:
        want = expected.get(result.namespace)
        if want is None:
            if result.status != "not-detected":
                detail = result.error or result.reason or [f.name for f in result.features]
                problems.append(
                    f"{result.namespace}: expected not-detected, got {result.status} ({detail})"
                )
            continue
        problems += [f"{result.namespace}: {p}" for p in expected_mismatches(result, want)]
    unknown = set(expected) - set(detection.namespaces)
    if complete and unknown:
        problems.append(f"expected namespaces that no provider reported: {sorted(unknown)}")
    return problems


def check_detection(
    detection: Detection, machine: PathLike, *, complete: bool = False
) -> Detection:
    """Compare *detection* of recorded *machine* with its ``expected`` block; return it.

    Raises :class:`ConformanceError` listing every difference
    (see :func:`detection_problems`).
    """
    expected = ReplaySystem(machine).expected
    if expected is None:
        raise ConformanceError(f"{machine}: machine.json has no 'expected' block")
    problems = detection_problems(detection, expected, complete=complete)
    if problems:
        raise ConformanceError(f"{machine}:\n  " + "\n  ".join(problems))
    return detection


def check_fixture(plugin: object, machine: PathLike) -> Detection:
    """Replay *machine* with *plugin*'s providers and compare with its ``expected`` block.

    Namespaces of *plugin* not listed in ``expected`` must be ``not-detected``;
    namespaces of other plugins listed there are not looked at.
    """
    return check_detection(detect_with(plugin, machine), machine)


def _check_all_configs(
    provider: Provider, problems: List[str]
) -> Optional[Dict[str, FeatureConfig]]:
    if provider.all_configs is None:
        return None
    try:
        configs = list(provider.all_configs())
    except Exception as exc:
        problems.append(f"{provider.namespace}: all_configs() raised {type(exc).__name__}: {exc}")
        return None
    by_name: Dict[str, FeatureConfig] = {}
    for config in configs:
        if not isinstance(config, FeatureConfig):
            problems.append(f"{provider.namespace}: all_configs() returned {type(config).__name__}")
            continue
        if config.name in by_name:
            problems.append(f"{provider.namespace}: all_configs() lists {config.name!r} twice")
        by_name[config.name] = config
    return by_name


def check_provider(plugin: object, machines: Iterable[PathLike] = ()) -> None:
    """Apply the host's checks and the stability promises to every provider of *plugin*.

    * the namespace follows the grammar and the hook returns ``Provider`` records;
    * ``all_configs()`` returns valid, unique feature configs;
    * on every machine, ``detect`` succeeds (no ``error`` status), every
      emitted feature and value is listed in ``all_configs()`` with the same
      ``multi_value``, and a second run gives the same answer (``info`` is
      JSON already: the host turns any other ``info`` into an error result).
    """
    problems: List[str] = []
    providers = _providers(plugin)
    if not providers:
        raise ConformanceError("the plugin returned no Provider record")
    for provider in providers:
        if not is_valid_name(provider.namespace):
            problems.append(f"invalid namespace {provider.namespace!r}")
        catalog = _check_all_configs(provider, problems)
        for machine in machines:
            first = detect_with(plugin, machine)[provider.namespace]
            second = detect_with(plugin, machine)[provider.namespace]
            where = f"{provider.namespace} on {Path(machine).name}"
            expected = (ReplaySystem(machine).expected or {}).get(provider.namespace) or {}
            if first.status == "error" and expected.get("status") != "error":
                problems.append(f"{where}: {first.error}")
                continue
            if (first.status, first.features, first.info) != (
                second.status,
                second.features,
                second.info,
            ):
                problems.append(f"{where}: two runs on the same machine differ")
            if catalog is None:
                continue
            for feature in first.features:
                known = catalog.get(feature.name)
                if known is None:
                    problems.append(f"{where}: feature {feature.name!r} is not in all_configs()")
                    continue
                if known.multi_value != feature.multi_value:
                    problems.append(
                        f"{where}: {feature.name!r} multi_value differs from all_configs()"
                    )
                extra = [v for v in feature.values if v not in known.values]
                if extra:
                    problems.append(
                        f"{where}: {feature.name} values {extra} are not in all_configs()"
                    )
    if problems:
        raise ConformanceError("\n".join(problems))
