"""Public facts the NVIDIA provider needs when the driver itself cannot answer.

* :data:`NVML_ERRORS` — ``nvmlReturn_t`` codes, kept as numbers in recorded
  answers and named here for messages.
* :data:`BRANCH_CUDA` — driver branch (the first number of ``570.148.08``) →
  newest CUDA version that branch supports natively (the toolkit/driver table
  of NVIDIA's CUDA release notes).  Used only to *estimate* the CUDA driver
  version when NVML hung and the kernel driver version is all that is known.
* :data:`MODEL_CC` — product names (as NVML, ``nvidia-smi`` and
  ``/proc/driver/nvidia/gpus/*/information`` spell them) → compute
  capability, from NVIDIA's CUDA GPU list.  Matched by substring, longest
  key first, so ``RTX 4090`` is not taken for ``RTX 40``.
* :data:`TEGRA_CC` and :data:`L4T_CUDA` — Jetson SoC (device-tree
  ``compatible``) → compute capability, and L4T release → CUDA version of
  its JetPack.
"""

from __future__ import annotations

from typing import Dict, Optional, Tuple

Version2 = Tuple[int, int]

#: NVML return codes (``nvmlReturn_t``).
NVML_ERRORS: Dict[int, str] = {
    0: "SUCCESS",
    1: "UNINITIALIZED",
    2: "INVALID_ARGUMENT",
    3: "NOT_SUPPORTED",
    4: "NO_PERMISSION",
    5: "ALREADY_INITIALIZED",
    6: "NOT_FOUND",
    7: "INSUFFICIENT_SIZE",
    8: "INSUFFICIENT_POWER",
    9: "DRIVER_NOT_LOADED",
    10: "TIMEOUT",
    11: "IRQ_ISSUE",
    12: "LIBRARY_NOT_FOUND",
    13: "FUNCTION_NOT_FOUND",
    14: "CORRUPTED_INFOROM",
    15: "GPU_IS_LOST",
    16: "RESET_REQUIRED",
    17: "OPERATING_SYSTEM",
    18: "LIB_RM_VERSION_MISMATCH",
    19: "IN_USE",
    20: "MEMORY",
    21: "NO_DATA",
    22: "VGPU_ECC_NOT_SUPPORTED",
    23: "INSUFFICIENT_RESOURCES",
    24: "FREQ_NOT_SUPPORTED",
    25: "ARGUMENT_VERSION_MISMATCH",
    26: "DEPRECATED",
    27: "NOT_READY",
    28: "GPU_NOT_FOUND",
    29: "INVALID_STATE",
    30: "RESET_TYPE_NOT_SUPPORTED",
    999: "UNKNOWN",
}

NVML_SUCCESS = 0
NVML_NOT_SUPPORTED = 3
NVML_DRIVER_NOT_LOADED = 9
NVML_LIBRARY_NOT_FOUND = 12
NVML_OPERATING_SYSTEM = 17
NVML_LIB_RM_VERSION_MISMATCH = 18

#: ``nvmlDriverModel_t``: Windows display (WDDM), compute-only (WDM, shown as
#: TCC by nvidia-smi) and MCDM.
NVML_DRIVER_MODELS: Dict[int, str] = {0: "WDDM", 1: "TCC", 2: "MCDM"}

#: ``CUresult`` codes worth naming.
CUDA_ERRORS: Dict[int, str] = {
    0: "CUDA_SUCCESS",
    1: "CUDA_ERROR_INVALID_VALUE",
    3: "CUDA_ERROR_NOT_INITIALIZED",
    4: "CUDA_ERROR_DEINITIALIZED",
    34: "CUDA_ERROR_STUB_LIBRARY",
    100: "CUDA_ERROR_NO_DEVICE",
    101: "CUDA_ERROR_INVALID_DEVICE",
    304: "CUDA_ERROR_OPERATING_SYSTEM",
    803: "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH",
    804: "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE",
    999: "CUDA_ERROR_UNKNOWN",
}


def nvml_error_name(code: int) -> str:
    """``NVML_ERROR_<NAME>`` for a return code (``NVML_ERROR_999`` style when unknown)."""
    name = NVML_ERRORS.get(code)
    if name == "SUCCESS":
        return "NVML_SUCCESS"
    return f"NVML_ERROR_{name}" if name else f"NVML_ERROR_{code}"


def cuda_error_name(code: int) -> str:
    return CUDA_ERRORS.get(code, f"CUresult {code}")


