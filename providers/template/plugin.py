"""The ACME ``Provider`` record (entry point ``variant_providers``): data, no logic.

Namespace, catalogue (:func:`.vocab.catalogue`), fingerprint
(:data:`.sysfs.fingerprint`, declared data), and the detection entry point.
"""

from __future__ import annotations

from typing import Iterator

from variant_providers import Provider, hookimpl

from .detect import detect
from .sysfs import fingerprint
from .vocab import catalogue

VERSION = "0.1.0"


@hookimpl
def variant_providers() -> Iterator[Provider]:
    yield Provider(
        namespace="acme",
        detect=detect,
        all_configs=catalogue,
        fingerprint=fingerprint,
        description="ACME accelerator generation",
        version=VERSION,
    )
