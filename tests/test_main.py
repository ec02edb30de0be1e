"""The command line's own process collects cycles rarely and leaves its objects to the exit.

An installer's process, importing the library, is untouched.
"""

from __future__ import annotations

import gc
from typing import Any, Iterator, List, Tuple

import pytest

import variant_providers.cli
from variant_providers import __main__ as entry

from .conftest import python_output


@pytest.fixture
def threshold() -> Iterator[Tuple[int, ...]]:
    before = gc.get_threshold()
    yield before
    gc.set_threshold(*before)
    gc.unfreeze()


def test_a_command_line_run_raises_the_first_threshold_only(
    monkeypatch: pytest.MonkeyPatch, threshold: Tuple[int, ...]
) -> None:
    seen: List[Tuple[int, ...]] = []

    def main(*args: Any) -> int:
        seen.append(gc.get_threshold())
        return 0

    monkeypatch.setattr(entry, "serve", lambda argv: None)  # no warm record answers
    monkeypatch.setattr(variant_providers.cli, "main", main)
    assert gc.get_freeze_count() == 0
    assert entry.run() == 0
    assert seen == [(entry.GC_THRESHOLD, *threshold[1:])]
    assert gc.get_freeze_count() > 0  # what the run made is left to the exit


def test_the_library_leaves_the_collector_as_the_caller_set_it() -> None:
    code = (
        "import gc\n"
        "before = gc.get_threshold()\n"
        "from variant_providers import detect\n"
        "detect(cache=False)\n"
        "from variant_providers.providers.x86_64 import Plugin\n"
        "Plugin.get_supported_configs()\n"
        "print(gc.get_threshold() == before, gc.get_freeze_count())\n"
    )
    assert python_output(code).split() == ["True", "0"]
