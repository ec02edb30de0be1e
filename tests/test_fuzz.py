"""Fuzz targets: one per parser of something a user or another program hands us.

Each target mutates real inputs (byte flips, cuts, inserted garbage, values of
the wrong type, and the hostile tokens that once broke a reader: 200 000
nested brackets, a 50 000-digit integer, NaN, non-UTF-8 bytes) and checks the
one promise every parser makes: the input is read, or refused with that
parser's own error — never another exception, never a hang.

``make test`` runs a few examples per target (plus every seed); ``make fuzz``
runs many more (``VARIANT_PROVIDERS_FUZZ_EXAMPLES``).
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Callable, Iterator, List, Tuple

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from variant_providers.cache import DetectionCache
from variant_providers.entrypoints import discover
from variant_providers.host import Host
from variant_providers.lock import InvalidLock, read_lock
from variant_providers.overrides import InvalidOverride, parse_overrides
from variant_providers.provider import STATUSES
from variant_providers.replay import InvalidMachine, ReplaySystem
from variant_providers.safefs import loads_json
from variant_providers.variants_json import (
    VariantsJsonError,
    load_wheel_variant_json,
    parse_variants_json,
)

from .conftest import FIXTURE_MACHINES, REPO

_LONG_RUN = os.environ.get("VARIANT_PROVIDERS_FUZZ_EXAMPLES")
FUZZ = settings(
    max_examples=int(_LONG_RUN or "15"),
    # In ``make test`` the few examples are the same on every run, so a new
    # finding shows up in ``make fuzz`` (random) rather than as a flaky CI run.
    derandomize=not _LONG_RUN,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: Tokens that broke readers before (see the module docstring), spliced into inputs.
HOSTILE: List[bytes] = [
    b"[" * 200000,
    b"{" * 5000,
    b"9" * 50000,
    b"NaN",
    b"-Infinity",
    b"1e999",
    b"\xff\xfe\x00\x80",
    b"\x00" * 32,
    b'"\\ud800"',
    b"null",
    b"[]",
    b"{}",
]
#: Values of the wrong type, put in place of a value of a real document.
WRONG = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.lists(st.one_of(st.integers(), st.text(max_size=4), st.none()), max_size=3),
    st.dictionaries(st.text(max_size=6), st.one_of(st.integers(), st.text(max_size=4)), max_size=3),
)

VARIANTS = sorted(p for p in (REPO / "tests" / "data" / "variants").glob("*.json"))
MACHINES = sorted(p for p in FIXTURE_MACHINES.iterdir() if (p / "machine.json").is_file())


@st.composite
def mutated(draw: Any, seed: bytes) -> bytes:
    """*seed* with a few byte-level mutations."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "hostile"]))
        pos = draw(st.integers(0, len(data)))
        if op == "flip" and data:
            data[min(pos, len(data) - 1)] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[pos : pos + draw(st.integers(1, 64))]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(max_size=16))
        else:
            data[pos:pos] = draw(st.sampled_from(HOSTILE))
    return bytes(data)


