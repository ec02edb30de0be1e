"""Intel GPU device IPs: encoding, the known-IP table, PCI device-id families.

Device IP ("GMDID")
    Level Zero's ``ZE_extension_device_ip_version`` returns a packed
    ``uint32`` (intel/compute-runtime ``shared/source/helpers/hw_ip_version.h``):
    bits 0–5 revision, 6–13 reserved, 14–21 release, 22–31 architecture.  The
    human form ``architecture.release.revision`` (``12.55.8``) is what the
    offline compiler ``ocloc`` accepts as ``-device`` and what wheels declare
    as ``intel :: device_ip :: 12.55.8``.

Known IPs and compatibility
    :data:`KNOWN_IPS` is the set of IPs the ``intel`` namespace can emit (the
    same 23 IPs the wheelnext intel-variant-provider knows, newest first).
    Some IPs are binary compatible with an older *base* IP of the same
    family (compute-runtime ``third_party/aot_config_headers/platforms.h``
    ``compatibilityMapping``): code built for 12.55.8 (DG2-G10) runs on
    12.56.5 and 12.57.0, and so on.  A detected IP is reported followed by its
    base IP.

PCI device-id families
    Without Level Zero the IP is looked up from the PCI device id
    (compute-runtime ``shared/source/dll/devices/devices_base.inl`` and the
    per-platform ``device_ids_configs_*.h``).  A device id names a product,
    not a stepping, so the table gives the IP of the production stepping
    that :data:`KNOWN_IPS` lists; where one id family spans several IPs that
    the id cannot tell apart (Panther Lake H/U) it gives the family's base
    IP, which every member runs.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Mapping, Optional, Tuple

from variant_providers.record_class import dataclass

__all__ = [
    "BASE_IP",
    "DEVICE_NAMES",
    "FAMILIES",
    "FAMILY_BY_DEVICE_ID",
    "KNOWN_IPS",
    "DeviceFamily",
    "compatible_ips",
    "decode_ip",
    "device_ip_values",
    "encode_ip",
    "family_for",
    "parse_ip",
]

# -- device IP encoding -------------------------------------------------------------------

_REVISION_BITS = 6
_RELEASE_SHIFT = 14
_RELEASE_BITS = 8
_ARCH_SHIFT = 22
_ARCH_BITS = 10


def decode_ip(value: int) -> str:
    """``0x030dc008`` → ``"12.55.8"``.  Raises ``ValueError`` outside ``uint32``."""
    if not 0 <= value <= 0xFFFFFFFF:
        raise ValueError(f"device IP {value!r} is not a uint32")
    revision = value & ((1 << _REVISION_BITS) - 1)
    release = (value >> _RELEASE_SHIFT) & ((1 << _RELEASE_BITS) - 1)
    architecture = value >> _ARCH_SHIFT
    return f"{architecture}.{release}.{revision}"


def parse_ip(text: str) -> Tuple[int, int, int]:
    """``"12.55.8"`` → ``(12, 55, 8)``; ``ValueError`` unless each part fits its field."""
    parts = text.strip().split(".")
    if len(parts) != 3 or not all(p.isdigit() and p.isascii() for p in parts):
        raise ValueError(f"device IP {text!r} is not 'architecture.release.revision'")
    arch, release, revision = (int(p) for p in parts)
    if arch >= 1 << _ARCH_BITS or release >= 1 << _RELEASE_BITS or revision >= 1 << _REVISION_BITS:
        raise ValueError(
            f"device IP {text!r} out of range (architecture < 1024, release < 256, revision < 64)"
        )
    return arch, release, revision


def encode_ip(text: str) -> int:
    """``"12.55.8"`` → ``0x030dc008`` (the inverse of :func:`decode_ip`)."""
    arch, release, revision = parse_ip(text)
    return (arch << _ARCH_SHIFT) | (release << _RELEASE_SHIFT) | revision


# -- known IPs and their base IPs ---------------------------------------------------------

#: Every IP the namespace can emit, newest first (``all_configs`` order).
KNOWN_IPS: Tuple[str, ...] = (
    "35.11.0",  # cri (Crescent Island)
    "35.10.4",  # nvl-p
    "30.5.4",  # nvl-u, nvl-h
    "30.4.4",  # nvl-s, nvl-hx, nvl-ul
    "30.3.1",  # wcl (Wildcat Lake)
    "30.1.0",  # ptl-u
    "30.0.4",  # ptl-h (base of the Xe3 group)
    "20.4.4",  # lnl-m (Lunar Lake)
    "20.2.0",  # bmg-g31
    "20.1.0",  # bmg-g21 (base of the Xe2 group)
    "12.74.4",  # arl-h
    "12.71.4",  # mtl-h
    "12.70.4",  # mtl-u, arl-u, arl-s (base of the Xe-LPG group)
    "12.60.7",  # pvc (Data Center GPU Max)
    "12.57.0",  # acm-g12
    "12.56.5",  # acm-g11
    "12.55.8",  # acm-g10 (base of the Xe-HPG group)
    "12.10.0",  # dg1
    "12.4.0",  # adl-n
    "12.3.0",  # adl-p, rpl-p
    "12.2.0",  # adl-s, rpl-s
    "12.1.0",  # rkl
    "12.0.0",  # tgl
)

#: IP → the base IP whose code it runs (only IPs that have one).
BASE_IP: Mapping[str, str] = {
    "30.5.4": "30.0.4",
    "30.4.4": "30.0.4",
    "30.3.1": "30.0.4",
    "30.1.0": "30.0.4",
    "20.4.4": "20.1.0",
    "20.2.0": "20.1.0",
    "12.71.4": "12.70.4",
    "12.57.0": "12.55.8",
    "12.56.5": "12.55.8",
}


def compatible_ips(ip: str) -> Tuple[str, ...]:
    """The IP itself, then its base IP if it has one: ``20.4.4`` → ``(20.4.4, 20.1.0)``."""
    base = BASE_IP.get(ip)
    return (ip, base) if base else (ip,)


def device_ip_values(ips: Iterable[str]) -> Tuple[List[str], List[str]]:
    """The ``device_ip`` values for devices with *ips*, in enumeration order.

    Each IP is followed by its base IP; duplicates are dropped (first wins)
    and IPs outside :data:`KNOWN_IPS` are filtered out.  Returns
    ``(values, dropped)``, *dropped* being the unknown IPs, for the report.
    """
    known = set(KNOWN_IPS)
    values: List[str] = []
    dropped: List[str] = []
    for ip in ips:
        for candidate in compatible_ips(ip):
            if candidate not in known:
                if candidate not in dropped:
                    dropped.append(candidate)
                continue
            if candidate not in values:
                values.append(candidate)
    return values, dropped


# -- PCI device-id families ---------------------------------------------------------------


@dataclass(frozen=True)
class DeviceFamily:
    """A group of PCI device ids sharing one device IP.

    ``ip`` is the IP the table assigns (see the module docs for what that
    means when a family spans steppings); ``integrated`` tells an iGPU from a
    discrete card.
    """

    name: str
    ip: str
    integrated: bool
    description: str
    device_ids: Tuple[int, ...]


def _ids(*ranges: Tuple[int, int]) -> Tuple[int, ...]:
    out: List[int] = []
    for start, stop in ranges:
        out.extend(range(start, stop + 1))
    return tuple(out)


def _one(*ids: int) -> Tuple[Tuple[int, int], ...]:
    return tuple((i, i) for i in ids)


#: The device-id families, oldest first.
FAMILIES: Tuple[DeviceFamily, ...] = (
    DeviceFamily(
        "tgl",
        "12.0.0",
        True,
        "Tiger Lake (Xe-LP)",
        _ids(*_one(0x9A40, 0x9A49, 0x9A59, 0x9A60, 0x9A68, 0x9A70, 0x9A78)),
    ),
    DeviceFamily(
        "rkl",
        "12.1.0",
        True,
        "Rocket Lake (Xe-LP)",
        _ids(*_one(0x4C80, 0x4C8A, 0x4C8B, 0x4C8C, 0x4C90, 0x4C9A)),
    ),
    DeviceFamily(
        "adl-s",
        "12.2.0",
        True,
        "Alder Lake-S / Raptor Lake-S (Xe-LP)",
        _ids(
            *_one(0x4680, 0x4682, 0x4688, 0x468A, 0x468B, 0x4690, 0x4692, 0x4693),
            (0xA780, 0xA783),
            (0xA788, 0xA78B),
        ),
    ),
    DeviceFamily(
        "adl-p",
        "12.3.0",
        True,
        "Alder Lake-P / Raptor Lake-P (Xe-LP)",
        _ids(
            *_one(0x4626, 0x4628, 0x462A, 0x46A0, 0x46A1, 0x46A3, 0x46A6, 0x46A8, 0x46AA),
            *_one(0x46B0, 0x46B1, 0x46B3, 0x46C0, 0x46C1, 0x46C3, 0xA720, 0xA721),
            (0xA7A0, 0xA7A1),
            (0xA7A8, 0xA7AD),
        ),
    ),
    DeviceFamily("adl-n", "12.4.0", True, "Alder Lake-N (Xe-LP)", _ids((0x46D0, 0x46D4))),
    DeviceFamily("dg1", "12.10.0", False, "DG1 / Iris Xe MAX (Xe-LP)", _ids((0x4905, 0x4909))),
    DeviceFamily(
        "acm-g10",
        "12.55.8",
        False,
        "Arc A-series / Flex 170, DG2-G10 (Xe-HPG)",
        _ids(
            (0x4F80, 0x4F84),
            (0x5690, 0x5692),
            (0x56A0, 0x56A2),
            *_one(0x56BE, 0x56BF, 0x56C0, 0x56C2),
        ),
    ),
    DeviceFamily(
        "acm-g11",
        "12.56.5",
        False,
        "Arc A-series / Flex 140, DG2-G11 (Xe-HPG)",
        _ids(
            (0x4F87, 0x4F88),
            (0x5693, 0x5695),
            *_one(0x56A5, 0x56A6, 0x56B0, 0x56B1),
            (0x56BA, 0x56BD),
            *_one(0x56C1),
        ),
    ),
    DeviceFamily(
        "acm-g12",
        "12.57.0",
        False,
        "Arc A-series, DG2-G12 (Xe-HPG)",
        _ids((0x4F85, 0x4F86), (0x5696, 0x5697), (0x56A3, 0x56A4), (0x56B2, 0x56B3)),
    ),
    DeviceFamily(
        "pvc",
        "12.60.7",
        False,
        "Data Center GPU Max, Ponte Vecchio (Xe-HPC)",
        _ids(*_one(0x0B69, 0x0B6E, 0x0BD0), (0x0BD5, 0x0BDB)),
    ),
    DeviceFamily(
        "pvc-vg",
        "12.61.7",
        False,
        "Data Center GPU Max 1550VG (Xe-HPC)",
        _ids(*_one(0x0BD4)),
    ),
    DeviceFamily(
        "mtl-u",
        "12.70.4",
        True,
        "Meteor Lake-U / Arrow Lake-U/S (Xe-LPG)",
        _ids(*_one(0x7D40, 0x7D41, 0x7D45, 0x7D67)),
    ),
    DeviceFamily("mtl-h", "12.71.4", True, "Meteor Lake-H (Xe-LPG)", _ids(*_one(0x7D55, 0x7DD5))),
    DeviceFamily("arl-h", "12.74.4", True, "Arrow Lake-H (Xe-LPG+)", _ids(*_one(0x7D51, 0x7DD1))),
    DeviceFamily(
        "bmg-g21",
        "20.1.0",
        False,
        "Arc B-series, Battlemage G21 (Xe2-HPG)",
        _ids(*_one(0xE202, 0xE209, 0xE20B, 0xE20C, 0xE20D, 0xE210, 0xE211, 0xE212, 0xE215, 0xE216)),
    ),
    DeviceFamily(
        "bmg-g31",
        "20.2.0",
        False,
        "Arc B-series, Battlemage G31 (Xe2-HPG)",
        _ids((0xE220, 0xE223)),
    ),
    DeviceFamily(
        "lnl-m", "20.4.4", True, "Lunar Lake (Xe2-LPG)", _ids(*_one(0x6420, 0x64A0, 0x64B0))
    ),
    DeviceFamily(
        "ptl",
        "30.0.4",
        True,
        "Panther Lake (Xe3; H and U not told apart by id, base IP given)",
        _ids((0xB080, 0xB087), *_one(0xB08F, 0xB090, 0xB0A0, 0xB0B0, 0xFD80, 0xFD81)),
    ),
    DeviceFamily("nvl-s", "30.4.4", True, "Nova Lake-S (Xe3)", _ids((0xD740, 0xD745))),
    DeviceFamily("cri", "35.11.0", False, "Crescent Island (Xe3P)", _ids(*_one(0x674C))),
)

#: PCI device id → its family.
FAMILY_BY_DEVICE_ID: Mapping[int, DeviceFamily] = {
    device_id: family for family in FAMILIES for device_id in family.device_ids
}


def family_for(device_id: int) -> Optional[DeviceFamily]:
    """The family of PCI device id *device_id*, or ``None`` when the table lacks it."""
    return FAMILY_BY_DEVICE_ID.get(device_id)


#: Marketing names of the device ids the driver names (compute-runtime
#: ``devices_base.inl``); shown in ``info`` when Level Zero cannot say.
DEVICE_NAMES: Dict[int, str] = {
    0x0B69: "Intel(R) Data Center GPU Max 1450",
    0x0B6E: "Intel(R) Data Center GPU Max 1100C",
    0x0BD4: "Intel(R) Data Center GPU Max 1550VG",
    0x0BD5: "Intel(R) Data Center GPU Max 1550",
    0x0BD6: "Intel(R) Data Center GPU Max 1550",
    0x0BD7: "Intel(R) Data Center GPU Max 1350",
    0x0BD8: "Intel(R) Data Center GPU Max 1350",
    0x0BD9: "Intel(R) Data Center GPU Max 1100",
    0x0BDA: "Intel(R) Data Center GPU Max 1100",
    0x0BDB: "Intel(R) Data Center GPU Max 1100",
    0x4680: "Intel(R) UHD Graphics 770",
    0x4682: "Intel(R) UHD Graphics 730",
    0x4690: "Intel(R) UHD Graphics 770",
    0x4692: "Intel(R) UHD Graphics 730",
    0x4693: "Intel(R) UHD Graphics 710",
    0x4905: "Intel(R) Iris(R) Xe MAX Graphics",
    0x4909: "Intel(R) Iris(R) Xe MAX 100 Graphics",
    0x4C8A: "Intel(R) UHD Graphics 750",
    0x4C8B: "Intel(R) UHD Graphics 730",
    0x5690: "Intel(R) Arc(TM) A770M Graphics",
    0x5691: "Intel(R) Arc(TM) A730M Graphics",
    0x5692: "Intel(R) Arc(TM) A550M Graphics",
    0x5693: "Intel(R) Arc(TM) A370M Graphics",
    0x5694: "Intel(R) Arc(TM) A350M Graphics",
    0x5696: "Intel(R) Arc(TM) A570M Graphics",
    0x5697: "Intel(R) Arc(TM) A530M Graphics",
    0x56A0: "Intel(R) Arc(TM) A770 Graphics",
    0x56A1: "Intel(R) Arc(TM) A750 Graphics",
    0x56A2: "Intel(R) Arc(TM) A580 Graphics",
    0x56A5: "Intel(R) Arc(TM) A380 Graphics",
    0x56A6: "Intel(R) Arc(TM) A310 LP Graphics",
    0x56B0: "Intel(R) Arc(TM) Pro A30M Graphics",
    0x56B1: "Intel(R) Arc(TM) Pro A40/A50 Graphics",
    0x56B2: "Intel(R) Arc(TM) Pro A60M Graphics",
    0x56B3: "Intel(R) Arc(TM) Pro A60 Graphics",
    0x56C0: "Intel(R) Data Center GPU Flex 170",
    0x56C1: "Intel(R) Data Center GPU Flex 140",
    0x56C2: "Intel(R) Data Center GPU Flex 170V",
    0x6420: "Intel(R) Graphics",
    0x64A0: "Intel(R) Arc(TM) Graphics",
    0x64B0: "Intel(R) Graphics",
    0x7D40: "Intel(R) Graphics",
    0x7D41: "Intel(R) Graphics",
    0x7D45: "Intel(R) Graphics",
    0x7D51: "Intel(R) Arc(TM) Graphics",
    0x7D55: "Intel(R) Arc(TM) Graphics",
    0x7D67: "Intel(R) Graphics",
    0xA780: "Intel(R) UHD Graphics 770",
    0xA782: "Intel(R) UHD Graphics 730",
    0xB080: "Intel(R) Arc(TM) B390 GPU",
    0xB081: "Intel(R) Arc(TM) B370 GPU",
    0xB082: "Intel(R) Arc(TM) B390 GPU",
    0xB083: "Intel(R) Arc(TM) B370 GPU",
    0xE209: "Intel(R) Arc(TM) B580 Graphics",
    0xE20B: "Intel(R) Arc(TM) B580 Graphics",
    0xE20C: "Intel(R) Arc(TM) B570 Graphics",
    0xE211: "Intel(R) Arc(TM) Pro B60 Graphics",
    0xE212: "Intel(R) Arc(TM) Pro B50 Graphics",
}


#: Intel's PCI vendor id.
INTEL_VENDOR_ID = 0x8086
