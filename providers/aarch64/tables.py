"""Static tables of the aarch64 provider: HWCAP bits, feature order, versions.

Feature names are the Linux ``/proc/cpuinfo`` ``Features`` spellings (the
kernel's ``hwcap_str``), which are also the names provider-variant-aarch64
publishes.
"""

from __future__ import annotations

from typing import Dict, FrozenSet, Tuple

#: ``AT_HWCAP`` bit → name (``arch/arm64/include/uapi/asm/hwcap.h``).
HWCAP_NAMES: Tuple[str, ...] = (
    "fp",
    "asimd",
    "evtstrm",
    "aes",
    "pmull",
    "sha1",
    "sha2",
    "crc32",
    "atomics",
    "fphp",
    "asimdhp",
    "cpuid",
    "asimdrdm",
    "jscvt",
    "fcma",
    "lrcpc",
    "dcpop",
    "sha3",
    "sm3",
    "sm4",
    "asimddp",
    "sha512",
    "sve",
    "asimdfhm",
    "dit",
    "uscat",
    "ilrcpc",
    "flagm",
    "ssbs",
    "sb",
    "paca",
    "pacg",
    "gcs",
)

#: ``AT_HWCAP2`` bit → name.
HWCAP2_NAMES: Tuple[str, ...] = (
    "dcpodp",
    "sve2",
    "sveaes",
    "svepmull",
    "svebitperm",
    "svesha3",
    "svesm4",
    "flagm2",
    "frint",
    "svei8mm",
    "svef32mm",
    "svef64mm",
    "svebf16",
    "i8mm",
    "bf16",
    "dgh",
    "rng",
    "bti",
    "mte",
    "ecv",
    "afp",
    "rpres",
    "mte3",
    "sme",
    "smei16i64",
    "smef64f64",
    "smei8i32",
    "smef16f32",
    "smeb16f32",
    "smef32f32",
    "smefa64",
    "wfxt",
    "ebf16",
    "sveebf16",
    "cssc",
    "rprfm",
    "sve2p1",
    "sme2",
    "sme2p1",
    "smei16i32",
    "smebi32i32",
    "smeb16b16",
    "smef16f16",
    "mops",
    "hbc",
    "sveb16b16",
    "lrcpc3",
    "lse128",
    "fpmr",
    "lut",
    "faminmax",
    "f8cvt",
    "f8fma",
    "f8dp4",
    "f8dp2",
    "f8e4m3",
    "f8e5m2",
    "smelutv2",
    "smef8f16",
    "smef8f32",
    "smesf8fma",
    "smesf8dp4",
    "smesf8dp2",
    "poe",
)

#: Every name the HWCAP tables can produce.
HWCAP_KNOWN: FrozenSet[str] = frozenset(HWCAP_NAMES) | frozenset(HWCAP2_NAMES)

#: provider-variant-aarch64's feature list, in its preference order.  Its
#: source lacks two commas (``"bti" "ecv"`` and ``"asimdrdm" "atomics"``), so
#: Python fuses them into ``btiecv`` and ``asimdrdmatomics``, names no CPU ever
#: matches; here the two real features take each fused name's place, in the
#: order they are written.
UPSTREAM_FEATURES: Tuple[str, ...] = (
    "sve2",
    "flagm2",
    "frint",
    "sb",
    "bti",
    "ecv",
    "paca",
    "pacg",
    "ssbs",
    "asimdfhm",
    "bf16",
    "dcpodp",
    "dgh",
    "dit",
    "flagm",
    "i8mm",
    "ilrcpc",
    "jscvt",
    "rng",
    "sha3",
    "sha512",
    "svebf16",
    "svei8mm",
    "uscat",
    "asimddp",
    "lrcpc",
    "asimdhp",
    "dcpop",
    "fcma",
    "fphp",
    "sve",
    "asimdrdm",
    "atomics",
    "aes",
    "asimd",
    "cpuid",
    "crc32",
    "evtstrm",
    "fp",
    "pmull",
    "sha1",
    "sha2",
)

#: Features the existing provider does not know, reported after its list:
#: HWCAP bit order, then HWCAP2 bit order (the kernel's own order, which is
#: roughly the order the architecture added them).  Names a newer kernel prints that are
#: in neither table follow in the order ``/proc/cpuinfo`` lists them.
EXTRA_FEATURES: Tuple[str, ...] = tuple(
    name for name in HWCAP_NAMES + HWCAP2_NAMES if name not in UPSTREAM_FEATURES
)

#: Every feature this provider knows, in report order.
ALL_FEATURES: Tuple[str, ...] = UPSTREAM_FEATURES + EXTRA_FEATURES

#: Architecture versions and the features each one makes mandatory that Linux
#: can show (cumulative: a version needs its own set and every earlier one).
#: Arm ARM "mandatory from" rules; the published values are
#: provider-variant-aarch64's (``8a`` … ``9.0a``; it caps at ``9.0a``).
VERSION_STEPS: Tuple[Tuple[str, FrozenSet[str]], ...] = (
    ("8a", frozenset({"fp", "asimd"})),
    ("8.1a", frozenset({"crc32", "atomics", "asimdrdm"})),
    ("8.2a", frozenset({"dcpop"})),
    ("8.3a", frozenset({"jscvt", "fcma", "lrcpc", "paca", "pacg"})),
    ("8.4a", frozenset({"asimddp", "dit", "flagm", "ilrcpc", "uscat"})),
    ("8.5a", frozenset({"sb", "flagm2", "frint", "dcpodp", "bti"})),
    ("8.6a", frozenset({"i8mm", "bf16"})),
)

