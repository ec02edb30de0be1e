"""Shared test helpers: recorded machines built on the fly, repository paths."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURE_MACHINES = REPO / "fixtures" / "machines"
#: Research data kept beside the repository when it is available.
SHARED = REPO.parent / "shared"

#: A Nehalem-era flag set: everything x86-64-v2 needs, nothing of v3.
V2_FLAGS = (
    "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr "
    "sse sse2 ht syscall nx rdtscp lm constant_tsc pni dtes64 monitor ssse3 cx16 sse4_1 sse4_2 "
    "popcnt lahf_lm"
)


def cpuinfo(flags: str, model: str = "Intel(R) Xeon(R) CPU X5570 @ 2.93GHz") -> str:
    """A two-processor /proc/cpuinfo with the given flags line."""
    block = (
        "processor\t: {n}\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 26\n"
        f"model name\t: {model}\nflags\t\t: {flags}\n\n"
    )
    return block.format(n=0) + block.format(n=1)


MachineFactory = Callable[..., Path]


@pytest.fixture
def make_machine(tmp_path: Path) -> MachineFactory:
    """Write a recorded machine directory and return its path.

    ``root_files`` maps absolute paths to contents written under ``root/``;
    every other keyword becomes a key of ``machine.json``.
    """
    counter = {"n": 0}

    def make(
        root_files: Optional[Dict[str, str]] = None,
        platform: Optional[Dict[str, str]] = None,
        **manifest: Any,
    ) -> Path:
        counter["n"] += 1
        directory = tmp_path / f"machine{counter['n']}"
        for path, text in (root_files or {}).items():
            dest = directory / "root" / path.lstrip("/")
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(text, encoding="utf-8")
        directory.mkdir(parents=True, exist_ok=True)
        doc = {"platform": platform or {"system": "Linux", "machine": "x86_64"}, **manifest}
        (directory / "machine.json").write_text(json.dumps(doc), encoding="utf-8")
        return directory

    return make


@pytest.fixture(autouse=True)
def _isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test gets its own empty cache directory, never the user's."""
    directory = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("VARIANT_PROVIDERS_CACHE_DIR", str(directory))
    for name in (
        "VARIANT_PROVIDERS_OVERRIDE",
        "VARIANT_PROVIDERS_OVERRIDE_FILE",
        "VARIANT_PROVIDERS_DISABLE",
        "VARIANT_PROVIDERS_PLUGINS",
        "VARIANT_PROVIDERS_TIMEOUT",
    ):
        monkeypatch.delenv(name, raising=False)
    return directory


def python_output(code: str, timeout: float = 120, env: Optional[Dict[str, str]] = None) -> str:
    """The stdout of ``python -c code`` in a fresh interpreter (it must exit 0).

    For what only a fresh interpreter shows: which modules a call imports,
    what it leaves in the process.
    """
    import subprocess

    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
        env=env,
    )
    return run.stdout


def write_distribution(site: Path, name: str, entry_points: str, modules: Dict[str, str]) -> None:
    """Install a fake distribution with entry points into *site* (a sys.path entry)."""
    import textwrap

    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points))
    for module, source in modules.items():
        (site / f"{module}.py").write_text(textwrap.dedent(source))


def python_without_standard_plugins(directory: Path) -> List[str]:
    """An argv prefix running this interpreter without the other ``variant_plugins`` plugins.

    The interpreter starts without its site-packages (``-S``) and adds a view
    of it instead: a folder of links to every entry except the ``*.dist-info``
    of distributions, other than ours, that register ``variant_plugins``.  An
    installer run through it (variantlib discovers every such plugin, and one
    bad one breaks them all) sees only our built-ins, whatever else is
    installed.  Append a module (run as ``-m``) or ``module:function`` (called,
    its return value the exit status) and the arguments.
    """
    import re
    import sysconfig
    from importlib import metadata

    def key(name: str) -> str:
        return re.sub(r"[-_.]+", "_", name).lower()

    hidden = {
        key(str(dist.metadata["Name"] or ""))
        for dist in metadata.distributions()
        if any(ep.group == "variant_plugins" for ep in dist.entry_points)
    } - {key("variant-providers")}
    site = Path(sysconfig.get_paths()["purelib"])
    view = directory / "site-view"
    view.mkdir()
    for entry in site.iterdir():
        if not (entry.suffix == ".dist-info" and key(entry.name.split("-")[0]) in hidden):
            (view / entry.name).symlink_to(entry)
    code = (
        "import importlib, runpy, site, sys\n"
        "site.addsitedir(sys.argv.pop(1))\n"
        "sys.argv.pop(0)\n"
        "module, _, function = sys.argv[0].partition(':')\n"
        "if function:\n"
        "    sys.exit(getattr(importlib.import_module(module), function)())\n"
        "runpy.run_module(module, run_name='__main__', alter_sys=True)\n"
    )
    return [sys.executable, "-S", "-c", code, str(view)]
