"""Packaging and import-time promises."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import variant_providers

from .conftest import REPO


def test_every_package_directory_is_listed_in_pyproject() -> None:
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from 3.11")
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {"variant_providers"}
    for base, prefix in (
        ("core", "variant_providers"),
        ("providers", "variant_providers.providers"),
    ):
        for init in (REPO / base).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO / base)
            found.add(".".join([prefix, *rel.parts]) if rel.parts else prefix)
    assert found == listed


def test_import_is_cheap_and_loads_no_vendor_library() -> None:
    listing = "import sys, json;print(json.dumps(sorted(m for m in sys.modules)))"
    code = "import variant_providers;" + listing
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    bare = subprocess.run(
        [sys.executable, "-c", listing], capture_output=True, text=True, check=True
    )
    # Beyond what the interpreter itself loaded (on 3.9 an editable install's finder loads typing).
    modules = set(json.loads(out.stdout)) - set(json.loads(bare.stdout))
    for heavy in ("pluggy", "pynvml", "pyamdgpuinfo", "cpuinfo", "ctypes", "subprocess"):
        assert heavy not in modules, f"import variant_providers loaded {heavy}"
    # Nothing of ours but the package itself: every public name loads on first use.
    assert {m for m in modules if m.startswith("variant_providers.")} == set()
    assert "typing" not in modules and "dataclasses" not in modules


def test_every_public_name_resolves_lazily() -> None:
    names = variant_providers.__all__
    code = (
        "import variant_providers as v, json;"
        f"print(json.dumps([type(getattr(v, n)).__name__ for n in {names!r}]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    kinds = json.loads(out.stdout)
    assert len(kinds) == len(names) and "NoneType" not in kinds
    assert variant_providers.VariantProperty.parse("a :: b :: c").value == "c"


def test_py_typed_is_shipped() -> None:
    assert (REPO / "core" / "py.typed").is_file()