#: Armv9.0-A as GCC/binutils use it: Armv8.5-A plus SVE and SVE2.
V9_0_EXTRA: FrozenSet[str] = frozenset({"sve", "sve2"})

#: Every version value, most capable first.
ALL_VERSIONS: Tuple[str, ...] = ("9.0a", "8.6a", "8.5a", "8.4a", "8.3a", "8.2a", "8.1a", "8a")

#: macOS ``hw.optional.arm.FEAT_<X>`` → Linux names.
DARWIN_FEAT_NAMES: Dict[str, Tuple[str, ...]] = {
    "FEAT_AES": ("aes",),
    "FEAT_PMULL": ("pmull",),
    "FEAT_SHA1": ("sha1",),
    "FEAT_SHA256": ("sha2",),
    "FEAT_SHA512": ("sha512",),
    "FEAT_SHA3": ("sha3",),
    "FEAT_CRC32": ("crc32",),
    "FEAT_LSE": ("atomics",),
    "FEAT_LSE2": ("uscat",),
    "FEAT_FP16": ("fphp", "asimdhp"),
    "FEAT_RDM": ("asimdrdm",),
    "FEAT_DotProd": ("asimddp",),
    "FEAT_FHM": ("asimdfhm",),
    "FEAT_JSCVT": ("jscvt",),
    "FEAT_FCMA": ("fcma",),
    "FEAT_LRCPC": ("lrcpc",),
    "FEAT_LRCPC2": ("ilrcpc",),
    "FEAT_DPB": ("dcpop",),
    "FEAT_DPB2": ("dcpodp",),
    "FEAT_DIT": ("dit",),
    "FEAT_FlagM": ("flagm",),
    "FEAT_FlagM2": ("flagm2",),
    "FEAT_SSBS": ("ssbs",),
    "FEAT_SB": ("sb",),
    "FEAT_PAuth": ("paca", "pacg"),
    "FEAT_FRINTTS": ("frint",),
    "FEAT_BF16": ("bf16",),
    "FEAT_I8MM": ("i8mm",),
    "FEAT_BTI": ("bti",),
    "FEAT_ECV": ("ecv",),
    "FEAT_AFP": ("afp",),
    "FEAT_RPRES": ("rpres",),
    "FEAT_WFxT": ("wfxt",),
    "FEAT_CSSC": ("cssc",),
    "FEAT_HBC": ("hbc",),
    "FEAT_EBF16": ("ebf16",),
    "FEAT_SME": ("sme",),
    "FEAT_SME2": ("sme2",),
    "FEAT_SME2p1": ("sme2p1",),
    "FEAT_SME_F64F64": ("smef64f64",),
    "FEAT_SME_I16I64": ("smei16i64",),
    "FEAT_SME_F16F16": ("smef16f16",),
    "FEAT_SME_B16B16": ("smeb16b16",),
}

#: Older macOS ``hw.optional.<key>`` names → Linux names.
DARWIN_LEGACY_NAMES: Dict[str, Tuple[str, ...]] = {
    "floatingpoint": ("fp",),
    "neon": ("asimd",),
    "AdvSIMD": ("asimd",),
    "arm.AdvSIMD": ("asimd",),
    "arm.FEAT_AdvSIMD": ("asimd",),
    "neon_hpfp": ("fphp", "asimdhp"),
    "neon_fp16": ("fphp", "asimdhp"),
    "armv8_1_atomics": ("atomics",),
    "armv8_crc32": ("crc32",),
    "armv8_2_fhm": ("asimdfhm",),
    "armv8_2_sha512": ("sha512",),
    "armv8_2_sha3": ("sha3",),
    "armv8_3_compnum": ("fcma",),
}


#: ``CPU implementer`` → vendor (Arm's MIDR_EL1 implementer codes).
IMPLEMENTERS: Dict[int, str] = {
    0x41: "Arm",
    0x42: "Broadcom",
    0x43: "Cavium",
    0x46: "Fujitsu",
    0x48: "HiSilicon",
    0x4E: "NVIDIA",
    0x51: "Qualcomm",
    0x61: "Apple",
    0x6D: "Microsoft",
    0xC0: "Ampere",
}

#: ``(implementer, part)`` → core name, for the ``info`` block only.
PARTS: Dict[Tuple[int, int], str] = {
    (0x41, 0xD08): "Cortex-A72",
    (0x41, 0xD0B): "Cortex-A76",
    (0x41, 0xD0C): "Neoverse N1",
    (0x41, 0xD40): "Neoverse V1",
    (0x41, 0xD49): "Neoverse N2",
    (0x41, 0xD4F): "Neoverse V2",
    (0x41, 0xD83): "Neoverse V3AE",
    (0x41, 0xD84): "Neoverse V3",
    (0x41, 0xD8E): "Neoverse N3",
    (0x43, 0x0AF): "ThunderX2",
    (0x46, 0x001): "A64FX",
    (0xC0, 0xAC3): "AmpereOne",
    (0xC0, 0xAC4): "AmpereOne A",
}

#: Windows ``IsProcessorFeaturePresent`` answers → Linux feature names.
WINDOWS_PF_NAMES: Dict[str, Tuple[str, ...]] = {
    "neon": ("fp", "asimd"),
    "crypto": ("aes", "pmull", "sha1", "sha2"),
    "crc32": ("crc32",),
    "v81_atomic": ("atomics",),
    "v82_dp": ("asimddp",),
    "v83_jscvt": ("jscvt",),
    "v83_lrcpc": ("lrcpc",),
    "sve": ("sve",),
    "sve2": ("sve2",),
}
