"""The warm path side by side with the interpreter floor and variantlib, whole process.

One run measures, interleaved round by round so that a change in the
machine's load hits every row alike, medians of RUNS:

* ``python -c pass`` — the floor every installer call pays;
* ``python -c "import variant_providers"``;
* warm ``python -m variant_providers report --json`` (answered from the
  warm record: the cache was filled and a full hit recorded beforehand);
* warm plugin-API ``Plugin.get_supported_configs()`` in a fresh interpreter;
* warm ``from variant_providers import detect; detect()`` in a fresh interpreter;
* cold ``report --json --no-cache``;
* ``variantlib plugins get-configs --supported`` with the same providers,
  when variantlib is installed.

Every row is measured twice: in this (editable) install, whose import finder
adds ~10 ms to every interpreter start, bare ones included, and in the layout
a wheel installs (``--installed``): a fresh venv holding a copy of the package
as the wheel lays it out, compiled, with the dependencies reached through a
``.pth`` line (so their ``.pth`` files, and the editable finder, are not run).

With a standard plugin installed (ascend-variant-provider, in the test
extras), one more row: our warm report with every installed plugin allowed
(the plugin's answer cached on the inputs its child was seen to read).
variantlib cannot be timed with that plugin: the plugin prints to stdout,
and variantlib 0.2.2 stops with a ``JSONDecodeError``.

Otherwise installed standard plugins other than ours are blocked for our rows
(``VARIANT_PROVIDERS_PLUGINS=none``: they would run in a child every time)
and hidden from variantlib's (see
``tests.conftest.python_without_standard_plugins``).  Targets (issue 18):
warm report <= 2x bare, warm plugin API <= 2.5x bare, import <= bare + 3 ms,
cold <= 60 ms, variantlib / warm report >= 10x.
"""

from __future__ import annotations

import compileall
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.conftest import python_without_standard_plugins

RUNS = 11
ROOT = Path(__file__).resolve().parents[1]
PLUGIN_CALL = (
    "from variant_providers.providers.x86_64 import Plugin\nPlugin.get_supported_configs()\n"
)
VARIANTLIB = ["variantlib.commands.main:main", "plugins", "get-configs", "--supported"]
WITH_ASCEND = "report --json, warm, + ascend plugin"


