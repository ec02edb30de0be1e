"""Static tables of the x86-64 provider: levels, extensions, CPUID bits, names.

All feature names are the Linux ``/proc/cpuinfo`` spellings (``pni``, ``abm``,
``lahf_lm``, ``avx512_vnni`` …).  macOS and CPUID sources are translated into
them first, so one pipeline decides the level and the extensions everywhere.
The only rename on the way out is ``pni`` → ``sse3``, the name the existing
provider-variant-x86-64 publishes.
"""

from __future__ import annotations

from typing import Dict, FrozenSet, Tuple

#: Linux flag names each psABI level adds to the one below it (x86-64 psABI,
#: "Micro-Architecture Levels"; glibc ``get-isa-level.h``).  ``xsave`` stands in
#: for OSXSAVE, which the kernel never prints.
LEVEL_FLAGS: Tuple[Tuple[str, FrozenSet[str]], ...] = (
    ("v1", frozenset({"fpu", "cx8", "cmov", "mmx", "fxsr", "sse", "sse2"})),
    ("v2", frozenset({"pni", "ssse3", "sse4_1", "sse4_2", "popcnt", "cx16", "lahf_lm"})),
    (
        "v3",
        frozenset({"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"}),
    ),
    ("v4", frozenset({"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"})),
)

#: Every level value, most capable first (what a wheel may declare).
ALL_LEVELS: Tuple[str, ...] = ("v4", "v3", "v2", "v1")

#: provider-variant-x86-64's extension list, in its preference order (most
#: preferred first).  Published names; ``sse3`` is Linux ``pni``.
UPSTREAM_EXTENSIONS: Tuple[str, ...] = (
    "avx_vnni",
    "cppc",
    "ibrs_enhanced",
    "tsc_adjust",
    "flush_l1d",
    "movdir64b",
    "movdiri",
    "avx512_bf16",
    "avx512_bitalg",
    "avx512_vbmi2",
    "avx512_vnni",
    "avx512_vp2intersect",
    "avx512_vpopcntdq",
    "avx512ifma",
    "avx512vbmi",
    "rdpid",
    "sha_ni",
    "vaes",
    "vpclmulqdq",
    "clwb",
    "clzero",
    "avx512bw",
    "avx512cd",
    "avx512dq",
    "avx512f",
    "avx512vl",
    "clflushopt",
    "gfni",
    "rdseed",
    "xsavec",
    "xsaveopt",
    "adx",
    "avx2",
    "avx",
    "bmi2",
    "bmi1",
    "abm",
    "f16c",
    "fma",
    "movbe",
    "xsave",
    "rdrand",
    "aes",
    "pclmulqdq",
    "sse4a",
    "fsgsbase",
    "sse4_2",
    "sse4_1",
    "ssse3",
    "sse3",
    "cx16",
    "lahf_lm",
    "popcnt",
    "sse2",
    "sse",
    "mmx",
)

#: Extensions the existing provider does not know, reported after its list.
#: Order (documented in docs/providers/x86_64.md): newest instruction families
#: first, the same "newest first" rule the upstream list follows — AMX, then the
#: AVX-512 additions, then the VEX-encoded AVX additions of Alder Lake and later,
#: the 2023+ crypto extensions, the remaining ISA additions, Xeon Phi's
#: AVX-512 subsets, and AMD's retired extensions last.
EXTRA_EXTENSIONS: Tuple[str, ...] = (
    # AMX (Sapphire Rapids, Granite Rapids)
    "amx_tile",
    "amx_bf16",
    "amx_int8",
    "amx_fp16",
    "amx_complex",
    # AVX-512 additions
    "avx512_fp16",
    # VEX-encoded AVX additions (Alder Lake, Sierra Forest, Arrow Lake, Lunar Lake)
    "avx_vnni_int16",
    "avx_vnni_int8",
    "avx_ne_convert",
    "avx_ifma",
    # crypto (Arrow Lake / Lunar Lake)
    "sha512",
    "sm3",
    "sm4",
    # other user-level ISA additions
    "cmpccxadd",
    "serialize",
    "waitpkg",
    "cldemote",
    "enqcmd",
    "pku",
    "3dnowprefetch",
    # Xeon Phi (Knights Landing / Mill) AVX-512 subsets
    "avx512_4vnniw",
    "avx512_4fmaps",
    "avx512er",
    "avx512pf",
    # AMD extensions dropped from Zen
    "fma4",
    "xop",
    "tbm",
)

