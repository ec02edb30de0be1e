"""Functions run by the native-facade child process in the seam tests."""

from __future__ import annotations

import os
import time
from typing import Any


def noisy_answer() -> Any:
    # Driver libraries print to stdout; none of this may reach the caller.
    print("libnvidia-ml: chatty banner")
    os.write(1, b"raw fd write\n")
    return {"devices": [{"name": "demo"}]}


def hang() -> Any:
    time.sleep(30)
    return None


def explode() -> Any:
    raise RuntimeError("driver exploded")


def hard_exit() -> Any:
    os._exit(7)


def huge_answer() -> Any:
    # An answer bigger than any real driver's: the caller must refuse it.
    return "x" * (8 * 1024 * 1024)


def stderr_flood() -> Any:
    chunk = b"E" * 65536
    while True:
        os.write(2, chunk)


def not_finite() -> Any:
    return {"clock": float("nan")}


def leaves_daemon(pidfile: str) -> Any:
    # A driver helper that detaches (new session) and lingers after the answer.
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            with open(pidfile, "w") as fh:
                fh.write(str(os.getpid()))
            time.sleep(300)
        os._exit(0)
    time.sleep(0.3)
    return {"devices": []}