def _time(argv: List[str], env: Dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return (time.perf_counter() - start) * 1e3


def _check_warm(argv: List[str], env: Dict[str, str]) -> None:
    """Refuse to report a "warm" figure that the full path produced."""
    run = subprocess.run(
        [argv[0], "-X", "importtime", *argv[1:]],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    if "argparse" in run.stderr or "pluggy" in run.stderr:
        raise SystemExit(f"{' '.join(argv[1:])}: not answered by the warm path")


def installed_copy(tmp: Path) -> str:
    """A venv with the package laid out as the wheel installs it; its python."""
    venv = tmp / "installed"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    package = site / "variant_providers"
    shutil.copytree(ROOT / "core", package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(
        ROOT / "providers", package / "providers", ignore=shutil.ignore_patterns("__pycache__")
    )
    compileall.compile_dir(str(package), quiet=1)
    # The dependencies (and this checkout's dist-info, for its entry points), not run as a site.
    (site / "zz-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return str(python)


def _rows(tmp: Path, py: str, suffix: str = "") -> Dict[str, List[str]]:
    rows = {
        "python -c pass": [py, "-c", "pass"],
        "import variant_providers": [py, "-c", "import variant_providers"],
        "report --json, warm": [py, "-m", "variant_providers", "report", "--json"],
        "get_supported_configs(), warm": [py, "-c", PLUGIN_CALL],
        "detect(), warm": [py, "-c", "from variant_providers import detect\ndetect()\n"],
        "report --json --no-cache": [
            py,
            "-m",
            "variant_providers",
            "report",
            "--json",
            "--no-cache",
        ],
    }
    if suffix:
        return {name + suffix: argv for name, argv in rows.items()}
    if importlib.util.find_spec("variantlib") is not None:
        rows["variantlib get-configs -s"] = [*python_without_standard_plugins(tmp), *VARIANTLIB]
    return rows


def _targets(median: Dict[str, float], suffix: str) -> Dict[str, str]:
    """The issue's target for each row of one suite, with the ratio measured."""
    bare = median["python -c pass" + suffix]
    warm = median["report --json, warm" + suffix]
    over = median["import variant_providers" + suffix] - bare
    cold = median["report --json --no-cache" + suffix]
    targets = {
        "import variant_providers": f"+{over:.1f} ms over bare (<= +3 ms)",
        "report --json, warm": f"{warm / bare:.2f}x bare (<= 2x)",
        "get_supported_configs(), warm": (
            f"{median['get_supported_configs(), warm' + suffix] / bare:.2f}x bare (<= 2.5x)"
        ),
        "detect(), warm": f"{median['detect(), warm' + suffix] / bare:.2f}x bare",
        "report --json --no-cache": f"(<= 60 ms); {cold - bare:.1f} ms over bare",
    }
    targets = {name + suffix: text for name, text in targets.items()}
    if "variantlib get-configs -s" in median:
        ratio = f"{median['variantlib get-configs -s'] / warm:.1f}x warm report{suffix}"
        targets[f"variantlib vs{suffix or ' editable'}"] = ratio
    return targets


def main() -> None:
    # Installed packages carry compiled bytecode; measure that situation.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as cache:
        env = {
            **os.environ,
            "VARIANT_PROVIDERS_CACHE_DIR": cache,
            "VARIANT_PROVIDERS_PLUGINS": "none",
        }
        rows = {
            **_rows(Path(tmp), sys.executable),
            **_rows(Path(tmp), installed_copy(Path(tmp)), " (installed)"),
        }
        envs = {name: env for name in rows}
        if importlib.util.find_spec("ascend_variant_provider") is not None:
            # Its own cache: a warm record is one per command line and cache directory.
            every_plugin = {k: v for k, v in env.items() if k != "VARIANT_PROVIDERS_PLUGINS"}
            every_plugin["VARIANT_PROVIDERS_CACHE_DIR"] = os.path.join(cache, "every-plugin")
            rows[WITH_ASCEND] = [sys.executable, "-m", "variant_providers", "report", "--json"]
            envs[WITH_ASCEND] = every_plugin
        for name, argv in rows.items():  # cold, then the full hit that writes the warm records
            _time(argv, envs[name])
            _time(argv, envs[name])
        warm_rows = ["report --json, warm", "get_supported_configs(), warm", "detect(), warm"]
        for name in [w + s for w in warm_rows for s in ("", " (installed)")]:
            _check_warm(rows[name], env)
        if WITH_ASCEND in rows:
            _check_warm(rows[WITH_ASCEND], envs[WITH_ASCEND])
        times: Dict[str, List[float]] = {name: [] for name in rows}
        for _ in range(RUNS):
            for name, argv in rows.items():
                times[name].append(_time(argv, envs[name]))
    median = {name: statistics.median(t) for name, t in times.items()}
    targets = {**_targets(median, ""), **_targets(median, " (installed)")}
    ratios = [text for name, text in targets.items() if name.startswith("variantlib vs")]
    if ratios:
        targets["variantlib get-configs -s"] = ", ".join(ratios) + " (>= 10x)"
    if WITH_ASCEND in median:
        bare = median["python -c pass"]
        targets[WITH_ASCEND] = f"{median[WITH_ASCEND] / bare:.2f}x bare"

    print(f"medians of {RUNS} runs, interleaved; load average {os.getloadavg()[0]:.1f}")
    for name, value in median.items():
        print(f"{name:44}{value:8.1f} ms  {targets.get(name, '')}")


if __name__ == "__main__":
    main()
