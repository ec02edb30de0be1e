"""Fixtures of the stand-in vendor library tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from .standins import StandIns, require_compiler


@pytest.fixture(scope="session")
def standin_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Compiled stand-ins shared by every test of the session (keyed by configuration)."""
    return tmp_path_factory.mktemp("standin-builds")


@pytest.fixture
def standins(tmp_path: Path, standin_cache: Path) -> StandIns:
    """An empty library directory for this test; ``install`` compiles stand-ins into it."""
    require_compiler()
    return StandIns(tmp_path / "lib", standin_cache)
