"""Hosting standard plugins: our report against variantlib 0.2.2, same environment.

The environment has ascend-variant-provider installed (it prints to stdout
when it finds no NPU) and, on PYTHONPATH, a ``variant_plugins`` plugin whose
``get_supported_configs`` hangs.  ``python -m variant_providers report
--json --timeout 2`` must exit 0 within the timeout + 1 s, list both
plugins with their status and keep every built-in; ``variantlib plugins
get-configs --supported`` is run in the same environment (killed after
``VARIANTLIB_LIMIT`` seconds, since it has no timeout of its own).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.conftest import write_distribution

TIMEOUT = 2.0
VARIANTLIB_LIMIT = 20.0
HANGS = """
import time

class HangingPlugin:
    @classmethod
    def get_supported_configs(cls):
        time.sleep(600)
        return []

    @classmethod
    def get_all_configs(cls):
        return []
"""


def _run(argv: list[str], env: dict[str, str], limit: float) -> tuple[str, float, str, str]:
    """Run *argv* in its own session; on the limit, kill it and everything it started."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return f"killed after {limit:g} s", time.perf_counter() - start, "", ""
    return f"rc={proc.returncode}", time.perf_counter() - start, out, err


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        write_distribution(
            site,
            "hangs-plugin",
            "[variant_plugins]\nhangs = vp_hangs:HangingPlugin\n",
            {"vp_hangs": HANGS},
        )
        env = {**os.environ, "PYTHONPATH": str(site), "VARIANT_PROVIDERS_CACHE_DIR": tmp}
        env.pop("VARIANT_PROVIDERS_PLUGINS", None)
        ours = [sys.executable, "-m", "variant_providers", "report", "--json"]
        status, wall, out, err = _run([*ours, "--timeout", str(TIMEOUT)], env, 60)
        rows = {p["namespace"]: p["status"] for p in json.loads(out)["providers"]} if out else {}
        listed = ", ".join(f"{ns}={st}" for ns, st in rows.items())
        within = "yes" if wall <= TIMEOUT + 1 else "NO"
        print(
            f"variant_providers report --json --timeout {TIMEOUT:g}: {status}, {wall:.2f} s "
            f"(within timeout + 1 s: {within})"
        )
        print(f"  rows: {listed}")
        variantlib = str(Path(sys.executable).parent / "variantlib")
        status, wall, out, err = _run(
            [variantlib, "plugins", "get-configs", "--supported"], env, VARIANTLIB_LIMIT
        )
        last = err.strip().splitlines()[-1] if err.strip() else "(no stderr)"
        print(f"variantlib plugins get-configs --supported: {status}, {wall:.2f} s: {last[:120]}")
        env.pop("PYTHONPATH")
        status, wall, out, err = _run(
            [variantlib, "plugins", "get-configs", "--supported"], env, VARIANTLIB_LIMIT
        )
        last = err.strip().splitlines()[-1] if err.strip() else "(no stderr)"
        print(f"  ... with only ascend-variant-provider: {status}, {wall:.2f} s: {last[:120]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