#: Driver branch → CUDA version it supports natively (Linux GA minimums).
BRANCH_CUDA: Dict[int, Version2] = {
    450: (11, 0),
    455: (11, 1),
    460: (11, 2),
    465: (11, 3),
    470: (11, 4),
    495: (11, 5),
    510: (11, 6),
    515: (11, 7),
    520: (11, 8),
    525: (12, 0),
    530: (12, 1),
    535: (12, 2),
    545: (12, 3),
    550: (12, 4),
    555: (12, 5),
    560: (12, 6),
    565: (12, 7),
    570: (12, 8),
    575: (12, 9),
    580: (13, 0),
    590: (13, 1),
    595: (13, 2),
    610: (13, 3),
}


def cuda_for_branch(branch: int) -> Optional[Version2]:
    """The CUDA version a driver branch supports natively.

    A branch between two known ones (a new-feature branch such as 565 or
    572) gets the version of the nearest known branch below it; one older
    than the table gets ``None``.  Newer than the table also gets ``None``:
    guessing would claim too little or too much.
    """
    known = sorted(BRANCH_CUDA)
    if branch < known[0] or branch > known[-1] + 9:
        return None
    best = max(b for b in known if b <= branch)
    return BRANCH_CUDA[best]


#: Product-name fragments → compute capability (developer.nvidia.com/cuda-gpus).
MODEL_CC: Dict[str, Version2] = {
    "GB10": (12, 1),
    "RTX 50": (12, 0),
    "RTX PRO 6000 Blackwell": (12, 0),
    "RTX PRO 5000 Blackwell": (12, 0),
    "RTX PRO 4000 Blackwell": (12, 0),
    "B300": (10, 3),
    "GB300": (10, 3),
    "B200": (10, 0),
    "GB200": (10, 0),
    "H200": (9, 0),
    "H100": (9, 0),
    "H800": (9, 0),
    "GH200": (9, 0),
    "L40S": (8, 9),
    "L40": (8, 9),
    "L4": (8, 9),
    "RTX 40": (8, 9),
    "RTX 6000 Ada": (8, 9),
    "RTX 5000 Ada": (8, 9),
    "RTX 4000 Ada": (8, 9),
    "A100": (8, 0),
    "A800": (8, 0),
    "A30": (8, 0),
    "A10G": (8, 6),
    "A10": (8, 6),
    "A40": (8, 6),
    "A16": (8, 6),
    "A2": (8, 6),
    "RTX A6000": (8, 6),
    "RTX A5000": (8, 6),
    "RTX A4000": (8, 6),
    "RTX 30": (8, 6),
    "T4": (7, 5),
    "RTX 20": (7, 5),
    "GTX 16": (7, 5),
    "TITAN RTX": (7, 5),
    "V100": (7, 0),
    "TITAN V": (7, 0),
    "P100": (6, 0),
    "P40": (6, 1),
    "P4": (6, 1),
    "GTX 10": (6, 1),
    "TITAN Xp": (6, 1),
    "Thor": (11, 0),
    "Orin": (8, 7),
    "Xavier": (7, 2),
}

#: Fragments too short to match safely inside a longer word (``L4`` in ``L40``).
_WHOLE_WORD = frozenset({"L4", "L40", "A2", "A10", "A16", "A30", "A40", "T4", "P4", "P40"})


def cc_for_model(name: str) -> Optional[Version2]:
    """The compute capability of a product name, or ``None`` when it is not in the table."""
    words = name.replace("-", " ").split()
    for key in sorted(MODEL_CC, key=len, reverse=True):
        if key in _WHOLE_WORD:
            if key in words:
                return MODEL_CC[key]
        elif key in name:
            return MODEL_CC[key]
    return None


#: Jetson SoC (``/proc/device-tree/compatible``) → compute capability.
TEGRA_CC: Dict[str, Version2] = {
    "nvidia,tegra264": (11, 0),  # Thor (CUDA 13 numbering)
    "nvidia,tegra234": (8, 7),  # Orin
    "nvidia,tegra194": (7, 2),  # Xavier
    "nvidia,tegra186": (6, 2),  # TX2
    "nvidia,tegra210": (5, 3),  # Nano / TX1
}

#: L4T release (major, revision-major) → CUDA version of that JetPack.
L4T_CUDA: Dict[Tuple[int, int], Version2] = {
    (36, 4): (12, 6),
    (36, 3): (12, 4),
    (36, 2): (12, 2),
    (35, 6): (11, 4),
    (35, 5): (11, 4),
    (35, 4): (11, 4),
    (35, 3): (11, 4),
    (35, 2): (11, 4),
    (35, 1): (11, 4),
    (32, 7): (10, 2),
}
