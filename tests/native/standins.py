"""Stand-in vendor libraries, compiled at test time from the C sources beside this file.

``nvml.c``, ``cuda.c`` and ``ze_loader.c`` export the C ABI of
``libnvidia-ml.so.1`` (the entry points pynvml calls), ``libcuda.so.1`` and
``libze_loader.so.1``.  What machine they pretend to drive is data: a
:class:`Nvml`, :class:`Cuda` or :class:`LevelZero` value rendered into a
generated ``config.h`` (devices, return codes per call, entry points left
out, entry points that hang).  :class:`StandIns` compiles them with the
system C compiler into a directory that a child process finds through
``LD_LIBRARY_PATH`` — the facades' ordinary library search, no hook.

``from_answer`` on each config turns a recorded facade answer
(``native.<name>.answer`` of a ``machine.json``) back into the library that
gives it, so a recorded machine can be run live.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple, Union

import pytest

HERE = Path(__file__).resolve().parent

#: The compiler the stand-ins need; the tests using them skip without it.
COMPILER = shutil.which("gcc") or shutil.which("cc")

Text = Union[str, bytes]
GiB = 1024**3


def require_compiler() -> str:
    """The C compiler; without one the test skips — except in CI (``CI`` set),
    where the stand-in tests must run, so a missing compiler fails them."""
    if COMPILER is None:
        message = "no C compiler (gcc or cc) on PATH: the stand-in vendor libraries need one"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return COMPILER


def c_string(value: Optional[Text]) -> str:
    """A C string literal for *value*, every byte outside a safe set octal-escaped."""
    if value is None:
        return '""'
    data = value.encode("utf-8") if isinstance(value, str) else value
    safe = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .:-_()"
    return '"' + "".join(chr(b) if b in safe else f"\\{b:03o}" for b in data) + '"'


def _header(
    defines: Mapping[str, Any], omit: FrozenSet[str], hang: FrozenSet[str], body: Sequence[str]
) -> str:
    lines = ["/* generated for one test */"]
    lines += [f"#define {name} {value}" for name, value in defines.items()]
    lines += [f"#define SD_OMIT_{name} 1" for name in sorted(omit)]
    hangs = ", ".join(c_string(h) for h in sorted(hang))
    lines.append(f"static const char *const SD_HANGS[] = {{{hangs + ', ' if hangs else ''}NULL}};")
    lines += body
    return "\n".join(lines) + "\n"


def _rc(rcs: Mapping[str, int], key: str) -> int:
    return int(rcs.get(key, 0))


# -- NVML --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NvmlMig:
    """One MIG device in instance slot ``slot`` of its GPU."""

    slot: int
    name: Text = "NVIDIA A100 80GB PCIe MIG 3g.40gb"
    uuid: str = "MIG-00000000-0000-4000-8000-000000000000"
    memory_total: int = 40 * GiB
    rc: Mapping[str, int] = field(default_factory=dict)  # name, uuid, memory


@dataclass(frozen=True)
class NvmlGpu:
    """One GPU; ``rc`` maps a call (handle, name, uuid, cc, memory, pci, mig_mode,
    max_mig) to the ``nvmlReturn_t`` it fails with."""

    name: Text = "NVIDIA H100 80GB HBM3"
    cc: Tuple[int, int] = (9, 0)
    uuid: str = "GPU-00000000-0000-4000-8000-000000000000"
    memory_total: int = 80 * GiB
    pci_bus_id: str = "00000000:18:00.0"
    mig: Tuple[int, int] = (0, 0)
    max_mig: int = 7
    migs: Sequence[NvmlMig] = ()
    rc: Mapping[str, int] = field(default_factory=dict)
    #: ``nvmlDriverModel_t`` (0 WDDM, 1 TCC, 2 MCDM); ``None``: NOT_SUPPORTED, as on Linux.
    driver_model: Optional[int] = None


@dataclass(frozen=True)
class Nvml:
    """``libnvidia-ml.so.1``; ``rc`` keys: init, driver, cuda_v2, cuda, count."""

    gpus: Sequence[NvmlGpu] = ()
    driver_version: str = "570.124.06"
    cuda_version: int = 12080
    rc: Mapping[str, int] = field(default_factory=dict)
    omit: FrozenSet[str] = frozenset()
    hang: FrozenSet[str] = frozenset()

    soname = "libnvidia-ml.so.1"
    source = "nvml.c"

    def header(self) -> str:
        gpus, migs = [], []
        for index, gpu in enumerate(self.gpus):
            r = gpu.rc
            gpus.append(
                f"{{{_rc(r, 'handle')}, {c_string(gpu.name)}, {_rc(r, 'name')}, "
                f"{c_string(gpu.uuid)}, {_rc(r, 'uuid')}, {gpu.cc[0]}, {gpu.cc[1]}, "
                f"{_rc(r, 'cc')}, {gpu.memory_total}ULL, {_rc(r, 'memory')}, "
                f"{c_string(gpu.pci_bus_id)}, 0x10de, {_rc(r, 'pci')}, {gpu.mig[0]}, "
                f"{gpu.mig[1]}, {_rc(r, 'mig_mode')}, {gpu.max_mig}, {_rc(r, 'max_mig')}, "
                f"{gpu.driver_model or 0}, "
                f"{r.get('driver_model', 3 if gpu.driver_model is None else 0)}}}"
            )
            for mig in gpu.migs:
                m = mig.rc
                migs.append(
                    f"{{{index}, {mig.slot}, {c_string(mig.name)}, {_rc(m, 'name')}, "
                    f"{c_string(mig.uuid)}, {_rc(m, 'uuid')}, {mig.memory_total}ULL, "
                    f"{_rc(m, 'memory')}}}"
                )
        defines = {
            "SD_INIT_RC": _rc(self.rc, "init"),
            "SD_DRIVER_RC": _rc(self.rc, "driver"),
            "SD_DRIVER_VERSION": c_string(self.driver_version),
            "SD_CUDA_V2_RC": _rc(self.rc, "cuda_v2"),
            "SD_CUDA_RC": _rc(self.rc, "cuda"),
            "SD_CUDA_VERSION": self.cuda_version,
            "SD_COUNT_RC": _rc(self.rc, "count"),
            "SD_GPU_COUNT": len(gpus),
            "SD_MIG_COUNT": len(migs),
        }
        body = [
            "static const sd_gpu_t SD_GPUS[] = {" + ", ".join([*gpus, "{0}"]) + "};",
            "static const sd_mig_t SD_MIGS[] = {" + ", ".join([*migs, "{0}"]) + "};",
        ]
        return _header(defines, self.omit, self.hang, body)

    @classmethod
    def from_answer(cls, answer: Mapping[str, Any]) -> Nvml:
        """The library that gives the recorded ``native.nvml`` *answer*."""
        rc: Dict[str, int] = {"init": answer["init"][0]}
        values: Dict[str, Any] = {}
        for key, name in (
            ("driver_version", "driver"),
            ("cuda_driver_version_v2", "cuda_v2"),
            ("cuda_driver_version", "cuda"),
            ("count", "count"),
        ):
            if key in answer:
                rc[name] = answer[key][0]
                values[key] = answer[key][1]
        gpus = [_gpu_from_answer(raw) for raw in answer.get("devices", [])]
        cuda = values.get("cuda_driver_version_v2") or values.get("cuda_driver_version") or 0
        return cls(
            gpus=gpus,
            driver_version=values.get("driver_version") or "",
            cuda_version=int(cuda),
            rc=rc,
        )


def _gpu_from_answer(raw: Mapping[str, Any]) -> NvmlGpu:
    rc = {"handle": raw["handle"][0]}
    value: Dict[str, Any] = {}
    for key, name in (
        ("name", "name"),
        ("uuid", "uuid"),
        ("cc", "cc"),
        ("memory_total", "memory"),
        ("pci_bus_id", "pci"),
        ("mig_mode", "mig_mode"),
        ("driver_model", "driver_model"),
    ):
        if key in raw:
            rc[name] = raw[key][0]
            value[key] = raw[key][1]
    migs = [
        NvmlMig(
            slot=m["index"],
            name=m["name"][1] or "",
            uuid=m["uuid"][1] or "",
            memory_total=m["memory_total"][1] or 0,
            rc={"name": m["name"][0], "uuid": m["uuid"][0], "memory": m["memory_total"][0]},
        )
        for m in raw.get("mig_devices", [])
    ]
    return NvmlGpu(
        name=value.get("name") or "",
        cc=tuple(value.get("cc") or (0, 0)),
        uuid=value.get("uuid") or "",
        memory_total=value.get("memory_total") or 0,
        pci_bus_id=value.get("pci_bus_id") or "",
        mig=tuple(value.get("mig_mode") or (0, 0)),
        driver_model=(value.get("driver_model") or [None])[0],
        max_mig=7,
        migs=migs,
        rc=rc,
    )


# -- CUDA driver API ---------------------------------------------------------------------


@dataclass(frozen=True)
class CudaDevice:
    """One device; ``rc`` keys: get, attribute, name, memory (``CUresult``)."""

    name: Text = "NVIDIA H100 80GB HBM3"
    cc: Tuple[int, int] = (9, 0)
    uuid: str = "GPU-00000000-0000-4000-8000-000000000000"
    memory_total: int = 80 * GiB
    rc: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Cuda:
    """``libcuda.so.1``; ``rc`` keys: init, version, count."""

    devices: Sequence[CudaDevice] = ()
    version: int = 12080
    rc: Mapping[str, int] = field(default_factory=dict)
    omit: FrozenSet[str] = frozenset()
    hang: FrozenSet[str] = frozenset()

    soname = "libcuda.so.1"
    source = "cuda.c"

    def header(self) -> str:
        devices = [
            f"{{{c_string(d.name)}, {c_string(d.uuid)}, {d.cc[0]}, {d.cc[1]}, "
            f"{_rc(d.rc, 'attribute')}, {_rc(d.rc, 'name')}, {d.memory_total}ULL, "
            f"{_rc(d.rc, 'memory')}, {_rc(d.rc, 'get')}}}"
            for d in self.devices
        ]
        defines = {
            "SD_INIT_RC": _rc(self.rc, "init"),
            "SD_VERSION_RC": _rc(self.rc, "version"),
            "SD_DRIVER_VERSION": self.version,
            "SD_COUNT_RC": _rc(self.rc, "count"),
            "SD_DEVICE_COUNT": len(devices),
        }
        body = [
            "static const sd_cuda_device_t SD_DEVICES[] = {" + ", ".join([*devices, "{0}"]) + "};"
        ]
        return _header(defines, self.omit, self.hang, body)

    @classmethod
    def from_answer(cls, answer: Mapping[str, Any]) -> Cuda:
        """The library that gives the recorded ``native.libcuda`` *answer*."""
        rc = {"init": int(answer["cuInit"])}
        version = answer.get("version", [0, 0])
        rc["version"] = version[0]
        devices = []
        for raw in answer.get("devices", []):
            devices.append(
                CudaDevice(
                    name=raw.get("name", [0, ""])[1] or "",
                    cc=tuple(raw.get("cc", [0, [0, 0]])[1] or (0, 0)),
                    memory_total=raw.get("memory_total", [0, 0])[1] or 0,
                    rc={
                        "get": raw["device"][0],
                        "attribute": raw.get("cc", [0])[0],
                        "name": raw.get("name", [0])[0],
                        "memory": raw.get("memory_total", [0])[0],
                    },
                )
            )
        return cls(devices=devices, version=version[1] or 0, rc=rc)


# -- Level Zero --------------------------------------------------------------------------

ZE_DEVICE_TYPE_GPU = 1
ZE_DEVICE_TYPE_VPU = 5  # the NPU
INTEGRATED = 1


@dataclass(frozen=True)
class ZeDevice:
    """One device (``tiles``: its sub-devices); ``props_rc`` fails
    ``zeDeviceGetProperties``, ``ip_rc`` fails it only with the IP extension chained."""

    device_id: int = 0x56A0
    ip_version: int = 0x030DC008  # 12.55.8
    name: Text = "Intel(R) Arc(TM) A770 Graphics"
    type: int = ZE_DEVICE_TYPE_GPU
    vendor_id: int = 0x8086
    flags: int = 0
    subdevice_id: int = 0
    core_clock: int = 2400
    slices: int = 1
    subslices_per_slice: int = 32
    eus_per_subslice: int = 16
    props_rc: int = 0
    ip_rc: int = 0
    tiles: Sequence[ZeDevice] = ()


@dataclass(frozen=True)
class ZeDriver:
    devices: Sequence[ZeDevice] = ()
    api_version: int = (1 << 16) | 13
    driver_version: int = 17000065
    device_get_rc: int = 0


@dataclass(frozen=True)
class LevelZero:
    """``libze_loader.so.1``; ``flat``: the hierarchy when ``ZE_FLAT_DEVICE_HIERARCHY`` is unset."""

    drivers: Sequence[ZeDriver] = ()
    init_rc: int = 0
    flat: bool = True
    omit: FrozenSet[str] = frozenset()
    hang: FrozenSet[str] = frozenset()

    soname = "libze_loader.so.1"
    source = "ze_loader.c"

    def header(self) -> str:
        rows: List[str] = []

        def add(driver: int, parent: int, d: ZeDevice) -> None:
            index = len(rows)
            rows.append(
                f"{{{driver}, {parent}, {d.type}, {d.vendor_id}, {d.device_id}, {d.flags}, "
                f"{d.subdevice_id}, {d.core_clock}, {d.slices}, {d.subslices_per_slice}, "
                f"{d.eus_per_subslice}, {c_string(d.name)}, {d.ip_version}u, {d.props_rc}u, "
                f"{d.ip_rc}u}}"
            )
            for tile in d.tiles:
                add(driver, index, tile)

        for n, drv in enumerate(self.drivers):
            for dev in drv.devices:
                add(n, -1, dev)
        drivers = [
            f"{{{d.api_version}u, {d.driver_version}u, {d.device_get_rc}u}}" for d in self.drivers
        ]
        defines = {
            "SD_INIT_RC": f"{self.init_rc}u",
            "SD_DEFAULT_FLAT": int(self.flat),
            "SD_ZE_DRIVER_COUNT": len(drivers),
            "SD_ZE_DEVICE_COUNT": len(rows),
        }
        body = [
            "static const sd_ze_driver_t SD_ZE_DRIVERS[] = {" + ", ".join([*drivers, "{0}"]) + "};",
            "static const sd_ze_device_t SD_ZE_DEVICES[] = {" + ", ".join([*rows, "{0}"]) + "};",
        ]
        return _header(defines, self.omit, self.hang, body)

    @classmethod
    def from_answer(cls, answer: Mapping[str, Any]) -> LevelZero:
        """The loader that gives the recorded ``native.level_zero`` *answer*.

        A recording whose root devices list sub-devices was made in the
        COMPOSITE hierarchy, one without in the FLAT one.
        """
        init = answer["init"]
        flat = not any(
            d.get("subdevices") for drv in answer.get("drivers", []) for d in drv.get("devices", [])
        )
        omit = frozenset() if init["function"] == "zeInitDrivers" else {"zeInitDrivers"}

        def device(raw: Mapping[str, Any]) -> ZeDevice:
            # The stand-in sets ZE_DEVICE_PROPERTY_FLAG_SUBDEVICE itself on tiles.
            return ZeDevice(
                device_id=raw.get("device_id", 0),
                ip_version=raw.get("ip_version") or 0,
                name=raw.get("name", ""),
                type=raw.get("type", 0),
                vendor_id=raw.get("vendor_id", 0),
                flags=int(raw.get("flags", 0)) & ~2,
                subdevice_id=raw.get("subdevice_id", 0),
                core_clock=raw.get("core_clock_mhz", 0),
                slices=raw.get("slices", 0),
                subslices_per_slice=raw.get("subslices_per_slice", 0),
                eus_per_subslice=raw.get("eus_per_subslice", 0),
                props_rc=raw.get("result", 0),
                ip_rc=raw.get("ip_result", 0),
                tiles=[device(s) for s in raw.get("subdevices", [])],
            )

        drivers = [
            ZeDriver(
                devices=[device(d) for d in drv.get("devices", [])],
                api_version=drv.get("api_version", 0),
                driver_version=drv.get("driver_version", 0),
                device_get_rc=drv.get("device_get_result", 0),
            )
            for drv in answer.get("drivers", [])
        ]
        return cls(drivers=drivers, init_rc=init["result"], flat=flat, omit=frozenset(omit))


# -- HIP runtime -------------------------------------------------------------------------


@dataclass(frozen=True)
class HipDevice:
    """One GPU as ``hipGetDeviceProperties`` describes it."""

    name: Text = "AMD Radeon RX 7900 XTX"
    gcn_arch_name: Text = "gfx1100"
    integrated: bool = False
    total_global_mem: int = 24 * GiB
    major: int = 11
    minor: int = 0
    compute_units: int = 96
    pci: Tuple[int, int, int] = (0, 3, 0)  # domain, bus, device


@dataclass(frozen=True)
class Hip:
    """``libamdhip64.so`` / ``amdhip64_<N>.dll``; ``omit`` hipGetDevicePropertiesR0600 for HIP 5.

    Versions are ``major * 10**7 + minor * 10**5 + patch`` as the runtime encodes them.
    """

    devices: Sequence[HipDevice] = ()
    runtime_version: int = 60241134
    driver_version: int = 60241134
    count_rc: int = 0
    driver_rc: int = 0
    props_rc: int = 0
    omit: FrozenSet[str] = frozenset()
    hang: FrozenSet[str] = frozenset()

    soname = "libamdhip64.so.6"
    source = "hip.c"

    def header(self) -> str:
        rows = [
            f"{{{c_string(d.name)}, {c_string(d.gcn_arch_name)}, {int(d.integrated)}, "
            f"{d.total_global_mem}ULL, {d.major}, {d.minor}, {d.compute_units}, "
            f"{d.pci[0]}, {d.pci[1]}, {d.pci[2]}}}"
            for d in self.devices
        ]
        defines = {
            "SD_RUNTIME_VERSION": self.runtime_version,
            "SD_DRIVER_VERSION": self.driver_version,
            "SD_DRIVER_RC": self.driver_rc,
            "SD_COUNT_RC": self.count_rc,
            "SD_PROPS_RC": self.props_rc,
            "SD_HIP_DEVICE_COUNT": len(rows),
        }
        body = [
            "static const sd_hip_device_t SD_HIP_DEVICES[] = {" + ", ".join([*rows, "{0}"]) + "};"
        ]
        return _header(defines, self.omit, self.hang, body)


Config = Union[Nvml, Cuda, LevelZero, Hip]


class StandIns:
    """A directory of compiled stand-ins, found by a child through ``LD_LIBRARY_PATH``.

    Builds are cached in ``cache`` by the hash of source and configuration,
    so a test suite compiles each distinct library once.
    """

    def __init__(self, directory: Path, cache: Path) -> None:
        self.directory = directory
        self.cache = cache
        directory.mkdir(parents=True, exist_ok=True)
        cache.mkdir(parents=True, exist_ok=True)

    def install(self, *configs: Config, soname: Optional[str] = None) -> StandIns:
        """Compile each config and place it in the directory under its soname."""
        for config in configs:
            self.place(config, self.directory / (soname or config.soname))
        return self

    def place(self, config: Config, target: Path) -> Path:
        """Compile *config* and copy it to *target* (any name: ``amdhip64_6.dll`` too)."""
        compiler = require_compiler()
        header = config.header()
        sources = [(HERE / n).read_text() for n in (config.source, "standin.h")]
        digest = hashlib.sha256("\0".join([header, *sources]).encode()).hexdigest()[:20]
        built = self.cache / f"{digest}.so"
        if not built.exists():
            work = self.cache / digest
            work.mkdir(exist_ok=True)
            (work / "config.h").write_text(header)
            argv = [
                compiler,
                "-shared",
                "-fPIC",
                "-O1",
                "-Wall",
                "-Werror",
                "-Wno-unused-function",
                f"-I{work}",
                f"-I{HERE}",
                f"-Wl,-soname,{config.soname}",
                "-o",
                str(work / "lib.so"),
                str(HERE / config.source),
            ]
            done = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=120)
            if done.returncode != 0:
                raise AssertionError(f"stand-in {config.source} did not build:\n{done.stderr}")
            (work / "lib.so").replace(built)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
        shutil.copyfile(built, target)
        return target

    def environ(self, **extra: str) -> Dict[str, str]:
        """An environment in which a child loads these stand-ins and nothing else."""
        empty = self.directory / "bin"
        empty.mkdir(exist_ok=True)
        return {"LD_LIBRARY_PATH": str(self.directory), "PATH": str(empty), **extra}
