/* A stand-in for the HIP runtime (libamdhip64.so, amdhip64_<N>.dll on Windows):
 * the entry points the hip facade calls, with hip_runtime_api.h's signatures.
 *
 * hipDeviceProp_t exists in two layouts.  The fields the facade reads are
 * declared here in header order with their C types, so the compiler, not a
 * table, places them; the stretches the facade never reads are reserved
 * bytes, and static assertions pin the offsets the facade relies on. */
#include <stddef.h>

typedef struct {
    const char *name;
    const char *gcn_arch_name;
    int integrated;
    unsigned long long total_global_mem;
    int major, minor, compute_units;
    int pci_domain, pci_bus, pci_device;
} sd_hip_device_t;

#include "config.h"
#include "standin.h"

typedef int hipError_t;
#define hipSuccess 0
#define hipErrorInvalidValue 1
#define hipErrorInvalidDevice 101

/* HIP >= 6.0 (hipGetDevicePropertiesR0600): the CUDA 12 order of the leading fields. */
typedef struct {
    char name[256];
    char uuid[16];
    char luid[8];
    unsigned int luidDeviceNodeMask;
    size_t totalGlobalMem;
    size_t sharedMemPerBlock;
    int regsPerBlock;
    int warpSize;
    size_t memPitch;
    int maxThreadsPerBlock;
    int maxThreadsDim[3];
    int maxGridSize[3];
    int clockRate;
    size_t totalConstMem;
    int major;
    int minor;
    size_t textureAlignment;
    size_t texturePitchAlignment;
    int deviceOverlap;
    int multiProcessorCount;
    int kernelExecTimeoutEnabled;
    int integrated;
    char reserved1[584 - 400];
    int pciBusID;
    int pciDeviceID;
    int pciDomainID;
    char reserved2[1160 - 596];
    char gcnArchName[256];
    char reserved3[1472 - 1416];
} props_r0600_t;

/* HIP 5 and the plain hipGetDeviceProperties symbol of HIP 6 and 7. */
typedef struct {
    char name[256];
    size_t totalGlobalMem;
    size_t sharedMemPerBlock;
    int regsPerBlock;
    int warpSize;
    int maxThreadsPerBlock;
    int maxThreadsDim[3];
    int maxGridSize[3];
    int clockRate;
    int memoryClockRate;
    int memoryBusWidth;
    size_t totalConstMem;
    int major;
    int minor;
    int multiProcessorCount;
    int l2CacheSize;
    int maxThreadsPerMultiProcessor;
    int computeMode;
    int clockInstructionRate;
    unsigned int arch; /* hipDeviceArch_t: a word of bit fields */
    int concurrentKernels;
    int pciDomainID;
    int pciBusID;
    int pciDeviceID;
    size_t maxSharedMemoryPerMultiProcessor;
    int isMultiGpuBoard;
    int canMapHostMemory;
    int gcnArch;
    char gcnArchName[256];
    int integrated;
    char reserved1[792 - 656];
} props_r0000_t;

_Static_assert(offsetof(props_r0600_t, totalGlobalMem) == 288, "R0600 totalGlobalMem");
_Static_assert(offsetof(props_r0600_t, major) == 360, "R0600 major");
_Static_assert(offsetof(props_r0600_t, multiProcessorCount) == 388, "R0600 CUs");
_Static_assert(offsetof(props_r0600_t, integrated) == 396, "R0600 integrated");
_Static_assert(offsetof(props_r0600_t, gcnArchName) == 1160, "R0600 gcnArchName");
_Static_assert(sizeof(props_r0600_t) == 1472, "R0600 size");
_Static_assert(offsetof(props_r0000_t, major) == 328, "R0000 major");
_Static_assert(offsetof(props_r0000_t, pciDomainID) == 364, "R0000 pciDomainID");
_Static_assert(offsetof(props_r0000_t, gcnArchName) == 396, "R0000 gcnArchName");
_Static_assert(offsetof(props_r0000_t, integrated) == 652, "R0000 integrated");
_Static_assert(sizeof(props_r0000_t) == 792, "R0000 size");

static int sd_visible(void) { return SD_COUNT_RC == hipSuccess ? SD_HIP_DEVICE_COUNT : 0; }

hipError_t hipRuntimeGetVersion(int *version) {
    SD_ENTER(hipRuntimeGetVersion);
    if (version == NULL) {
        return hipErrorInvalidValue;
    }
    *version = SD_RUNTIME_VERSION;
    return hipSuccess;
}

hipError_t hipDriverGetVersion(int *version) {
    SD_ENTER(hipDriverGetVersion);
    if (version == NULL) {
        return hipErrorInvalidValue;
    }
    *version = SD_DRIVER_VERSION;
    return SD_DRIVER_RC;
}

hipError_t hipGetDeviceCount(int *count) {
    SD_ENTER(hipGetDeviceCount);
    if (count == NULL) {
        return hipErrorInvalidValue;
    }
    *count = sd_visible();
    return SD_COUNT_RC;
}

#define SD_FILL(props, d)                                                        \
    do {                                                                         \
        memset((props), 0, sizeof(*(props)));                                    \
        sd_copy((props)->name, sizeof((props)->name), (d)->name);                \
        sd_copy((props)->gcnArchName, sizeof((props)->gcnArchName), (d)->gcn_arch_name); \
        (props)->totalGlobalMem = (size_t)(d)->total_global_mem;                 \
        (props)->major = (d)->major;                                             \
        (props)->minor = (d)->minor;                                             \
        (props)->multiProcessorCount = (d)->compute_units;                       \
        (props)->pciDomainID = (d)->pci_domain;                                  \
        (props)->pciBusID = (d)->pci_bus;                                        \
        (props)->pciDeviceID = (d)->pci_device;                                  \
    } while (0)

#ifndef SD_OMIT_hipGetDevicePropertiesR0600
hipError_t hipGetDevicePropertiesR0600(props_r0600_t *props, int device) {
    SD_ENTER(hipGetDevicePropertiesR0600);
    if (props == NULL || device < 0 || device >= sd_visible()) {
        return hipErrorInvalidDevice;
    }
    if (SD_PROPS_RC != hipSuccess) {
        return SD_PROPS_RC;
    }
    const sd_hip_device_t *d = &SD_HIP_DEVICES[device];
    SD_FILL(props, d);
    props->integrated = d->integrated;
    return hipSuccess;
}
#endif

/* The old ABI does not fill in `integrated` (real runtimes leave it 0 there). */
hipError_t hipGetDeviceProperties(props_r0000_t *props, int device) {
    SD_ENTER(hipGetDeviceProperties);
    if (props == NULL || device < 0 || device >= sd_visible()) {
        return hipErrorInvalidDevice;
    }
    if (SD_PROPS_RC != hipSuccess) {
        return SD_PROPS_RC;
    }
    const sd_hip_device_t *d = &SD_HIP_DEVICES[device];
    SD_FILL(props, d);
    return hipSuccess;
}