#: Published name → Linux flag name, where they differ.
PUBLISHED_TO_LINUX: Dict[str, str] = {"sse3": "pni"}
LINUX_TO_PUBLISHED: Dict[str, str] = {v: k for k, v in PUBLISHED_TO_LINUX.items()}

#: Every extension this provider can publish, in report order.
ALL_EXTENSIONS: Tuple[str, ...] = UPSTREAM_EXTENSIONS + EXTRA_EXTENSIONS

#: Extensions that execute only with the YMM register state enabled by the OS
#: (XCR0 bits 1–2): glibc marks them usable only when AVX is.
YMM_EXTENSIONS: FrozenSet[str] = frozenset(
    {
        "avx",
        "avx2",
        "fma",
        "f16c",
        "vaes",
        "vpclmulqdq",
        "avx_vnni",
        "avx_vnni_int8",
        "avx_vnni_int16",
        "avx_ne_convert",
        "avx_ifma",
        "sha512",
        "sm3",
        "sm4",
        "fma4",
        "xop",
    }
)

#: Extensions that need the AVX-512 state (opmask + ZMM, XCR0 bits 5–7).
ZMM_EXTENSIONS: FrozenSet[str] = frozenset(
    name for name in ALL_EXTENSIONS if name.startswith("avx512")
)

#: Extensions that need the AMX tile state (XCR0 bits 17–18).
AMX_EXTENSIONS: FrozenSet[str] = frozenset(n for n in ALL_EXTENSIONS if n.startswith("amx_"))

#: XCR0 masks (Intel SDM vol. 1 §13): SSE+AVX, opmask+ZMM_Hi256+Hi16_ZMM, AMX.
XCR0_YMM = 0b110
XCR0_ZMM = 0b1110_0000
XCR0_AMX = (1 << 17) | (1 << 18)

#: The smallest XSAVE area (standard format) that holds the YMM / ZMM state:
#: legacy area 512 + header 64 (+ AVX 256) (+ opmask 64 + ZMM_Hi256 512 +
#: Hi16_ZMM 1024).  The kernel's ``AT_MINSIGSTKSZ`` includes the XSAVE area of
#: every state component it enabled, so a smaller value proves the component
#: is off (Linux ≥ 5.14 provides it on x86).
MIN_SIGFRAME_WITH_YMM = 512 + 64 + 256
MIN_SIGFRAME_WITH_ZMM = MIN_SIGFRAME_WITH_YMM + 64 + 512 + 1024

# -- CPUID ------------------------------------------------------------------------------

