"""``python -m variant_providers new-provider NAME DIR``: start a vendor's provider.

Copies the template in :mod:`variant_providers.providers.template` into a new
project, replacing the placeholder vendor ``acme`` by NAME::

    DIR/
      pyproject.toml                  entry points for variant-providers and installers
      src/NAME_variant_provider/      __init__.py (plugin-API object), plugin.py, detect.py
      tests/test_provider.py          conformance + fixture tests
      tests/machines/NAME-*/          recorded machines with expected blocks
      README.md, .gitignore           how to install and test it
      .github/workflows/test.yml      a CI example

variant-providers is not on PyPI yet, so the generated README and the
"next steps" printed by the command install it from a path or a git URL
first (:func:`install_hint` names the checkout this copy runs from).
"""

from __future__ import annotations

import json
import keyword
import os
from pathlib import Path
from typing import Dict, List

from .atomic import SafeTree
from .model import is_valid_name
from .providers import BUILTIN_PROVIDERS, template

__all__ = ["NewProviderError", "new_provider"]

PLACEHOLDER = "acme"


class NewProviderError(ValueError):
    """The name or directory cannot be used."""


def _template_dir() -> Path:
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

    if name in BUILTIN_PROVIDERS:
        raise NewProviderError(
            f"{name!r} is a built-in namespace of variant-providers "
            f"({', '.join(BUILTIN_PROVIDERS)}); choose your own vendor's name"
        )
    target = Path(directory)
    try:
        if target.is_symlink() or (target.exists() and not target.is_dir()):
            raise NewProviderError(f"{str(target)!r} exists and is not a directory")
        if target.exists() and any(target.iterdir()):
            raise NewProviderError(f"{str(target)!r} exists and is not empty")
    except OSError as exc:
        raise NewProviderError(f"cannot use {str(target)!r}: {exc.strerror or exc}") from None
    source = _template_dir()
    package = f"{name}_variant_provider"
    plan: Dict[Path, Path] = {
        source / "pyproject.toml.in": target / "pyproject.toml",
        source / "package_init.py.in": target / "src" / package / "__init__.py",
        source / "test_provider.py.in": target / "tests" / "test_provider.py",
        source / "README.md.in": target / "README.md",
        source / "gitignore.in": target / ".gitignore",
        source / "ci.yml.in": target / ".github" / "workflows" / "test.yml",
    }
    # Every module of the template (plugin, vocab, detect, one per probe); its
    # own __init__ only describes the template, package_init.py.in replaces it.
    for module in sorted(source.glob("*.py")):
        if module.name != "__init__.py":
            plan[module] = target / "src" / package / module.name
    for machine in sorted((source / "machines").iterdir()):
        for path in sorted(machine.rglob("*")):
            if path.is_file():
                rel = Path(_substitute(str(path.relative_to(source / "machines")), name))
                plan[path] = target / "tests" / "machines" / rel
    try:
        return _write_plan(plan, target, name)
    except OSError as exc:
        where = str(exc.filename or target)
        raise NewProviderError(f"cannot create {where!r}: {exc.strerror or exc}") from None


def _write_plan(plan: Dict[Path, Path], target: Path, name: str) -> List[Path]:
    """Write every template file; links planted in *target* are never followed."""
    tree = SafeTree(target)
    written: List[Path] = []
    for src, dest in plan.items():
        if src.suffix in (".py", ".in", ".json", ".toml", ".md"):
            data = _substitute(src.read_text(encoding="utf-8"), name).encode("utf-8")
        else:
            data = src.read_bytes()
        tree.write(dest.relative_to(target).as_posix(), data)
        written.append(dest)
    return written


def install_hint() -> List[str]:
    """The commands that install a generated project in a fresh virtual environment.

    variant-providers comes first, from the checkout this copy runs from when
    it is one (an editable or source install), else from the place
    ``direct_url.json`` records, else from a path or git URL to fill in.
    """
    return [
        "python -m venv .venv && . .venv/bin/activate",
        f"python -m pip install {_our_source()}",
        'python -m pip install -e ".[test]"',
        "python -m pytest",
    ]


def _our_source() -> str:
    checkout = Path(__file__).resolve().parent.parent
    pyproject = checkout / "pyproject.toml"
    try:
        if 'name = "variant-providers"' in pyproject.read_text(encoding="utf-8"):
            return str(checkout)
    except OSError:
        pass
    try:
        from importlib.metadata import PackageNotFoundError, distribution

        text = distribution("variant-providers").read_text("direct_url.json")
        url = json.loads(text or "{}").get("url")
        if isinstance(url, str) and url:
            return url.removeprefix("file://")
    except (PackageNotFoundError, ValueError, AttributeError):
        pass
    return "PATH-OR-GIT-URL-OF-variant-providers"
