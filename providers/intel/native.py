"""Level Zero through ctypes — run only in the native-facade child process.

:func:`query` is the target of the ``level_zero`` facade
(``variant_providers.providers.intel.native:query``).  The seam runs it in a
fresh ``python -I`` interpreter with a timeout, so loading the driver stack,
a hung ``zeInit`` or a crash never touches the caller.  Nothing here is
imported by the provider itself.

What it does, in the order the Level Zero spec asks for:

1. load ``libze_loader.so.1`` by soname, or the full paths the caller chose
   (``System32\\ze_loader.dll`` on Windows) — no hard-coded distribution path;
2. ``zeInitDrivers`` with a GPU driver-type descriptor (spec 1.10+), or on
   an older loader that lacks the symbol ``zeInit(GPU_ONLY)`` +
   ``zeDriverGet`` (never both in one process: the spec makes them
   mutually exclusive);
3. per driver: API version, driver version, ``zeDeviceGet``;
4. per device: ``zeDeviceGetProperties`` with a ``ze_device_ip_version_ext_t``
   chained on ``pNext``, then the sub-devices and their properties.

Every failure is returned as data: the raw ``ze_result_t`` numbers are kept
(the provider names them), a failed load is ``{"loader": {"ok": false}}``.
"""

from __future__ import annotations

import ctypes
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from variant_providers.native_lib import LibrarySearch, load_library

__all__ = ["query"]

#: The loader by soname on every OS, never a distribution path.
LOADER = LibrarySearch(
    "the Level Zero loader", {"Linux": ("libze_loader.so.1",), "Windows": ("ze_loader.dll",)}
)
LINUX_LIBRARY = LOADER.names["Linux"][0]

ZE_RESULT_SUCCESS = 0

ZE_STRUCTURE_TYPE_DRIVER_PROPERTIES = 0x1
ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES = 0x3
ZE_STRUCTURE_TYPE_INIT_DRIVER_TYPE_DESC = 0x00020021
ZE_STRUCTURE_TYPE_DEVICE_IP_VERSION_EXT = 0x0001000F

ZE_INIT_FLAG_GPU_ONLY = 1
ZE_INIT_DRIVER_TYPE_FLAG_GPU = 1

ZE_MAX_DEVICE_NAME = 256
ZE_MAX_UUID_SIZE = 16

#: More devices than this on one driver is treated as garbage.
_MAX_HANDLES = 4096


# Handles are pointers to opaque structs (a bare c_void_p return type loses
# the upper bits on some platforms).
class _OpaqueDriver(ctypes.Structure):
    pass


class _OpaqueDevice(ctypes.Structure):
    pass


DriverHandle = ctypes.POINTER(_OpaqueDriver)
DeviceHandle = ctypes.POINTER(_OpaqueDevice)


class InitDriverTypeDesc(ctypes.Structure):
    """``ze_init_driver_type_desc_t``."""

    _fields_ = [
        ("stype", ctypes.c_uint32),
        ("pNext", ctypes.c_void_p),
        ("flags", ctypes.c_uint32),
    ]


class DriverProperties(ctypes.Structure):
    """``ze_driver_properties_t``."""

    _fields_ = [
        ("stype", ctypes.c_uint32),
        ("pNext", ctypes.c_void_p),
        ("uuid", ctypes.c_uint8 * ZE_MAX_UUID_SIZE),
        ("driverVersion", ctypes.c_uint32),
    ]


