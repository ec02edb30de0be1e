"""What to do next, for the failure modes we recognise.

The failures users hit most (the research notes' "failure modes seen in the
wild") have well-known remedies: a driver/library mismatch wants a reboot, a
container without ``/dev/nvidia*`` wants GPU access, an unreadable
``/dev/kfd`` wants the ``render``/``video`` groups or the container's device
flags, a leftover ``HSA_OVERRIDE_GFX_VERSION`` changes what ROCm sees, and a
package whose builds do not cover this GPU's architecture will never pick a
GPU build.  Each rule here reads only the detection (and, for ``match``, the
variants), so a replayed machine gets the same advice as the live one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Mapping, Sequence, Tuple

if TYPE_CHECKING:
    from .host import Detection, ProviderResult
    from .model import VariantProperty

__all__ = ["match_hints", "report_hints"]


def _text(result: ProviderResult) -> str:
    return f"{result.error or ''} {result.reason}".lower()


def _nvidia(result: ProviderResult) -> List[str]:
    text = _text(result)
    hints = []
    if "mismatch" in text:
        hints.append(
            "nvidia: the kernel module and the user-space driver library are different "
            "versions (usually after a driver upgrade): reboot, or reload the module with "
            "`sudo rmmod nvidia_uvm nvidia_drm nvidia_modeset nvidia && sudo modprobe nvidia`."
        )
    if "/dev/nvidia" in text and ("no gpu access" in text or "no /dev/nvidia" in text):
        hints.append(
            "nvidia: the driver is installed but there is no /dev/nvidia* device; in a "
            "container, run it with GPU access (`docker run --gpus all`, "
            "`podman run --device nvidia.com/gpu=all`, or a Kubernetes `nvidia.com/gpu` request)."
        )
    return hints


def _amd(result: ProviderResult) -> List[str]:
    info: Mapping[str, Any] = result.info
    hints = []
    masked = info.get("masked_kfd_nodes") or []
    if (
        (info.get("dev_kfd") is False and bool(info.get("gpu_count")))
        or masked
        or "unable to open /dev/kfd" in _text(result)
    ):
        what = (
            f"{len(masked)} GPU node(s) of the KFD topology cannot be read here"
            if masked
            else "/dev/kfd is not accessible"
        )
        hints.append(
            f"amd: {what}: add the user to the `render` and `video` groups "
            "(`sudo usermod -aG render,video $USER`, then log in again); in a container, "
            "pass `--device=/dev/kfd --device=/dev/dri` (Apptainer: `--bind /dev/kfd,/dev/dri`)."
        )
    override = info.get("hsa_override_gfx_version")
    if isinstance(override, Mapping) and override.get("value"):
        gfx = override.get("gfx") or "one target"
        hints.append(
            f"amd: HSA_OVERRIDE_GFX_VERSION={override['value']} is set, so the ROCm runtime "
            f"treats every GPU as {gfx}; unset it unless that is what you want."
        )
    return hints


_RULES = {"nvidia": _nvidia, "amd": _amd}


def report_hints(detection: Detection) -> List[str]:
    """One line of advice per recognised problem of *detection*, in report order."""
    hints: List[str] = []
    for result in detection.providers:
        rule = _RULES.get(result.namespace)
        if rule is not None:
            hints += rule(result)
    if any(r.status == "timeout" for r in detection.providers):
        hints.append(
            "a probe did not answer in time: a driver waking up can take seconds; "
            "raise the limit with --timeout S (or VARIANT_PROVIDERS_TIMEOUT) if it is slow, "
            "not hung."
        )
    return hints


def match_hints(
    variants: Mapping[str, Sequence[VariantProperty]], supported: Iterable[VariantProperty]
) -> List[str]:
    """Features this machine has but no variant is built for (a Pascal card, a cu128 build).

    For every feature the machine reports and the variants use
    (``nvidia :: sm_arch``, ``amd :: gfx_arch`` …), when none of the
    machine's values appears in any variant, say so: no release of these
    builds can ever fit, whatever else the machine has.
    """
    machine: Dict[Tuple[str, str], List[str]] = {}
    for prop in supported:
        machine.setdefault((prop.namespace, prop.feature), []).append(prop.value)
    offered: Dict[Tuple[str, str], List[str]] = {}
    for props in variants.values():
        for prop in props:
            values = offered.setdefault((prop.namespace, prop.feature), [])
            if prop.value not in values:
                values.append(prop.value)
    hints = []
    for key, values in offered.items():
        have = machine.get(key)
        if not have:
            continue
        if not set(have) & set(values):
            ns, feature = key
            hints.append(
                f"no variant is built for this machine's `{ns} :: {feature}` "
                f"({', '.join(have[:4])}{', …' if len(have) > 4 else ''}); the variants cover "
                f"{', '.join(values[:6])}{', …' if len(values) > 6 else ''}. Look for a build "
                "for this architecture (another index or release) or use the plain wheel."
            )
    return hints