def _paths(value: Any, prefix: Tuple[Any, ...] = ()) -> Iterator[Tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


@st.composite
def retyped(draw: Any, doc: Any) -> bytes:
    """*doc* with one value (anywhere in it) replaced by a value of another type."""
    doc = copy.deepcopy(doc)
    path = draw(st.sampled_from(list(_paths(doc))[1:] or [()]))
    value = draw(WRONG)
    if not path:
        return json.dumps(value).encode()
    node = doc
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return json.dumps(doc).encode()


def inputs(seeds: List[bytes]) -> Any:
    """Byte mutations of the seeds, and (for JSON seeds) retyped documents."""
    strategies = [mutated(seed) for seed in seeds]
    for seed in seeds:
        try:
            strategies.append(retyped(json.loads(seed)))
        except ValueError:
            pass
    return st.one_of(strategies)


def with_hostile_seeds(test: Callable[..., None]) -> Callable[..., None]:
    """Every hostile token, alone, is a seed of every target."""
    for token in HOSTILE:
        test = example(token)(test)
    return example(b"")(test)


# -- JSON, variants files and wheels ----------------------------------------------------


@FUZZ
@given(inputs([p.read_bytes() for p in VARIANTS]))
@with_hostile_seeds
def test_fuzz_strict_json(data: bytes) -> None:
    try:
        loads_json(data)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        pass


@pytest.mark.skipif(not VARIANTS, reason="no variants files")
@FUZZ
@given(inputs([p.read_bytes() for p in VARIANTS]))
@with_hostile_seeds
def test_fuzz_variants_json(data: bytes) -> None:
    try:
        parse_variants_json(data, source="fuzz.json")
    except VariantsJsonError:
        pass


def _wheel_bytes() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "w.whl"
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as wheel:
            wheel.writestr("pkg-1.0.dist-info/variant.json", VARIANTS[0].read_bytes())
            wheel.writestr("pkg-1.0.dist-info/METADATA", "Name: pkg\n")
        return path.read_bytes()


@pytest.mark.skipif(not VARIANTS, reason="no variants files")
@FUZZ
@given(mutated(_wheel_bytes()) if VARIANTS else st.just(b""))
@with_hostile_seeds
def test_fuzz_wheel(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pkg-1.0-py3-none-any.whl"
        path.write_bytes(data)
        try:
            load_wheel_variant_json(path)
        except VariantsJsonError:
            pass


# -- lock files and overrides ----------------------------------------------------------

LOCK_SEED = json.dumps(
    {
        "format": "variant-providers-lock",
        "format_version": 1,
        "created": "2026-11-24T06:00:00Z",
        "tool": {"name": "variant-providers", "version": "0.1.0"},
        "machine": {"source": "live", "platform": {"system": "Linux", "machine": "x86_64"}},
        "providers": [
            {
                "namespace": "nvidia",
                "status": "ok",
                "plugin": "builtin:nvidia",
                "version": "0.1.0",
                "features": [{"name": "sm_arch", "values": ["90_real"], "multi_value": True}],
            },
            {"namespace": "amd", "status": "not-detected", "features": []},
        ],
        "properties": ["nvidia :: sm_arch :: 90_real"],
    }
).encode()


@FUZZ
@given(inputs([LOCK_SEED]))
@with_hostile_seeds
def test_fuzz_lock(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "machine.lock"
        path.write_bytes(data)
        try:
            read_lock(path)
        except InvalidLock:
            pass


OVERRIDE_SEED = b"nvidia :: sm_arch :: 90_real, 80_real\n# a comment\nx86_64 :: level ::\n"


@FUZZ
@given(mutated(OVERRIDE_SEED))
@with_hostile_seeds
def test_fuzz_overrides(data: bytes) -> None:
    try:
        parse_overrides(data.decode("utf-8", "replace"), "fuzz")
    except InvalidOverride:
        pass


# -- recorded machines and the provider parsers behind them ----------------------------


def _detect_cleanly(system: ReplaySystem) -> None:
    """Detection on *system* gives every provider a valid row and no traceback."""
    detection = Host(entry_points=False).detect(system, cache=False)
    for result in detection.providers:
        assert result.status in STATUSES
        assert result.traceback is None, (result.namespace, result.error, result.traceback)
    from variant_providers.cli_report import render_json

    json.loads(render_json(detection), parse_constant=_refuse)


def _refuse(name: str) -> Any:
    raise AssertionError(f"{name} in the report")


@pytest.mark.skipif(not MACHINES, reason="no recorded machines")
@FUZZ
@given(inputs([(m / "machine.json").read_bytes() for m in MACHINES[:6]]))
@with_hostile_seeds
def test_fuzz_machine_json(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "machine.json").write_bytes(data)
        try:
            system = ReplaySystem(tmp)
        except InvalidMachine:
            return
        _detect_cleanly(system)


def _machine_files(machine: Path) -> List[Path]:
    root = machine / "root"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []


FILE_MACHINES = [m for m in MACHINES if _machine_files(m)]


@pytest.mark.skipif(not FILE_MACHINES, reason="no recorded machine files")
@FUZZ
@given(st.data())
def test_fuzz_provider_parsers(data: Any) -> None:
    """A recorded machine with one of its files mutated: the providers must cope."""
    import shutil

    machine = data.draw(st.sampled_from(FILE_MACHINES))
    files = _machine_files(machine)
    victim = data.draw(st.sampled_from(files))
    content = data.draw(mutated(victim.read_bytes()))
    with tempfile.TemporaryDirectory() as tmp:
        copy_dir = Path(tmp) / "m"
        shutil.copytree(machine, copy_dir)
        (copy_dir / victim.relative_to(machine)).write_bytes(content)
        _detect_cleanly(ReplaySystem(copy_dir))


# -- what the cache stores -------------------------------------------------------------


def _private(path: Path, data: bytes) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(0o600)


ENTRY_SEED = json.dumps(
    {
        "format": 1,
        "key": "k",
        "created": 1.0e10,
        "ttl": 86400,
        "env": {"PATH": "/usr/bin"},
        "result": {"namespace": "acme", "status": "ok", "features": []},
    }
).encode()


@FUZZ
@given(inputs([ENTRY_SEED]))
@with_hostile_seeds
def test_fuzz_cache_entry(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = DetectionCache(Path(tmp) / "v1")
        _private(Path(store.directory) / "acme.json", data)
        entry = store.load("acme", "k", now=1.0e10 + 1)
        assert entry is None or isinstance(entry, dict)


@FUZZ
@given(st.data())
@with_hostile_seeds
def test_fuzz_entry_point_list(data: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        discover("variant_providers", directory)  # writes the real list
        (stored,) = directory.glob("entry-points-*.json")
        seed = stored.read_bytes()
        mutation = data if isinstance(data, bytes) else data.draw(inputs([seed]))
        _private(stored, mutation)
        records = discover("variant_providers", directory)
        assert all(isinstance(field, str) for record in records for field in record)