#: ``(leaf, subleaf, register index (eax=0 … edx=3), bit) → Linux flag name``.
#: Bit positions: Intel SDM vol. 2A CPUID, AMD APM vol. 3, Linux ``cpufeatures.h``.
#: ``osxsave`` is not a Linux flag; it is used for the OS-state check.
CPUID_BITS: Tuple[Tuple[int, int, int, int, str], ...] = (
    # leaf 1 EDX
    (1, 0, 3, 0, "fpu"),
    (1, 0, 3, 8, "cx8"),
    (1, 0, 3, 15, "cmov"),
    (1, 0, 3, 23, "mmx"),
    (1, 0, 3, 24, "fxsr"),
    (1, 0, 3, 25, "sse"),
    (1, 0, 3, 26, "sse2"),
    # leaf 1 ECX
    (1, 0, 2, 0, "pni"),
    (1, 0, 2, 1, "pclmulqdq"),
    (1, 0, 2, 9, "ssse3"),
    (1, 0, 2, 12, "fma"),
    (1, 0, 2, 13, "cx16"),
    (1, 0, 2, 19, "sse4_1"),
    (1, 0, 2, 20, "sse4_2"),
    (1, 0, 2, 22, "movbe"),
    (1, 0, 2, 23, "popcnt"),
    (1, 0, 2, 25, "aes"),
    (1, 0, 2, 26, "xsave"),
    (1, 0, 2, 27, "osxsave"),
    (1, 0, 2, 28, "avx"),
    (1, 0, 2, 29, "f16c"),
    (1, 0, 2, 30, "rdrand"),
    # leaf 7.0 EBX
    (7, 0, 1, 0, "fsgsbase"),
    (7, 0, 1, 1, "tsc_adjust"),
    (7, 0, 1, 3, "bmi1"),
    (7, 0, 1, 5, "avx2"),
    (7, 0, 1, 8, "bmi2"),
    (7, 0, 1, 16, "avx512f"),
    (7, 0, 1, 17, "avx512dq"),
    (7, 0, 1, 18, "rdseed"),
    (7, 0, 1, 19, "adx"),
    (7, 0, 1, 21, "avx512ifma"),
    (7, 0, 1, 23, "clflushopt"),
    (7, 0, 1, 24, "clwb"),
    (7, 0, 1, 26, "avx512pf"),
    (7, 0, 1, 27, "avx512er"),
    (7, 0, 1, 28, "avx512cd"),
    (7, 0, 1, 29, "sha_ni"),
    (7, 0, 1, 30, "avx512bw"),
    (7, 0, 1, 31, "avx512vl"),
    # leaf 7.0 ECX
    (7, 0, 2, 1, "avx512vbmi"),
    (7, 0, 2, 3, "pku"),
    (7, 0, 2, 5, "waitpkg"),
    (7, 0, 2, 6, "avx512_vbmi2"),
    (7, 0, 2, 8, "gfni"),
    (7, 0, 2, 9, "vaes"),
    (7, 0, 2, 10, "vpclmulqdq"),
    (7, 0, 2, 11, "avx512_vnni"),
    (7, 0, 2, 12, "avx512_bitalg"),
    (7, 0, 2, 14, "avx512_vpopcntdq"),
    (7, 0, 2, 22, "rdpid"),
    (7, 0, 2, 25, "cldemote"),
    (7, 0, 2, 27, "movdiri"),
    (7, 0, 2, 28, "movdir64b"),
    (7, 0, 2, 29, "enqcmd"),
    # leaf 7.0 EDX
    (7, 0, 3, 2, "avx512_4vnniw"),
    (7, 0, 3, 3, "avx512_4fmaps"),
    (7, 0, 3, 8, "avx512_vp2intersect"),
    (7, 0, 3, 14, "serialize"),
    (7, 0, 3, 22, "amx_bf16"),
    (7, 0, 3, 23, "avx512_fp16"),
    (7, 0, 3, 24, "amx_tile"),
    (7, 0, 3, 25, "amx_int8"),
    # leaf 7.1 EAX
    (7, 1, 0, 0, "sha512"),
    (7, 1, 0, 1, "sm3"),
    (7, 1, 0, 2, "sm4"),
    (7, 1, 0, 4, "avx_vnni"),
    (7, 1, 0, 5, "avx512_bf16"),
    (7, 1, 0, 7, "cmpccxadd"),
    (7, 1, 0, 21, "amx_fp16"),
    (7, 1, 0, 23, "avx_ifma"),
    # leaf 7.1 EDX
    (7, 1, 3, 4, "avx_vnni_int8"),
    (7, 1, 3, 5, "avx_ne_convert"),
    (7, 1, 3, 8, "amx_complex"),
    (7, 1, 3, 10, "avx_vnni_int16"),
    # leaf 0xD.1 EAX
    (0xD, 1, 0, 0, "xsaveopt"),
    (0xD, 1, 0, 1, "xsavec"),
    (0xD, 1, 0, 3, "xsaves"),
    # extended leaf 0x80000001
    (0x80000001, 0, 2, 0, "lahf_lm"),
    (0x80000001, 0, 2, 5, "abm"),
    (0x80000001, 0, 2, 6, "sse4a"),
    (0x80000001, 0, 2, 8, "3dnowprefetch"),
    (0x80000001, 0, 2, 11, "xop"),
    (0x80000001, 0, 2, 16, "fma4"),
    (0x80000001, 0, 2, 21, "tbm"),
    (0x80000001, 0, 3, 11, "syscall"),
    (0x80000001, 0, 3, 29, "lm"),
    # extended leaf 0x80000008 EBX (AMD)
    (0x80000008, 0, 1, 0, "clzero"),
)

