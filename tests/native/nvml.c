/* A stand-in for libnvidia-ml.so.1 exporting the entry points pynvml calls,
 * with the signatures and struct layouts of nvml.h (as pynvml declares them).
 * The machine it describes comes from the generated config.h. */
#include <stddef.h>

/* What config.h describes: one GPU, one MIG instance. */
typedef struct {
    int handle_rc;
    const char *name;
    int name_rc;
    const char *uuid;
    int uuid_rc;
    int cc_major, cc_minor, cc_rc;
    unsigned long long memory_total;
    int memory_rc;
    const char *pci_bus_id;
    unsigned int pci_device_id;
    int pci_rc;
    unsigned int mig_current, mig_pending;
    int mig_mode_rc;
    unsigned int max_mig;
    int max_mig_rc;
    int driver_model; /* nvmlDriverModel_t: 0 WDDM, 1 WDM (TCC), 2 MCDM */
    int driver_model_rc;
} sd_gpu_t;

typedef struct {
    int parent;        /* index of the GPU it belongs to */
    unsigned int slot; /* its index among the parent's MIG slots (may be sparse) */
    const char *name;
    int name_rc;
    const char *uuid;
    int uuid_rc;
    unsigned long long memory_total;
    int memory_rc;
} sd_mig_t;

#include "config.h"
#include "standin.h"

typedef int nvmlReturn_t;

typedef struct {
    unsigned long long total;
    unsigned long long free;
    unsigned long long used;
} nvmlMemory_t;

#define NVML_DEVICE_PCI_BUS_ID_BUFFER_SIZE 32
#define NVML_DEVICE_PCI_BUS_ID_BUFFER_V2_SIZE 16

typedef struct {
    char busIdLegacy[NVML_DEVICE_PCI_BUS_ID_BUFFER_V2_SIZE];
    unsigned int domain;
    unsigned int bus;
    unsigned int device;
    unsigned int pciDeviceId;
    unsigned int pciSubSystemId;
    char busId[NVML_DEVICE_PCI_BUS_ID_BUFFER_SIZE];
} nvmlPciInfo_t;

/* A handle is a pointer to one of these: a GPU, or a MIG instance of one. */
typedef struct nvmlDevice_st {
    int mig;   /* 0: a GPU (index into SD_GPUS); 1: a MIG device (index into SD_MIGS) */
    int index;
} *nvmlDevice_t;

#define NVML_SUCCESS 0
#define NVML_ERROR_UNINITIALIZED 1
#define NVML_ERROR_INVALID_ARGUMENT 2
#define NVML_ERROR_INSUFFICIENT_SIZE 7
#define NVML_ERROR_NOT_FOUND 6

static struct nvmlDevice_st sd_gpu_handles[SD_GPU_COUNT + 1];
static struct nvmlDevice_st sd_mig_handles[SD_MIG_COUNT + 1];
static int sd_initialised = 0;

static const sd_gpu_t *gpu_of(nvmlDevice_t device) {
    if (device == NULL || device->mig || device->index < 0 || device->index >= SD_GPU_COUNT) {
        return NULL;
    }
    return &SD_GPUS[device->index];
}

static const sd_mig_t *mig_of(nvmlDevice_t device) {
    if (device == NULL || !device->mig || device->index < 0 || device->index >= SD_MIG_COUNT) {
        return NULL;
    }
    return &SD_MIGS[device->index];
}

#ifndef SD_OMIT_nvmlInitWithFlags
nvmlReturn_t nvmlInitWithFlags(unsigned int flags) {
    SD_ENTER(nvmlInitWithFlags);
    (void)flags;
    if (SD_INIT_RC == NVML_SUCCESS) {
        sd_initialised = 1;
    }
    return SD_INIT_RC;
}
#endif

#ifndef SD_OMIT_nvmlInit_v2
nvmlReturn_t nvmlInit_v2(void) {
    SD_ENTER(nvmlInit_v2);
    if (SD_INIT_RC == NVML_SUCCESS) {
        sd_initialised = 1;
    }
    return SD_INIT_RC;
}
#endif

nvmlReturn_t nvmlInit(void) {
    SD_ENTER(nvmlInit);
    if (SD_INIT_RC == NVML_SUCCESS) {
        sd_initialised = 1;
    }
    return SD_INIT_RC;
}

nvmlReturn_t nvmlShutdown(void) {
    SD_ENTER(nvmlShutdown);
    sd_initialised = 0;
    return NVML_SUCCESS;
}

const char *nvmlErrorString(nvmlReturn_t result) {
    static char text[32];
    const char *digits = "0123456789";
    int n = result < 0 ? 0 : result;
    /* "stand-in error N" without stdio */
    strcpy(text, "stand-in error ");
    size_t at = strlen(text);
    char rev[12];
    int k = 0;
    do {
        rev[k++] = digits[n % 10];
        n /= 10;
    } while (n > 0 && k < 11);
    while (k > 0) {
        text[at++] = rev[--k];
    }
    text[at] = '\0';
    return text;
}

