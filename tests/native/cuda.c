/* A stand-in for libcuda.so.1: the CUDA driver API entry points the libcuda
 * facade calls, with cuda.h's signatures.  Like the real driver it honours
 * CUDA_VISIBLE_DEVICES (ordinals or GPU UUIDs, up to the first entry that
 * names no device), so a test can see whether the caller removed it. */
#include <stdlib.h>

typedef int CUresult;
typedef int CUdevice;

typedef struct {
    const char *name;
    const char *uuid;
    int cc_major, cc_minor;
    int attribute_rc;
    int name_rc;
    unsigned long long memory_total;
    int memory_rc;
    int get_rc;
} sd_cuda_device_t;

#include "config.h"
#include "standin.h"

#define CUDA_SUCCESS 0
#define CUDA_ERROR_INVALID_VALUE 1
#define CUDA_ERROR_NOT_INITIALIZED 3
#define CUDA_ERROR_INVALID_DEVICE 101
#define CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR 75
#define CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR 76

static int sd_initialised = 0;
static int sd_visible[SD_DEVICE_COUNT + 1];
static int sd_visible_count = 0;

static int lookup(const char *token) {
    if (token[0] >= '0' && token[0] <= '9') {
        int n = atoi(token);
        return n < SD_DEVICE_COUNT ? n : -1;
    }
    for (int i = 0; i < SD_DEVICE_COUNT; i++) {
        if (strcmp(SD_DEVICES[i].uuid, token) == 0) {
            return i;
        }
    }
    return -1;
}

static void apply_visible_devices(void) {
    const char *env = getenv("CUDA_VISIBLE_DEVICES");
    sd_visible_count = 0;
    if (env == NULL) {
        for (int i = 0; i < SD_DEVICE_COUNT; i++) {
            sd_visible[sd_visible_count++] = i;
        }
        return;
    }
    char buffer[1024];
    if (!sd_copy(buffer, sizeof(buffer), env)) {
        return;
    }
    for (char *token = strtok(buffer, ","); token != NULL; token = strtok(NULL, ",")) {
        int index = lookup(token);
        if (index < 0 || sd_visible_count >= SD_DEVICE_COUNT) {
            return;
        }
        sd_visible[sd_visible_count++] = index;
    }
}

CUresult cuInit(unsigned int flags) {
    SD_ENTER(cuInit);
    if (flags != 0) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (SD_INIT_RC == CUDA_SUCCESS) {
        sd_initialised = 1;
        apply_visible_devices();
    }
    return SD_INIT_RC;
}

CUresult cuDriverGetVersion(int *driverVersion) {
    SD_ENTER(cuDriverGetVersion);
    if (driverVersion == NULL) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (SD_VERSION_RC != CUDA_SUCCESS) {
        return SD_VERSION_RC;
    }
    *driverVersion = SD_DRIVER_VERSION;
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetCount(int *count) {
    SD_ENTER(cuDeviceGetCount);
    if (!sd_initialised) {
        return CUDA_ERROR_NOT_INITIALIZED;
    }
    if (count == NULL) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (SD_COUNT_RC != CUDA_SUCCESS) {
        return SD_COUNT_RC;
    }
    *count = sd_visible_count;
    return CUDA_SUCCESS;
}

static const sd_cuda_device_t *device_of(CUdevice dev) {
    if (!sd_initialised || dev < 0 || dev >= sd_visible_count) {
        return NULL;
    }
    return &SD_DEVICES[sd_visible[dev]];
}

CUresult cuDeviceGet(CUdevice *device, int ordinal) {
    SD_ENTER(cuDeviceGet);
    if (!sd_initialised) {
        return CUDA_ERROR_NOT_INITIALIZED;
    }
    if (device == NULL) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    const sd_cuda_device_t *d = device_of(ordinal);
    if (d == NULL) {
        return CUDA_ERROR_INVALID_DEVICE;
    }
    if (d->get_rc != CUDA_SUCCESS) {
        return d->get_rc;
    }
    *device = ordinal;
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetAttribute(int *pi, int attrib, CUdevice dev) {
    SD_ENTER(cuDeviceGetAttribute);
    const sd_cuda_device_t *d = device_of(dev);
    if (d == NULL) {
        return CUDA_ERROR_INVALID_DEVICE;
    }
    if (pi == NULL) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (d->attribute_rc != CUDA_SUCCESS) {
        return d->attribute_rc;
    }
    if (attrib == CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR) {
        *pi = d->cc_major;
    } else if (attrib == CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR) {
        *pi = d->cc_minor;
    } else {
        return CUDA_ERROR_INVALID_VALUE;
    }
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetName(char *name, int len, CUdevice dev) {
    SD_ENTER(cuDeviceGetName);
    const sd_cuda_device_t *d = device_of(dev);
    if (d == NULL) {
        return CUDA_ERROR_INVALID_DEVICE;
    }
    if (d->name_rc != CUDA_SUCCESS) {
        return d->name_rc;
    }
    if (len <= 0 || !sd_copy(name, (unsigned int)len, d->name)) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    return CUDA_SUCCESS;
}

static CUresult total_mem(size_t *bytes, CUdevice dev) {
    const sd_cuda_device_t *d = device_of(dev);
    if (d == NULL) {
        return CUDA_ERROR_INVALID_DEVICE;
    }
    if (bytes == NULL) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (d->memory_rc != CUDA_SUCCESS) {
        return d->memory_rc;
    }
    *bytes = (size_t)d->memory_total;
    return CUDA_SUCCESS;
}

CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice dev) {
    SD_ENTER(cuDeviceTotalMem_v2);
    return total_mem(bytes, dev);
}

CUresult cuDeviceTotalMem(size_t *bytes, CUdevice dev) {
    SD_ENTER(cuDeviceTotalMem);
    return total_mem(bytes, dev);
}
