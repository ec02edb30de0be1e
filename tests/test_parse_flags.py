"""parse_flags gives argparse's answer for a flags-only report, and declines everything else."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, List

import pytest
from hypothesis import given
from hypothesis import strategies as st

from variant_providers import cli
from variant_providers.cli_options import parse_flags

from .conftest import python_output

ON_OFF = [f for o in cli.REPORT_OPTIONS if o.action == "store_true" for f in o.flags]
# What a command line may also hold: values, abbreviations, help, a separator, typos.
OTHER = ["--only", "x86_64", "--timeout", "2", "--color", "never", "--js", "-h", "--", "-vv", "x"]


def _argparse(argv: List[str]) -> Dict[str, Any]:
    parsed: Dict[str, Any] = vars(
        cli._build_parser("variant-providers").parse_args(["report", *argv])
    )
    return parsed


@given(st.lists(st.sampled_from(ON_OFF), max_size=8))
def test_a_flags_only_report_parses_as_argparse_parses_it(argv: List[str]) -> None:
    flags = parse_flags(cli.REPORT_OPTIONS, argv)
    assert flags is not None
    assert {"command": "report", "handler": cli._cmd_report, **flags} == _argparse(argv)


@given(st.lists(st.sampled_from(ON_OFF + OTHER), min_size=1, max_size=6))
def test_anything_but_exact_flags_is_left_to_argparse(argv: List[str]) -> None:
    if any(token in OTHER for token in argv):
        assert parse_flags(cli.REPORT_OPTIONS, argv) is None


@pytest.mark.parametrize(
    "argv", [["report", "--json", "--no-cache"], ["report", "--json", "--refresh", "-v"]]
)
def test_a_flags_only_report_never_imports_argparse(argv: List[str], tmp_path: Path) -> None:
    code = (
        "import sys, io\n"
        "from variant_providers.cli import main\n"
        f"code = main({argv!r}, out=io.StringIO())\n"
        "print(code, 'argparse' in sys.modules)\n"
    )
    env = {
        **os.environ,
        "VARIANT_PROVIDERS_PLUGINS": "none",
        "VARIANT_PROVIDERS_CACHE_DIR": str(tmp_path),
    }
    assert python_output(code, env=env).split() == ["0", "False"]


def test_argparse_still_answers_help_and_bad_values(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.main(["report", "--timeout", "abc"])
    assert stop.value.code == 2
    assert "argument --timeout" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        cli.main(["report", "--help"])
    assert stop.value.code == 0 and "--no-cache" in capsys.readouterr().out