#define SD_NEED_INIT()                         \
    do {                                       \
        if (!sd_initialised) {                 \
            return NVML_ERROR_UNINITIALIZED;   \
        }                                      \
    } while (0)

nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned int length) {
    SD_ENTER(nvmlSystemGetDriverVersion);
    SD_NEED_INIT();
    if (SD_DRIVER_RC != NVML_SUCCESS) {
        return SD_DRIVER_RC;
    }
    return sd_copy(version, length, SD_DRIVER_VERSION) ? NVML_SUCCESS
                                                        : NVML_ERROR_INSUFFICIENT_SIZE;
}

#ifndef SD_OMIT_nvmlSystemGetCudaDriverVersion_v2
nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int *cudaDriverVersion) {
    SD_ENTER(nvmlSystemGetCudaDriverVersion_v2);
    SD_NEED_INIT();
    if (cudaDriverVersion == NULL) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    if (SD_CUDA_V2_RC != NVML_SUCCESS) {
        return SD_CUDA_V2_RC;
    }
    *cudaDriverVersion = SD_CUDA_VERSION;
    return NVML_SUCCESS;
}
#endif

nvmlReturn_t nvmlSystemGetCudaDriverVersion(int *cudaDriverVersion) {
    SD_ENTER(nvmlSystemGetCudaDriverVersion);
    SD_NEED_INIT();
    if (cudaDriverVersion == NULL) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    if (SD_CUDA_RC != NVML_SUCCESS) {
        return SD_CUDA_RC;
    }
    *cudaDriverVersion = SD_CUDA_VERSION;
    return NVML_SUCCESS;
}

static nvmlReturn_t get_count(unsigned int *deviceCount) {
    SD_NEED_INIT();
    if (deviceCount == NULL) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    if (SD_COUNT_RC != NVML_SUCCESS) {
        return SD_COUNT_RC;
    }
    *deviceCount = SD_GPU_COUNT;
    return NVML_SUCCESS;
}

#ifndef SD_OMIT_nvmlDeviceGetCount_v2
nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *deviceCount) {
    SD_ENTER(nvmlDeviceGetCount_v2);
    return get_count(deviceCount);
}
#endif

nvmlReturn_t nvmlDeviceGetCount(unsigned int *deviceCount) {
    SD_ENTER(nvmlDeviceGetCount);
    return get_count(deviceCount);
}

static nvmlReturn_t get_handle(unsigned int index, nvmlDevice_t *device) {
    SD_NEED_INIT();
    if (device == NULL || index >= SD_GPU_COUNT) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    if (SD_GPUS[index].handle_rc != NVML_SUCCESS) {
        return SD_GPUS[index].handle_rc;
    }
    sd_gpu_handles[index].mig = 0;
    sd_gpu_handles[index].index = (int)index;
    *device = &sd_gpu_handles[index];
    return NVML_SUCCESS;
}

#ifndef SD_OMIT_nvmlDeviceGetHandleByIndex_v2
nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device) {
    SD_ENTER(nvmlDeviceGetHandleByIndex_v2);
    return get_handle(index, device);
}
#endif

nvmlReturn_t nvmlDeviceGetHandleByIndex(unsigned int index, nvmlDevice_t *device) {
    SD_ENTER(nvmlDeviceGetHandleByIndex);
    return get_handle(index, device);
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length) {
    SD_ENTER(nvmlDeviceGetName);
    SD_NEED_INIT();
    const sd_gpu_t *gpu = gpu_of(device);
    const sd_mig_t *mig = mig_of(device);
    if (gpu == NULL && mig == NULL) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    int rc = gpu ? gpu->name_rc : mig->name_rc;
    if (rc != NVML_SUCCESS) {
        return rc;
    }
    return sd_copy(name, length, gpu ? gpu->name : mig->name) ? NVML_SUCCESS
                                                             : NVML_ERROR_INSUFFICIENT_SIZE;
}

nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length) {
    SD_ENTER(nvmlDeviceGetUUID);
    SD_NEED_INIT();
    const sd_gpu_t *gpu = gpu_of(device);
    const sd_mig_t *mig = mig_of(device);
    if (gpu == NULL && mig == NULL) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    int rc = gpu ? gpu->uuid_rc : mig->uuid_rc;
    if (rc != NVML_SUCCESS) {
        return rc;
    }
    return sd_copy(uuid, length, gpu ? gpu->uuid : mig->uuid) ? NVML_SUCCESS
                                                             : NVML_ERROR_INSUFFICIENT_SIZE;
}

