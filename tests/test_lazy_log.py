"""lazy_log decides every record as logging would, importing it only for one that can show.

Each case runs in a fresh interpreter: whether :mod:`logging` is imported is
the very thing under test, and pytest itself imports it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Tuple

import pytest

from variant_providers import lazy_log


def _run(code: str) -> Tuple[str, str]:
    """stdout and stderr: what reaches stderr is under test here."""
    run = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return run.stdout, run.stderr


def test_a_dropped_record_does_not_import_logging() -> None:
    out, err = _run(
        """
        import sys
        from variant_providers import lazy_log
        log = lazy_log.getLogger("variant_providers")
        log.debug("not shown %s", 1)
        log.info("not shown either")
        print(log.isEnabledFor(lazy_log.DEBUG), "logging" in sys.modules)
        """
    )
    assert (out.split(), err) == (["False", "False"], "")


def test_a_warning_reaches_stderr_as_an_unconfigured_logger_shows_it() -> None:
    out, err = _run(
        """
        import sys
        from variant_providers import lazy_log
        lazy_log.getLogger("variant_providers").warning("ignoring %s: %s", "f", "why")
        print("logging" in sys.modules)
        """
    )
    # logging's last-resort handler: the bare message on stderr.
    assert (out.strip(), err) == ("True", "ignoring f: why\n")


def test_the_command_line_format_waits_for_the_first_warning() -> None:
    out, err = _run(
        """
        import sys
        from variant_providers import lazy_log
        lazy_log.configure(False, format="%(name)s: %(message)s", stream=sys.stderr, force=True)
        log = lazy_log.getLogger("variant_providers")
        log.debug("dropped")
        print("logging" in sys.modules)
        log.warning("wrote lock file %s", "x.json")
        log.debug("still dropped")
        """
    )
    assert (out.strip(), err) == ("False", "variant_providers: wrote lock file x.json\n")


def test_verbose_configures_at_once_and_shows_debug_records() -> None:
    _, err = _run(
        """
        import sys
        from variant_providers import lazy_log
        lazy_log.configure(True, format="%(name)s:%(funcName)s: %(message)s", stream=sys.stderr)
        def probe():
            lazy_log.getLogger("variant_providers.trace").debug("read %s", "/proc/cpuinfo")
        probe()
        """
    )
    # The record names the caller, not a frame of lazy_log.
    assert err == "variant_providers.trace:probe: read /proc/cpuinfo\n"


def test_once_logging_is_imported_its_configuration_decides(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # In this process (pytest imported logging) every call is handed over.
    log = lazy_log.getLogger("variant_providers.test")
    with caplog.at_level(lazy_log.DEBUG, logger="variant_providers.test"):
        assert log.isEnabledFor(lazy_log.DEBUG)
        try:
            raise ValueError("boom")
        except ValueError:
            log.debug("failed: %s", "x", exc_info=True)
    (record,) = caplog.records
    assert (record.getMessage(), record.levelname, record.funcName) == (
        "failed: x",
        "DEBUG",
        "test_once_logging_is_imported_its_configuration_decides",
    )
    assert record.exc_info is not None and record.exc_info[0] is ValueError
