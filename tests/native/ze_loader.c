/* A stand-in for libze_loader.so.1: the Level Zero loader entry points the
 * Level Zero facade calls, with ze_api.h's signatures and struct layouts.
 * Like the real stack it honours ZE_FLAT_DEVICE_HIERARCHY (FLAT: every tile
 * is a root device; COMPOSITE: tiles are sub-devices) and ZE_AFFINITY_MASK
 * (root-device indices), so a test sees what a caller's environment does. */
#include <stdint.h>
#include <stdlib.h>

typedef uint32_t ze_result_t;

typedef struct {
    int driver;         /* index into SD_ZE_DRIVERS */
    int parent;         /* -1: a root device; else index of the device it is a tile of */
    uint32_t type;      /* ze_device_type_t */
    uint32_t vendor_id;
    uint32_t device_id;
    uint32_t flags;
    uint32_t subdevice_id;
    uint32_t core_clock;
    uint32_t slices, subslices_per_slice, eus_per_subslice;
    const char *name;
    uint32_t ip_version;
    ze_result_t props_rc; /* zeDeviceGetProperties */
    ze_result_t ip_rc;    /* zeDeviceGetProperties with the IP-version extension chained */
} sd_ze_device_t;

typedef struct {
    uint32_t api_version;
    uint32_t driver_version;
    ze_result_t device_get_rc;
} sd_ze_driver_t;

#include "config.h"
#include "standin.h"

#define ZE_RESULT_SUCCESS 0
#define ZE_RESULT_ERROR_UNINITIALIZED 0x78000001u
#define ZE_RESULT_ERROR_INVALID_ARGUMENT 0x78000004u
#define ZE_RESULT_ERROR_INVALID_NULL_POINTER 0x78000007u
#define ZE_RESULT_ERROR_INVALID_NULL_HANDLE 0x78000005u

#define ZE_STRUCTURE_TYPE_DRIVER_PROPERTIES 0x1
#define ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES 0x3
#define ZE_STRUCTURE_TYPE_INIT_DRIVER_TYPE_DESC 0x00020021
#define ZE_STRUCTURE_TYPE_DEVICE_IP_VERSION_EXT 0x0001000F
#define ZE_INIT_FLAG_GPU_ONLY 1
#define ZE_INIT_DRIVER_TYPE_FLAG_GPU 1
#define ZE_DEVICE_PROPERTY_FLAG_SUBDEVICE 2

typedef struct _ze_driver_handle_t {
    int index;
} *ze_driver_handle_t;

typedef struct _ze_device_handle_t {
    int index;
} *ze_device_handle_t;

typedef struct {
    uint32_t stype;
    const void *pNext;
    uint32_t flags;
} ze_init_driver_type_desc_t;

typedef struct {
    uint32_t stype;
    void *pNext;
    uint8_t uuid[16];
    uint32_t driverVersion;
} ze_driver_properties_t;

typedef struct {
    uint32_t stype;
    void *pNext;
    uint32_t type;
    uint32_t vendorId;
    uint32_t deviceId;
    uint32_t flags;
    uint32_t subdeviceId;
    uint32_t coreClockRate;
    uint64_t maxMemAllocSize;
    uint32_t maxHardwareContexts;
    uint32_t maxCommandQueuePriority;
    uint32_t numThreadsPerEU;
    uint32_t physicalEUSimdWidth;
    uint32_t numEUsPerSubslice;
    uint32_t numSubslicesPerSlice;
    uint32_t numSlices;
    uint64_t timerResolution;
    uint32_t timestampValidBits;
    uint32_t kernelTimestampValidBits;
    uint8_t uuid[16];
    char name[256];
} ze_device_properties_t;

typedef struct {
    uint32_t stype;
    const void *pNext;
    uint32_t ipVersion;
} ze_device_ip_version_ext_t;

/* Any extension struct starts like this. */
typedef struct {
    uint32_t stype;
    void *pNext;
} ze_base_properties_t;

static struct _ze_driver_handle_t sd_drivers[SD_ZE_DRIVER_COUNT + 1];
static struct _ze_device_handle_t sd_devices[SD_ZE_DEVICE_COUNT + 1];
static int sd_state = 0; /* 0: not initialised; 1: zeInit; 2: zeInitDrivers */
static int sd_flat = SD_DEFAULT_FLAT;

static void init_handles(void) {
    for (int i = 0; i < SD_ZE_DRIVER_COUNT; i++) {
        sd_drivers[i].index = i;
    }
    for (int i = 0; i < SD_ZE_DEVICE_COUNT; i++) {
        sd_devices[i].index = i;
    }
    const char *mode = getenv("ZE_FLAT_DEVICE_HIERARCHY");
    if (mode != NULL && strcmp(mode, "COMPOSITE") == 0) {
        sd_flat = 0;
    } else if (mode != NULL && (strcmp(mode, "FLAT") == 0 || strcmp(mode, "COMBINED") == 0)) {
        sd_flat = 1;
    }
}

