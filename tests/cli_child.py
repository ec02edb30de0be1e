"""Running the real command in a child process, with the environment a user has."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

#: The console script of this environment, else ``python -m variant_providers``.
_SCRIPT = Path(sys.executable).with_name("variant-providers")
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "variant_providers"]

#: Variables of the developer's shell that would change what the command does.
_CLEARED = ("COLUMNS", "NO_COLOR", "PYTHONIOENCODING", "TERM", "FORCE_COLOR")


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> List[str]:
        return self.out.splitlines()


def cli(
    *args: str,
    env: Optional[Dict[str, str]] = None,
    columns: Optional[int] = None,
    encoding: str = "utf-8",
    timeout: float = 60,
) -> Run:
    """Run ``variant-providers ARGS`` as a user would, stdout and stderr piped."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("VARIANT_PROVIDERS_")}
    for name in _CLEARED:
        environ.pop(name, None)
    environ["VARIANT_PROVIDERS_CACHE_DIR"] = os.environ.get("VARIANT_PROVIDERS_CACHE_DIR", "")
    environ["PYTHONIOENCODING"] = encoding
    if columns is not None:
        environ["COLUMNS"] = str(columns)
    environ.update(env or {})
    proc = subprocess.run(
        [*COMMAND, *args],
        capture_output=True,
        env=environ,
        timeout=timeout,
        check=False,
    )
    return Run(
        proc.returncode,
        proc.stdout.decode(encoding, "replace"),
        proc.stderr.decode(encoding, "replace"),
    )


def assert_usage_error(run: Run, *needles: str) -> None:
    """Exit 2, nothing on stdout, one line on stderr naming every needle, no traceback."""
    assert run.code == 2, (run.code, run.out, run.err)
    assert run.out == "", run.out
    assert "Traceback" not in run.err, run.err
    assert len(run.err.strip().splitlines()) == 1, run.err
    for needle in needles:
        assert needle in run.err, (needle, run.err)
