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