class DeviceProperties(ctypes.Structure):
    """``ze_device_properties_t`` (field order of ``ze_api.h``)."""

    _fields_ = [
        ("stype", ctypes.c_uint32),
        ("pNext", ctypes.c_void_p),
        ("type", ctypes.c_uint32),
        ("vendorId", ctypes.c_uint32),
        ("deviceId", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("subdeviceId", ctypes.c_uint32),
        ("coreClockRate", ctypes.c_uint32),
        ("maxMemAllocSize", ctypes.c_uint64),
        ("maxHardwareContexts", ctypes.c_uint32),
        ("maxCommandQueuePriority", ctypes.c_uint32),
        ("numThreadsPerEU", ctypes.c_uint32),
        ("physicalEUSimdWidth", ctypes.c_uint32),
        ("numEUsPerSubslice", ctypes.c_uint32),
        ("numSubslicesPerSlice", ctypes.c_uint32),
        ("numSlices", ctypes.c_uint32),
        ("timerResolution", ctypes.c_uint64),
        ("timestampValidBits", ctypes.c_uint32),
        ("kernelTimestampValidBits", ctypes.c_uint32),
        ("uuid", ctypes.c_uint8 * ZE_MAX_UUID_SIZE),
        ("name", ctypes.c_char * ZE_MAX_DEVICE_NAME),
    ]


class DeviceIpVersionExt(ctypes.Structure):
    """``ze_device_ip_version_ext_t`` (``ZE_extension_device_ip_version``)."""

    _fields_ = [
        ("stype", ctypes.c_uint32),
        ("pNext", ctypes.c_void_p),
        ("ipVersion", ctypes.c_uint32),
    ]


def chain(head: Any, *extensions: Any) -> None:
    """Link *extensions* one after another on ``head.pNext``.

    Each structure's ``pNext`` points at the next one, so any number of
    extension structs can be chained; the caller keeps them all alive for
    the duration of the call.
    """
    previous = head
    for ext in extensions:
        ext.pNext = None
        previous.pNext = ctypes.cast(ctypes.pointer(ext), ctypes.c_void_p)
        previous = ext


class _Api:
    """The loader's entry points with their signatures declared."""

    def __init__(self, lib: Any) -> None:
        self.lib = lib
        u32 = ctypes.c_uint32
        p_u32 = ctypes.POINTER(ctypes.c_uint32)
        self.zeDeviceGet = self._fn("zeDeviceGet", [DriverHandle, p_u32, ctypes.c_void_p])
        self.zeDeviceGetProperties = self._fn(
            "zeDeviceGetProperties", [DeviceHandle, ctypes.POINTER(DeviceProperties)]
        )
        self.zeDeviceGetSubDevices = self._fn(
            "zeDeviceGetSubDevices", [DeviceHandle, p_u32, ctypes.c_void_p]
        )
        self.zeDriverGetApiVersion = self._fn("zeDriverGetApiVersion", [DriverHandle, p_u32])
        self.zeDriverGetProperties = self._fn(
            "zeDriverGetProperties", [DriverHandle, ctypes.POINTER(DriverProperties)]
        )
        self.zeInitDrivers = self._fn(
            "zeInitDrivers", [p_u32, ctypes.c_void_p, ctypes.POINTER(InitDriverTypeDesc)]
        )
        self.zeInit = self._fn("zeInit", [u32])
        self.zeDriverGet = self._fn("zeDriverGet", [p_u32, ctypes.c_void_p])

    def _fn(self, name: str, argtypes: List[Any]) -> Optional[Callable[..., int]]:
        try:
            fn = getattr(self.lib, name)
        except AttributeError:
            return None
        fn.argtypes = argtypes
        fn.restype = ctypes.c_uint32
        return fn  # type: ignore[no-any-return]


def _load(
    libraries: Optional[List[str]], os_name: Optional[str]
) -> Tuple[Optional[Any], Dict[str, Any]]:
    lib, name, errors = load_library(LOADER, os_name, libraries)
    if lib is None:
        tried = libraries or LOADER.candidates(os_name)
        return None, {
            "ok": False,
            "library": tried[0] if tried else None,
            "error": "; ".join(errors[:2]),
        }
    return lib, {"ok": True, "library": name}


def _handles(fn: Callable[..., int], handle_type: Any, *prefix: Any) -> Tuple[int, List[Any]]:
    """The two-call enumeration idiom: ask for the count, then the handles."""
    count = ctypes.c_uint32(0)
    result = fn(*prefix, ctypes.byref(count), None)
    if result != ZE_RESULT_SUCCESS or count.value == 0:
        return result, []
    n = min(count.value, _MAX_HANDLES)
    count.value = n
    array = (handle_type * n)()
    result = fn(*prefix, ctypes.byref(count), array)
    if result != ZE_RESULT_SUCCESS:
        return result, []
    return result, [array[i] for i in range(min(count.value, n))]


def _init(api: _Api) -> Tuple[Dict[str, Any], List[Any]]:
    if api.zeInitDrivers is not None:
        desc = InitDriverTypeDesc(
            stype=ZE_STRUCTURE_TYPE_INIT_DRIVER_TYPE_DESC,
            pNext=None,
            flags=ZE_INIT_DRIVER_TYPE_FLAG_GPU,
        )
        count = ctypes.c_uint32(0)
        result = api.zeInitDrivers(ctypes.byref(count), None, ctypes.byref(desc))
        info: Dict[str, Any] = {"function": "zeInitDrivers", "result": result}
        if result != ZE_RESULT_SUCCESS or count.value == 0:
            return info, []
        n = min(count.value, _MAX_HANDLES)
        count.value = n
        array = (DriverHandle * n)()
        result = api.zeInitDrivers(ctypes.byref(count), array, ctypes.byref(desc))
        info["result"] = result
        if result != ZE_RESULT_SUCCESS:
            return info, []
        return info, [array[i] for i in range(min(count.value, n))]
    if api.zeInit is None or api.zeDriverGet is None:
        return {"function": None, "result": None, "error": "no zeInitDrivers or zeInit"}, []
    result = api.zeInit(ZE_INIT_FLAG_GPU_ONLY)
    info = {"function": "zeInit", "result": result}
    if result != ZE_RESULT_SUCCESS:
        return info, []
    result, drivers = _handles(api.zeDriverGet, DriverHandle)
    info["driver_get_result"] = result
    return info, drivers


def _device(api: _Api, device: Any, *, subdevices: bool) -> Dict[str, Any]:
    props = DeviceProperties(stype=ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES)
    ip = DeviceIpVersionExt(stype=ZE_STRUCTURE_TYPE_DEVICE_IP_VERSION_EXT, ipVersion=0)
    chain(props, ip)
    assert api.zeDeviceGetProperties is not None
    result = api.zeDeviceGetProperties(device, ctypes.byref(props))
    ip_version: Optional[int] = ip.ipVersion if result == ZE_RESULT_SUCCESS else None
    out: Dict[str, Any] = {}
    if result != ZE_RESULT_SUCCESS:
        # A driver that rejects the extension still answers the plain query.
        out["ip_result"] = result
        props = DeviceProperties(stype=ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES)
        result = api.zeDeviceGetProperties(device, ctypes.byref(props))
        if result != ZE_RESULT_SUCCESS:
            return {"result": result}
    out.update(
        {
            "result": result,
            "type": props.type,
            "vendor_id": props.vendorId,
            "device_id": props.deviceId,
            "flags": props.flags,
            "subdevice_id": props.subdeviceId,
            "name": props.name.decode("utf-8", "replace"),
            "ip_version": ip_version or None,
            "core_clock_mhz": props.coreClockRate,
            "slices": props.numSlices,
            "subslices_per_slice": props.numSubslicesPerSlice,
            "eus_per_subslice": props.numEUsPerSubslice,
        }
    )
    if subdevices and api.zeDeviceGetSubDevices is not None:
        sub_result, handles = _handles(api.zeDeviceGetSubDevices, DeviceHandle, device)
        out["subdevices"] = [_device(api, h, subdevices=False) for h in handles]
        if sub_result != ZE_RESULT_SUCCESS:
            out["subdevices_result"] = sub_result
    return out


def _driver(api: _Api, driver: Any) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    if api.zeDriverGetApiVersion is not None:
        version = ctypes.c_uint32(0)
        if api.zeDriverGetApiVersion(driver, ctypes.byref(version)) == ZE_RESULT_SUCCESS:
            out["api_version"] = version.value
    if api.zeDriverGetProperties is not None:
        props = DriverProperties(stype=ZE_STRUCTURE_TYPE_DRIVER_PROPERTIES)
        if api.zeDriverGetProperties(driver, ctypes.byref(props)) == ZE_RESULT_SUCCESS:
            out["driver_version"] = props.driverVersion
    if api.zeDeviceGet is None or api.zeDeviceGetProperties is None:
        out["devices"] = []
        out["error"] = "zeDeviceGet or zeDeviceGetProperties missing"
        return out
    result, devices = _handles(api.zeDeviceGet, DeviceHandle, driver)
    out["device_get_result"] = result
    out["devices"] = [_device(api, d, subdevices=True) for d in devices]
    return out


def query(libraries: Optional[List[str]] = None, os_name: Optional[str] = None) -> Dict[str, Any]:
    """Everything the provider needs from Level Zero, as JSON-able data.

    *libraries* (Windows: ``System32\\ze_loader.dll``) are full paths to load
    instead of the names of :data:`LOADER`; *os_name* picks another OS's row
    of it (tests run the Windows name on Linux).
    """
    lib, loader = _load(libraries, os_name)
    answer: Dict[str, Any] = {"loader": loader}
    if lib is None:
        return answer
    try:
        api = _Api(lib)
        start = time.perf_counter()
        init, drivers = _init(api)
        init["ms"] = round((time.perf_counter() - start) * 1e3, 3)
        answer["init"] = init
        answer["drivers"] = [_driver(api, d) for d in drivers]
    except Exception as exc:  # ctypes errors are data, like every other failure
        answer["error"] = f"{type(exc).__name__}: {exc}"
    return answer