static int has_tiles(int device) {
    for (int i = 0; i < SD_ZE_DEVICE_COUNT; i++) {
        if (SD_ZE_DEVICES[i].parent == device) {
            return 1;
        }
    }
    return 0;
}

/* The root devices of one driver in the hierarchy in force, in config order. */
static uint32_t roots(int driver, int *out, uint32_t room) {
    uint32_t n = 0;
    for (int i = 0; i < SD_ZE_DEVICE_COUNT; i++) {
        const sd_ze_device_t *d = &SD_ZE_DEVICES[i];
        if (d->driver != driver) {
            continue;
        }
        int root = sd_flat ? (d->parent >= 0 || !has_tiles(i)) : d->parent < 0;
        if (root && n < room) {
            out[n++] = i;
        }
    }
    return n;
}

/* ZE_AFFINITY_MASK: a comma list of root-device indices ("1" or "1.0"). */
static uint32_t apply_affinity(int *devices, uint32_t n) {
    const char *mask = getenv("ZE_AFFINITY_MASK");
    if (mask == NULL || mask[0] == '\0') {
        return n;
    }
    char buffer[512];
    int keep[SD_ZE_DEVICE_COUNT + 1];
    uint32_t kept = 0;
    if (!sd_copy(buffer, sizeof(buffer), mask)) {
        return n;
    }
    for (char *token = strtok(buffer, ","); token != NULL; token = strtok(NULL, ",")) {
        int index = atoi(token);
        if (index >= 0 && (uint32_t)index < n && kept < (uint32_t)SD_ZE_DEVICE_COUNT) {
            keep[kept++] = devices[index];
        }
    }
    for (uint32_t i = 0; i < kept; i++) {
        devices[i] = keep[i];
    }
    return kept;
}

static ze_result_t give_handles(uint32_t *pCount, void **out, void **all, uint32_t n) {
    if (pCount == NULL) {
        return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    }
    if (out == NULL || *pCount == 0) {
        *pCount = n;
        return ZE_RESULT_SUCCESS;
    }
    uint32_t give = *pCount < n ? *pCount : n;
    for (uint32_t i = 0; i < give; i++) {
        out[i] = all[i];
    }
    *pCount = give;
    return ZE_RESULT_SUCCESS;
}

static ze_result_t driver_handles(uint32_t *pCount, ze_driver_handle_t *phDrivers) {
    void *all[SD_ZE_DRIVER_COUNT + 1];
    for (int i = 0; i < SD_ZE_DRIVER_COUNT; i++) {
        all[i] = &sd_drivers[i];
    }
    return give_handles(pCount, (void **)phDrivers, all, SD_ZE_DRIVER_COUNT);
}