nvmlReturn_t nvmlDeviceGetCudaComputeCapability(nvmlDevice_t device, int *major, int *minor) {
    SD_ENTER(nvmlDeviceGetCudaComputeCapability);
    SD_NEED_INIT();
    const sd_gpu_t *gpu = gpu_of(device);
    if (gpu == NULL || major == NULL || minor == NULL) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    if (gpu->cc_rc != NVML_SUCCESS) {
        return gpu->cc_rc;
    }
    *major = gpu->cc_major;
    *minor = gpu->cc_minor;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory) {
    SD_ENTER(nvmlDeviceGetMemoryInfo);
    SD_NEED_INIT();
    const sd_gpu_t *gpu = gpu_of(device);
    const sd_mig_t *mig = mig_of(device);
    if ((gpu == NULL && mig == NULL) || memory == NULL) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    int rc = gpu ? gpu->memory_rc : mig->memory_rc;
    if (rc != NVML_SUCCESS) {
        return rc;
    }
    memory->total = gpu ? gpu->memory_total : mig->memory_total;
    memory->used = memory->total / 16;
    memory->free = memory->total - memory->used;
    return NVML_SUCCESS;
}

static nvmlReturn_t get_pci(nvmlDevice_t device, nvmlPciInfo_t *pci) {
    SD_NEED_INIT();
    const sd_gpu_t *gpu = gpu_of(device);
    if (gpu == NULL || pci == NULL) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    if (gpu->pci_rc != NVML_SUCCESS) {
        return gpu->pci_rc;
    }
    memset(pci, 0, sizeof(*pci));
    sd_copy(pci->busId, sizeof(pci->busId), gpu->pci_bus_id);
    pci->pciDeviceId = gpu->pci_device_id;
    return NVML_SUCCESS;
}

#ifndef SD_OMIT_nvmlDeviceGetPciInfo_v3
nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t device, nvmlPciInfo_t *pci) {
    SD_ENTER(nvmlDeviceGetPciInfo_v3);
    return get_pci(device, pci);
}
#endif

nvmlReturn_t nvmlDeviceGetPciInfo(nvmlDevice_t device, nvmlPciInfo_t *pci) {
    SD_ENTER(nvmlDeviceGetPciInfo);
    return get_pci(device, pci);
}

/* Only the first version of the call, as drivers before the _v2 entry point export it. */
#ifndef SD_OMIT_nvmlDeviceGetDriverModel
nvmlReturn_t nvmlDeviceGetDriverModel(nvmlDevice_t device, int *current, int *pending) {
    SD_ENTER(nvmlDeviceGetDriverModel);
    SD_NEED_INIT();
    const sd_gpu_t *gpu = gpu_of(device);
    if (gpu == NULL || current == NULL || pending == NULL) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    if (gpu->driver_model_rc != NVML_SUCCESS) {
        return gpu->driver_model_rc;
    }
    *current = gpu->driver_model;
    *pending = gpu->driver_model;
    return NVML_SUCCESS;
}
#endif

nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t device, unsigned int *current, unsigned int *pending) {
    SD_ENTER(nvmlDeviceGetMigMode);
    SD_NEED_INIT();
    const sd_gpu_t *gpu = gpu_of(device);
    if (gpu == NULL || current == NULL || pending == NULL) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    if (gpu->mig_mode_rc != NVML_SUCCESS) {
        return gpu->mig_mode_rc;
    }
    *current = gpu->mig_current;
    *pending = gpu->mig_pending;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMaxMigDeviceCount(nvmlDevice_t device, unsigned int *count) {
    SD_ENTER(nvmlDeviceGetMaxMigDeviceCount);
    SD_NEED_INIT();
    const sd_gpu_t *gpu = gpu_of(device);
    if (gpu == NULL || count == NULL) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    if (gpu->max_mig_rc != NVML_SUCCESS) {
        return gpu->max_mig_rc;
    }
    *count = gpu->max_mig;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMigDeviceHandleByIndex(nvmlDevice_t device, unsigned int index,
                                                 nvmlDevice_t *migDevice) {
    SD_ENTER(nvmlDeviceGetMigDeviceHandleByIndex);
    SD_NEED_INIT();
    const sd_gpu_t *gpu = gpu_of(device);
    if (gpu == NULL || migDevice == NULL) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    if (gpu->mig_current != 1 || index >= gpu->max_mig) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    /* Instance slots may be sparse: only the slots the config lists exist. */
    for (int i = 0; i < SD_MIG_COUNT; i++) {
        if (SD_MIGS[i].parent == device->index && SD_MIGS[i].slot == index) {
            sd_mig_handles[i].mig = 1;
            sd_mig_handles[i].index = i;
            *migDevice = &sd_mig_handles[i];
            return NVML_SUCCESS;
        }
    }
    return NVML_ERROR_NOT_FOUND;
}