#: Every flag name the CPUID decoder can produce.
CPUID_NAMES: FrozenSet[str] = frozenset(entry[4] for entry in CPUID_BITS)

# -- macOS ------------------------------------------------------------------------------

#: ``machdep.cpu.features`` / ``leaf7_features`` / ``extfeatures`` word → Linux name.
#: Words that already equal the Linux name lower-cased need no entry.
DARWIN_FEATURE_NAMES: Dict[str, str] = {
    "SSE3": "pni",
    "SSE4.1": "sse4_1",
    "SSE4.2": "sse4_2",
    "AVX1.0": "avx",
    "LAHF": "lahf_lm",
    "LZCNT": "abm",
    "SHA": "sha_ni",
    "RDWRFSGS": "fsgsbase",
    "TSC_THREAD_OFFSET": "tsc_adjust",
    "AVX512IFMA": "avx512ifma",
    "AVX512VBMI": "avx512vbmi",
    "AVX512VBMI2": "avx512_vbmi2",
    "AVX512VNNI": "avx512_vnni",
    "AVX512BITALG": "avx512_bitalg",
    "AVX512VPOPCNTDQ": "avx512_vpopcntdq",
    "AVX512BF16": "avx512_bf16",
    "AVX512VP2INTERSECT": "avx512_vp2intersect",
    "RDPID": "rdpid",
    "PREFETCHW": "3dnowprefetch",
    "SYSCALL": "syscall",
    "EM64T": "lm",
    "OSXSAVE": "osxsave",
}

#: ``hw.optional.<key>`` (OS-aware: 0 when the OS does not enable the state) → Linux name.
DARWIN_OPTIONAL_NAMES: Dict[str, str] = {
    "sse3": "pni",
    "supplementalsse3": "ssse3",
    "sse4_1": "sse4_1",
    "sse4_2": "sse4_2",
    "avx1_0": "avx",
    "avx2_0": "avx2",
    "fma": "fma",
    "f16c": "f16c",
    "bmi1": "bmi1",
    "bmi2": "bmi2",
    "avx512f": "avx512f",
    "avx512cd": "avx512cd",
    "avx512dq": "avx512dq",
    "avx512bw": "avx512bw",
    "avx512vl": "avx512vl",
    "avx512ifma": "avx512ifma",
    "avx512vbmi": "avx512vbmi",
}

# -- py-cpuinfo (Windows fallback) -------------------------------------------------------

#: py-cpuinfo's CPUID spellings → Linux names (it merges both vocabularies).
PYCPUINFO_NAMES: Dict[str, str] = {
    "sse3": "pni",
    "lahf": "lahf_lm",
    "lzcnt": "abm",
    "sha": "sha_ni",
    "rdrnd": "rdrand",
    "avx512vnni": "avx512_vnni",
    "avx512vbmi2": "avx512_vbmi2",
    "avx512bitalg": "avx512_bitalg",
    "avx512vpopcntdq": "avx512_vpopcntdq",
    "avx5124vnniw": "avx512_4vnniw",
    "avx5124fmaps": "avx512_4fmaps",
    "bmi1": "bmi1",
}