#ifndef SD_OMIT_zeInitDrivers
ze_result_t zeInitDrivers(uint32_t *pCount, ze_driver_handle_t *phDrivers,
                          ze_init_driver_type_desc_t *desc) {
    SD_ENTER(zeInitDrivers);
    if (desc == NULL || pCount == NULL) {
        return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    }
    if (desc->stype != ZE_STRUCTURE_TYPE_INIT_DRIVER_TYPE_DESC || desc->flags == 0) {
        return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (sd_state == 1) {
        return ZE_RESULT_ERROR_UNINITIALIZED; /* zeInit and zeInitDrivers do not mix */
    }
    if (SD_INIT_RC != ZE_RESULT_SUCCESS) {
        return SD_INIT_RC;
    }
    if (sd_state == 0) {
        init_handles();
    }
    sd_state = 2;
    if (!(desc->flags & ZE_INIT_DRIVER_TYPE_FLAG_GPU)) {
        *pCount = 0;
        return ZE_RESULT_SUCCESS;
    }
    return driver_handles(pCount, phDrivers);
}
#endif

ze_result_t zeInit(uint32_t flags) {
    SD_ENTER(zeInit);
    if (sd_state == 2) {
        return ZE_RESULT_ERROR_UNINITIALIZED;
    }
    if (flags != 0 && flags != ZE_INIT_FLAG_GPU_ONLY) {
        return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (SD_INIT_RC != ZE_RESULT_SUCCESS) {
        return SD_INIT_RC;
    }
    if (sd_state == 0) {
        init_handles();
    }
    sd_state = 1;
    return ZE_RESULT_SUCCESS;
}

ze_result_t zeDriverGet(uint32_t *pCount, ze_driver_handle_t *phDrivers) {
    SD_ENTER(zeDriverGet);
    if (sd_state != 1) {
        return ZE_RESULT_ERROR_UNINITIALIZED;
    }
    return driver_handles(pCount, phDrivers);
}

static int driver_index(ze_driver_handle_t driver) {
    if (sd_state == 0 || driver == NULL || driver->index < 0 ||
        driver->index >= SD_ZE_DRIVER_COUNT) {
        return -1;
    }
    return driver->index;
}

static int device_index(ze_device_handle_t device) {
    if (sd_state == 0 || device == NULL || device->index < 0 ||
        device->index >= SD_ZE_DEVICE_COUNT) {
        return -1;
    }
    return device->index;
}

ze_result_t zeDriverGetApiVersion(ze_driver_handle_t hDriver, uint32_t *version) {
    SD_ENTER(zeDriverGetApiVersion);
    int d = driver_index(hDriver);
    if (d < 0) {
        return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
    }
    if (version == NULL) {
        return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    }
    *version = SD_ZE_DRIVERS[d].api_version;
    return ZE_RESULT_SUCCESS;
}

ze_result_t zeDriverGetProperties(ze_driver_handle_t hDriver, ze_driver_properties_t *props) {
    SD_ENTER(zeDriverGetProperties);
    int d = driver_index(hDriver);
    if (d < 0) {
        return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
    }
    if (props == NULL) {
        return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    }
    if (props->stype != ZE_STRUCTURE_TYPE_DRIVER_PROPERTIES) {
        return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    }
    memset(props->uuid, 0, sizeof(props->uuid));
    props->driverVersion = SD_ZE_DRIVERS[d].driver_version;
    return ZE_RESULT_SUCCESS;
}

ze_result_t zeDeviceGet(ze_driver_handle_t hDriver, uint32_t *pCount,
                        ze_device_handle_t *phDevices) {
    SD_ENTER(zeDeviceGet);
    int d = driver_index(hDriver);
    if (d < 0) {
        return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
    }
    if (SD_ZE_DRIVERS[d].device_get_rc != ZE_RESULT_SUCCESS) {
        return SD_ZE_DRIVERS[d].device_get_rc;
    }
    int found[SD_ZE_DEVICE_COUNT + 1];
    uint32_t n = apply_affinity(found, roots(d, found, SD_ZE_DEVICE_COUNT));
    void *all[SD_ZE_DEVICE_COUNT + 1];
    for (uint32_t i = 0; i < n; i++) {
        all[i] = &sd_devices[found[i]];
    }
    return give_handles(pCount, (void **)phDevices, all, n);
}

ze_result_t zeDeviceGetSubDevices(ze_device_handle_t hDevice, uint32_t *pCount,
                                  ze_device_handle_t *phSubdevices) {
    SD_ENTER(zeDeviceGetSubDevices);
    int d = device_index(hDevice);
    if (d < 0) {
        return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
    }
    void *all[SD_ZE_DEVICE_COUNT + 1];
    uint32_t n = 0;
    /* In the FLAT hierarchy tiles are root devices and have no sub-devices. */
    for (int i = 0; !sd_flat && i < SD_ZE_DEVICE_COUNT; i++) {
        if (SD_ZE_DEVICES[i].parent == d) {
            all[n++] = &sd_devices[i];
        }
    }
    return give_handles(pCount, (void **)phSubdevices, all, n);
}

ze_result_t zeDeviceGetProperties(ze_device_handle_t hDevice, ze_device_properties_t *props) {
    SD_ENTER(zeDeviceGetProperties);
    int d = device_index(hDevice);
    if (d < 0) {
        return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
    }
    if (props == NULL) {
        return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    }
    if (props->stype != ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES) {
        return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    }
    const sd_ze_device_t *dev = &SD_ZE_DEVICES[d];
    if (dev->props_rc != ZE_RESULT_SUCCESS) {
        return dev->props_rc;
    }
    for (ze_base_properties_t *ext = props->pNext; ext != NULL; ext = ext->pNext) {
        if (ext->stype == ZE_STRUCTURE_TYPE_DEVICE_IP_VERSION_EXT) {
            if (dev->ip_rc != ZE_RESULT_SUCCESS) {
                return dev->ip_rc;
            }
            ((ze_device_ip_version_ext_t *)ext)->ipVersion = dev->ip_version;
        }
    }
    void *next = props->pNext;
    memset(props, 0, sizeof(*props));
    props->stype = ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES;
    props->pNext = next;
    props->type = dev->type;
    props->vendorId = dev->vendor_id;
    props->deviceId = dev->device_id;
    props->flags = dev->flags;
    if (dev->parent >= 0 && !sd_flat) {
        props->flags |= ZE_DEVICE_PROPERTY_FLAG_SUBDEVICE;
    }
    props->subdeviceId = dev->subdevice_id;
    props->coreClockRate = dev->core_clock;
    props->numSlices = dev->slices;
    props->numSubslicesPerSlice = dev->subslices_per_slice;
    props->numEUsPerSubslice = dev->eus_per_subslice;
    sd_copy(props->name, sizeof(props->name), dev->name);
    return ZE_RESULT_SUCCESS;
}
