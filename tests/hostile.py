"""Hostile children for the containment tests, and a way to watch the parent.

A "parent" here is a fresh interpreter running a snippet of our API, so that
its peak memory and wall time belong to that call alone.  Peak memory is the
kernel's ``VmHWM`` of the parent's own address space: ``ru_maxrss`` would not
do, since Linux carries it across ``execve`` from the process that forked the
parent (here pytest, whose own peak grows with the suite).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Optional

#: A parent's peak resident memory must stay below this, whatever its children do.
RSS_LIMIT_KB = 100 * 1024


#: Source defining ``_peak_rss_kb()``: this process's own peak RSS in kB.  VmHWM
#: belongs to the current address space; ``ru_maxrss`` on Linux also counts the
#: process it was forked from (pytest) and the children it reaped.
PEAK_RSS_SOURCE = (
    "def _peak_rss_kb():\n"
    "    try:\n"
    "        with open('/proc/self/status') as f:\n"
    "            for line in f:\n"
    "                if line.startswith('VmHWM:'):\n"
    "                    return int(line.split()[1])\n"
    "    except OSError:\n"
    "        pass\n"
    "    import resource\n"
    "    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
)


def python_argv(code: str) -> list[str]:
    """A command line running *code* in a plain interpreter."""
    return [sys.executable, "-S", "-c", code]


#: Python source of commands that misbehave.
STDERR_FLOOD = "import os\nwhile True: os.write(2, b'E' * 65536)\n"
STDOUT_FLOOD = "import os\nwhile True: os.write(1, b'O' * 65536)\n"
LOUD_THEN_OK = "import os\nos.write(2, b'W' * 3000000)\nos.write(1, b'answer\\n')\n"


def orphan_source(pidfile: Path, daemon: bool) -> str:
    """A command that answers at once and leaves a grandchild holding its pipes.

    With *daemon*, the grandchild detaches into its own session (``setsid``)
    after a double fork, as a daemon does; else it stays in the group.
    """
    detach = "os.setsid()\n    if os.fork(): os._exit(0)\n    " if daemon else ""
    return (
        "import os, time\n"
        "if os.fork() == 0:\n"
        f"    {detach}open({str(pidfile)!r}, 'w').write(str(os.getpid()))\n"
        "    time.sleep(300)\n"
        "    os._exit(0)\n"
        "time.sleep(0.3)\n"
        "print('answer')\n"
    )


def alive(pid: int) -> bool:
    """Whether *pid* still runs (a zombie waiting for its reaper does not)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[1].split()[0]
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True
    return state not in (b"Z", b"X")


def wait_gone(pid: int, within: float = 2.0) -> bool:
    """True once *pid* no longer runs; False if it still does after *within* s."""
    end = time.monotonic() + within
    while time.monotonic() < end:
        if not alive(pid):
            return True
        time.sleep(0.02)
    return not alive(pid)


def read_pid(pidfile: Path, within: float = 3.0) -> int:
    end = time.monotonic() + within
    while time.monotonic() < end:
        try:
            return int(pidfile.read_text())
        except (OSError, ValueError):
            time.sleep(0.02)
    raise AssertionError(f"{pidfile} was never written")


def run_parent(code: str, env: Optional[Dict[str, str]] = None, timeout: float = 60) -> Any:
    """Run *code* in a fresh interpreter; it sets ``result``, which is returned.

    The returned dict also holds ``rss_kb`` (the parent's peak RSS) and
    ``wall_s`` (time from start of *code* to its end).
    """
    wrapper = (
        "import json, resource, sys, time\n"
        f"{PEAK_RSS_SOURCE}"
        "_t = time.monotonic()\n"
        f"{code}\n"
        "_doc = {'result': result, 'wall_s': time.monotonic() - _t,\n"
        "        'rss_kb': _peak_rss_kb()}\n"
        "sys.stdout.write(json.dumps(_doc, allow_nan=False))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", wrapper],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


#: Answer a forged plugin child writes instead of its own: ``nvidia`` values on any machine.
FORGED_NVIDIA = {
    "namespace": "nvidia",
    "status": "ok",
    "features": [{"name": "sm_arch", "values": ["100_real"], "multi_value": True}],
}

_PROVIDER = (
    "from variant_providers import FeatureConfig, Provider, hookimpl\n"
    "@hookimpl\n"
    "def variant_providers():\n"
    "    yield Provider({name!r}, lambda system: [FeatureConfig('g', ['a'])]{extra})\n"
)

#: Third-party plugins that attack the process that loads them, by entry-point name:
#: module source (``{name}`` is the entry-point name) and what their one row must say.
IMPORT_ATTACKS: Dict[str, Dict[str, str]] = {
    "hang_import": {"source": "import time\ntime.sleep(60)\n", "status": "timeout"},
    "exit_import": {"source": "raise SystemExit(7)\n", "status": "error", "reason": "SystemExit"},
    "print_import": {
        "source": "import os\nprint('banner of a vendor SDK')\nos.write(1, b'raw noise\\n')\n"
        + _PROVIDER.format(name="print_import", extra=""),
        "status": "ok",
    },
    "patch_json": {
        "source": "import json\n"
        "_forged = {'ok': {'declared': [{'namespace': 'nvidia', 'description': '',"
        " 'version': '', 'all_configs': None, 'fingerprint': None}],"
        f" 'results': {{'nvidia': {{'result': {FORGED_NVIDIA!r}, 'env': {{}}}}}}}}}}\n"
        "_real = json.dumps\n"
        "json.dumps = lambda *a, **k: _real(_forged)\n"
        "json.loads = lambda *a, **k: {'providers': []}\n",
        "status": "error",
        "reason": "already provided by builtin:nvidia",
    },
    "forged": {
        "source": _PROVIDER.format(name="nvidia", extra=""),
        "status": "error",
        "reason": "already provided by builtin:nvidia",
    },
    "forged_result": {
        "source": "import variant_providers.third_party_child as child\n"
        f"child._detect = lambda reg, system: {{'result': {FORGED_NVIDIA!r}, 'env': {{}}}}\n"
        + _PROVIDER.format(name="forged_result", extra=""),
        "status": "error",
        "reason": "a result for namespace 'nvidia'",
    },
    "hostile_hash": {
        "source": "class Namespace:\n"
        "    def __hash__(self):\n"
        "        raise SystemExit(9)\n"
        "    def __eq__(self, other):\n"
        "        return True\n"
        "from variant_providers import Provider, hookimpl\n"
        "@hookimpl\n"
        "def variant_providers():\n"
        "    yield Provider(Namespace(), lambda system: [])\n",
        "status": "error",
        "reason": "not a string",
    },
    "hook_raises": {
        "source": "from variant_providers import hookimpl\n"
        "@hookimpl\n"
        "def variant_providers():\n"
        "    raise RuntimeError('vendor SDK missing')\n",
        "status": "error",
        "reason": "vendor SDK missing",
    },
    "fingerprint_hangs": {
        "source": "import time\n"
        + _PROVIDER.format(
            name="fingerprint_hangs", extra=", fingerprint=lambda system: time.sleep(60)"
        ),
        "status": "ok",
    },
    "all_configs_hangs": {
        "source": "import time\n"
        + _PROVIDER.format(name="all_configs_hangs", extra=", all_configs=lambda: time.sleep(60)"),
        "status": "timeout",
    },
}
