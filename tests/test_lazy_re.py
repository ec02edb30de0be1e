"""lazy_re.compile behaves as re.compile, and compiles only when first used."""

from __future__ import annotations

import re
from typing import Any, List

import pytest

from variant_providers import lazy_re


def test_nothing_is_compiled_until_the_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    compiled: List[Any] = []
    real = re.compile

    def counting(*args: Any) -> Any:
        compiled.append(args)
        return real(*args)

    monkeypatch.setattr(re, "compile", counting)
    pattern = lazy_re.compile(r"gfx[0-9]{1,2}[0-9a-f]{2}", re.ASCII)
    assert compiled == []
    assert pattern.fullmatch("gfx90a") and not pattern.fullmatch("gfx9")
    assert pattern.search("x gfx1100 y") is not None
    assert compiled == [(r"gfx[0-9]{1,2}[0-9a-f]{2}", re.ASCII)]  # once, then kept


@pytest.mark.parametrize("text", ["", "570.133.20", " 12.8 ", "a:b::c", "gfx942,gfx90a; gfx1100"])
def test_every_method_answers_as_the_real_pattern(text: str) -> None:
    source, flags = r"([0-9]+)\.?", re.ASCII
    lazy, real = lazy_re.compile(source, flags), re.compile(source, flags)

    def groups(m: Any) -> Any:
        return None if m is None else (m.group(0), m.groups(), m.span())

    assert groups(lazy.match(text)) == groups(real.match(text))
    assert groups(lazy.fullmatch(text)) == groups(real.fullmatch(text))
    assert groups(lazy.search(text)) == groups(real.search(text))
    assert lazy.findall(text) == real.findall(text)
    assert [groups(m) for m in lazy.finditer(text)] == [groups(m) for m in real.finditer(text)]
    assert lazy.split(text) == real.split(text)
    assert lazy.sub("#", text) == real.sub("#", text)
    assert (lazy.pattern, lazy.flags, lazy.groups) == (real.pattern, real.flags, real.groups)


def test_a_bad_pattern_fails_at_first_use_with_re_error() -> None:
    broken = lazy_re.compile(r"(unclosed")
    with pytest.raises(re.error):
        broken.match("x")


def test_every_pattern_the_package_declares_compiles() -> None:
    # A typo in a pattern no longer fails at import; this is where it fails instead.
    import importlib
    import pkgutil

    import variant_providers
    import variant_providers.providers

    seen = 0
    modules = [
        *pkgutil.walk_packages(variant_providers.__path__, "variant_providers."),
        *pkgutil.walk_packages(
            variant_providers.providers.__path__, "variant_providers.providers."
        ),
    ]
    for module in modules:
        if module.name.endswith(("__main__", "_child")) or ".template." in module.name:
            continue
        namespace = vars(importlib.import_module(module.name))
        for value in list(namespace.values()):
            if isinstance(value, lazy_re._LazyPattern):
                assert isinstance(value.pattern, str)  # compiles it
                seen += 1
    assert seen >= 15
