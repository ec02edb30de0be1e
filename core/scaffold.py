"""``python -m variant_providers new-provider NAME DIR``: start a vendor's provider.

Copies the template in :mod:`variant_providers.providers.template` into a new
project, replacing the placeholder vendor ``acme`` by NAME::

    DIR/
      pyproject.toml                  entry points for variant-providers and installers
      src/NAME_variant_provider/      __init__.py (plugin-API object), plugin.py, detect.py
      tests/test_provider.py          conformance + fixture tests
      tests/machines/NAME-*/          recorded machines with expected blocks
"""

from __future__ import annotations

import keyword
import os
import shutil
from pathlib import Path
from typing import Dict, List

from .model import is_valid_name

__all__ = ["NewProviderError", "new_provider"]

PLACEHOLDER = "acme"


class NewProviderError(ValueError):
    """The name or directory cannot be used."""


def _template_dir() -> Path:
    from .providers import template

    return Path(template.__file__).resolve().parent


def _substitute(text: str, name: str) -> str:
    return (
        text.replace(PLACEHOLDER.upper(), name.upper())
        .replace(PLACEHOLDER.capitalize(), name.capitalize())
        .replace(PLACEHOLDER, name)
    )


def new_provider(name: str, directory: str | os.PathLike[str]) -> List[Path]:
    """Create the project; return the files written."""
    if not is_valid_name(name) or not name[0].isalpha() or keyword.iskeyword(name):
        raise NewProviderError(
            f"invalid provider name {name!r}: it is the namespace, so it must match "
            "[a-z0-9_]+ and start with a letter"
        )
    target = Path(directory)
    if target.exists() and any(target.iterdir()):
        raise NewProviderError(f"{target} exists and is not empty")
    source = _template_dir()
    package = f"{name}_variant_provider"
    plan: Dict[Path, Path] = {
        source / "pyproject.toml.in": target / "pyproject.toml",
        source / "package_init.py.in": target / "src" / package / "__init__.py",
        source / "plugin.py": target / "src" / package / "plugin.py",
        source / "detect.py": target / "src" / package / "detect.py",
        source / "test_provider.py.in": target / "tests" / "test_provider.py",
    }
    for machine in sorted((source / "machines").iterdir()):
        for path in sorted(machine.rglob("*")):
            if path.is_file():
                rel = Path(_substitute(str(path.relative_to(source / "machines")), name))
                plan[path] = target / "tests" / "machines" / rel
    written: List[Path] = []
    for src, dest in plan.items():
        dest.parent.mkdir(parents=True, exist_ok=True)
        if src.suffix in (".py", ".in", ".json", ".toml", ".md"):
            dest.write_text(_substitute(src.read_text(encoding="utf-8"), name), encoding="utf-8")
        else:
            shutil.copyfile(src, dest)
        written.append(dest)
    return written
