"""Run a third-party provider out of process.

Built-in providers are trusted and run in the caller's process (their driver
calls already go through bounded children).  A provider installed through the
``variant_providers`` entry-point group may do anything: raise, print to
stdout, hang, call ``os._exit``.  Each one therefore runs in its own short
lived interpreter, started in parallel with the others, with a deadline; the
caller receives only its JSON result, or a one-line reason why there is none.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, Dict, Mapping, Optional, Sequence

from .children import BoundedChild, ChildOutputTooLarge, ChildTimeout
from .native import CHILD_SOURCE
from .safefs import loads_json

__all__ = ["IsolatedRun"]


class IsolatedRun:
    """One plugin's code running in a child process, under a deadline.

    ``target`` is the child-side function (``module:function``), called with
    ``args`` (plain JSON) in a fresh interpreter; what it returns comes back
    as plain JSON.  ``variant_providers`` plugins run
    :func:`variant_providers.third_party_child.child_plugin`, standard
    ``variant_plugins`` plugins :func:`variant_providers.standard_child.child_query`.
    """

    def __init__(
        self,
        target: str,
        args: Sequence[Any],
        timeout: float,
        env: Optional[Mapping[str, str]] = None,
    ) -> None:
        self.timeout = timeout
        self.started = time.perf_counter()
        argv = [
            sys.executable,
            "-I",
            "-B",  # no bytecode written next to a plugin: nothing outside the cache
            "-c",
            CHILD_SOURCE,
            target,
            json.dumps(sys.path),
            json.dumps(list(args)),
        ]
        self.error: Optional[str] = None
        self.child: Optional[BoundedChild] = None
        try:
            self.child = BoundedChild(argv, env)
        except OSError as exc:
            self.error = f"cannot start a child process ({exc})"

    def answer(self) -> Dict[str, Any]:
        """Wait (until the deadline): ``{"status": "ok", "answer": <what target returned>}``.

        Otherwise ``status`` is ``error`` or ``timeout`` and ``error`` says why.
        The answer is plain JSON, not yet checked: that is the caller's job.
        """
        if self.child is None:
            return {"status": "error", "error": self.error or "not started"}
        try:
            done = self.child.wait(self.timeout)
        except ChildTimeout:
            return {"status": "timeout", "error": f"no answer within {self.timeout:g} s"}
        except ChildOutputTooLarge:
            return {"status": "error", "error": "provider process wrote too much output"}
        try:
            answer = loads_json(done.stdout.decode("utf-8", "replace"))
        except ValueError:
            lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
            detail = lines[-1] if lines else f"exit code {done.returncode}"
            return {
                "status": "error",
                "error": f"provider process ended without an answer ({detail[:500]})",
            }
        if isinstance(answer, dict) and "ok" in answer:
            return {"status": "ok", "answer": answer["ok"]}
        message = answer.get("error") if isinstance(answer, dict) else None
        return {
            "status": "error",
            "error": str(message or "malformed answer from provider process")[:1000],
        }

    def result(self) -> Dict[str, Any]:
        """Wait (until the deadline) and return the outcome as a dict.

        Keys: ``status`` plus either ``result`` (the provider result as
        produced by ``ProviderResult.to_dict``) and ``env`` (the variables it
        read), or ``error``.  A child that finished while we waited for
        another provider is read even though the deadline has passed.
        """
        outcome = self.answer()
        if outcome["status"] != "ok":
            return outcome
        ok = outcome["answer"]
        if isinstance(ok, dict) and isinstance(ok.get("result"), dict):
            return {
                "status": "ok",
                "result": ok["result"],
                "env": ok.get("env"),
                "observed": ok.get("observed"),
            }
        return {"status": "error", "error": "malformed answer from provider process"}
