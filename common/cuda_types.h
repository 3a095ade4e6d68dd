/* Our own declarations of the CUDA driver, runtime and NVML types that
 * vgpu-run implements or decodes.  Written from the published API
 * reference (names, numbers and layouts are ABI facts); no NVIDIA header
 * is included or copied.  The layouts that matter to binary clients
 * (cudaDeviceProp of CUDA 12 and 13, nvmlMemory_v2_t, nvmlPciInfo_t,
 * nvmlProcessInfo_t) are checked against the toolkit's headers by
 * tests/sim/test_struct_layout.sh where a toolkit is installed. */
#ifndef VGPU_CUDA_TYPES_H
#define VGPU_CUDA_TYPES_H

#include <stddef.h>
#include <stdint.h>

/* ---- driver API ---- */

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUlib_st *CUlibrary;
typedef struct CUkern_st *CUkernel;
typedef struct CUstream_st *CUstream;
typedef struct CUevent_st *CUevent;
typedef int CUdevice_attribute;

typedef struct CUuuid_st {
	char bytes[16];
} CUuuid;

enum {
	CUDA_SUCCESS = 0,
	CUDA_ERROR_INVALID_VALUE = 1,
	CUDA_ERROR_OUT_OF_MEMORY = 2,
	CUDA_ERROR_NOT_INITIALIZED = 3,
	CUDA_ERROR_DEINITIALIZED = 4,
	CUDA_ERROR_NO_DEVICE = 100,
	CUDA_ERROR_INVALID_DEVICE = 101,
	CUDA_ERROR_INVALID_IMAGE = 200,
	CUDA_ERROR_INVALID_CONTEXT = 201,
	CUDA_ERROR_NO_BINARY_FOR_GPU = 209,
	CUDA_ERROR_FILE_NOT_FOUND = 301,
	CUDA_ERROR_INVALID_HANDLE = 400,
	CUDA_ERROR_NOT_FOUND = 500,
	CUDA_ERROR_NOT_READY = 600,
	CUDA_ERROR_PRIMARY_CONTEXT_ACTIVE = 708,
	CUDA_ERROR_NOT_PERMITTED = 800,
	CUDA_ERROR_NOT_SUPPORTED = 801,
	CUDA_ERROR_UNKNOWN = 999,
};

/* CUdevice_attribute values the simulator answers by name. */
enum {
	CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 1,
	CU_DEVICE_ATTRIBUTE_CLOCK_RATE = 13,
	CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16,
	CU_DEVICE_ATTRIBUTE_PCI_BUS_ID = 33,
	CU_DEVICE_ATTRIBUTE_PCI_DEVICE_ID = 34,
	CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE = 36,
	CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH = 37,
	CU_DEVICE_ATTRIBUTE_PCI_DOMAIN_ID = 50,
	CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
	CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
	CU_DEVICE_ATTRIBUTE_MAX = 148,	/* one past the last value we know */
};

/* cuGetProcAddress flags and symbol status. */
enum {
	CU_GET_PROC_ADDRESS_DEFAULT = 0,
	CU_GET_PROC_ADDRESS_LEGACY_STREAM = 1,
	CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM = 2,
};
typedef enum {
	CU_GET_PROC_ADDRESS_SUCCESS = 0,
	CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND = 1,
	CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT = 2,
} CUdriverProcAddressQueryResult;

/* Context creation parameters of cuCtxCreate_v4 (CUDA 12.5+). */
typedef struct {
	void *execAffinityParams;
	int numExecAffinityParams;
	void *cigParams;
} CUctxCreateParams;

/* Stream handles with a fixed meaning. */
#define CU_STREAM_LEGACY ((CUstream)0x1)
#define CU_STREAM_PER_THREAD ((CUstream)0x2)

/* cuLaunchKernel extra[] markers. */
#define CU_LAUNCH_PARAM_END ((void *)0x00)
#define CU_LAUNCH_PARAM_BUFFER_POINTER ((void *)0x01)
#define CU_LAUNCH_PARAM_BUFFER_SIZE ((void *)0x02)

typedef void (*CUhostFn)(void *userData);
typedef void (*CUstreamCallback)(CUstream hStream, CUresult status,
				 void *userData);

/* 2D copy descriptor (cuMemcpy2D); memory types below. */
enum {
	CU_MEMORYTYPE_HOST = 1,
	CU_MEMORYTYPE_DEVICE = 2,
	CU_MEMORYTYPE_ARRAY = 3,
	CU_MEMORYTYPE_UNIFIED = 4,
};
typedef struct {
	size_t srcXInBytes, srcY;
	int srcMemoryType;
	const void *srcHost;
	CUdeviceptr srcDevice;
	void *srcArray;
	size_t srcPitch;
	size_t dstXInBytes, dstY;
	int dstMemoryType;
	void *dstHost;
	CUdeviceptr dstDevice;
	void *dstArray;
	size_t dstPitch;
	size_t WidthInBytes, Height;
} CUDA_MEMCPY2D;

/* cuPointerGetAttribute values we answer. */
enum {
	CU_POINTER_ATTRIBUTE_CONTEXT = 1,
	CU_POINTER_ATTRIBUTE_MEMORY_TYPE = 2,
	CU_POINTER_ATTRIBUTE_DEVICE_POINTER = 3,
	CU_POINTER_ATTRIBUTE_HOST_POINTER = 4,
	CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL = 9,
};

/* ---- runtime API ---- */

typedef int cudaError_t;
typedef struct CUstream_st *cudaStream_t;
typedef struct CUevent_st *cudaEvent_t;
typedef CUuuid cudaUUID_t;

enum {
	cudaSuccess = 0,
	cudaErrorInvalidValue = 1,
	cudaErrorMemoryAllocation = 2,
	cudaErrorInitializationError = 3,
	cudaErrorInvalidSymbol = 13,
	cudaErrorInvalidMemcpyDirection = 21,
	cudaErrorInsufficientDriver = 35,
	cudaErrorMissingConfiguration = 52,
	cudaErrorInvalidDeviceFunction = 98,
	cudaErrorNoDevice = 100,
	cudaErrorInvalidDevice = 101,
	cudaErrorInvalidResourceHandle = 400,
	cudaErrorSymbolNotFound = 500,
	cudaErrorNotReady = 600,
	cudaErrorNotSupported = 801,
	cudaErrorUnknown = 999,
};

enum cudaMemcpyKind {
	cudaMemcpyHostToHost = 0,
	cudaMemcpyHostToDevice = 1,
	cudaMemcpyDeviceToHost = 2,
	cudaMemcpyDeviceToDevice = 3,
	cudaMemcpyDefault = 4,
};

typedef struct {
	unsigned x, y, z;
} dim3;

/* The fields common to the CUDA 12 and 13 cudaDeviceProp, in order; each
 * layout below spells its own order, since CUDA 13 removed fields from
 * the middle (clockRate, deviceOverlap, kernelExecTimeoutEnabled,
 * computeMode, maxTexture1DLinear, memoryClockRate,
 * singleToDoublePrecisionPerfRatio, cooperativeMultiDeviceLaunch) and
 * added NUMA/PCI fields at the end. */
#define CUDA_PROP_TEXTURE_BLOCK                                              \
	int maxTexture2D[2];                                                 \
	int maxTexture2DMipmap[2];                                           \
	int maxTexture2DLinear[3];                                           \
	int maxTexture2DGather[2];                                           \
	int maxTexture3D[3];                                                 \
	int maxTexture3DAlt[3];                                              \
	int maxTextureCubemap;                                               \
	int maxTexture1DLayered[2];                                          \
	int maxTexture2DLayered[3];                                          \
	int maxTextureCubemapLayered[2];                                     \
	int maxSurface1D;                                                    \
	int maxSurface2D[2];                                                 \
	int maxSurface3D[3];                                                 \
	int maxSurface1DLayered[2];                                          \
	int maxSurface2DLayered[3];                                          \
	int maxSurfaceCubemap;                                               \
	int maxSurfaceCubemapLayered[2];                                     \
	size_t surfaceAlignment;                                             \
	int concurrentKernels;                                               \
	int ECCEnabled;                                                      \
	int pciBusID;                                                        \
	int pciDeviceID;                                                     \
	int pciDomainID;                                                     \
	int tccDriver;                                                       \
	int asyncEngineCount;                                                \
	int unifiedAddressing;

#define CUDA_PROP_TAIL_BLOCK                                                 \
	size_t sharedMemPerBlockOptin;                                       \
	int pageableMemoryAccessUsesHostPageTables;                          \
	int directManagedMemAccessFromHost;                                  \
	int maxBlocksPerMultiProcessor;                                      \
	int accessPolicyMaxWindowSize;                                       \
	size_t reservedSharedMemPerBlock;                                    \
	int hostRegisterSupported;                                           \
	int sparseCudaArraySupported;                                        \
	int hostRegisterReadOnlySupported;                                   \
	int timelineSemaphoreInteropSupported;                               \
	int memoryPoolsSupported;                                            \
	int gpuDirectRDMASupported;                                          \
	unsigned gpuDirectRDMAFlushWritesOptions;                            \
	int gpuDirectRDMAWritesOrdering;                                     \
	unsigned memoryPoolSupportedHandleTypes;                             \
	int deferredMappingCudaArraySupported;                               \
	int ipcEventSupported;                                               \
	int clusterLaunch;                                                   \
	int unifiedFunctionPointers;

/* libcudart.so.12: 1032 bytes. */
struct cudaDeviceProp12 {
	char name[256];
	cudaUUID_t uuid;
	char luid[8];
	unsigned luidDeviceNodeMask;
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
	int canMapHostMemory;
	int computeMode;
	int maxTexture1D;
	int maxTexture1DMipmap;
	int maxTexture1DLinear;
	CUDA_PROP_TEXTURE_BLOCK
	int memoryClockRate;
	int memoryBusWidth;
	int l2CacheSize;
	int persistingL2CacheMaxSize;
	int maxThreadsPerMultiProcessor;
	int streamPrioritiesSupported;
	int globalL1CacheSupported;
	int localL1CacheSupported;
	size_t sharedMemPerMultiprocessor;
	int regsPerMultiprocessor;
	int managedMemory;
	int isMultiGpuBoard;
	int multiGpuBoardGroupID;
	int hostNativeAtomicSupported;
	int singleToDoublePrecisionPerfRatio;
	int pageableMemoryAccess;
	int concurrentManagedAccess;
	int computePreemptionSupported;
	int canUseHostPointerForRegisteredMem;
	int cooperativeLaunch;
	int cooperativeMultiDeviceLaunch;
	CUDA_PROP_TAIL_BLOCK
	int reserved[63];	/* older 12.x headers: reserved2[2], reserved1[1], reserved[60] */
};

/* libcudart.so.12's unversioned cudaGetDeviceProperties keeps the CUDA 11
 * layout (the CUDA 12 header maps the name to _v2): the CUDA 12 layout
 * cut after reservedSharedMemPerBlock, 728 bytes.  NVIDIA's 12.9 runtime
 * writes exactly these bytes through that name, equal to the first 728 of
 * its _v2 answer (tests/sim/test_abi_versions.sh). */
#define CUDA_PROP11_SIZE 728

/* libcudart.so.13: 1008 bytes. */
struct cudaDeviceProp13 {
	char name[256];
	cudaUUID_t uuid;
	char luid[8];
	unsigned luidDeviceNodeMask;
	size_t totalGlobalMem;
	size_t sharedMemPerBlock;
	int regsPerBlock;
	int warpSize;
	size_t memPitch;
	int maxThreadsPerBlock;
	int maxThreadsDim[3];
	int maxGridSize[3];
	size_t totalConstMem;
	int major;
	int minor;
	size_t textureAlignment;
	size_t texturePitchAlignment;
	int multiProcessorCount;
	int integrated;
	int canMapHostMemory;
	int maxTexture1D;
	int maxTexture1DMipmap;
	CUDA_PROP_TEXTURE_BLOCK
	int memoryBusWidth;
	int l2CacheSize;
	int persistingL2CacheMaxSize;
	int maxThreadsPerMultiProcessor;
	int streamPrioritiesSupported;
	int globalL1CacheSupported;
	int localL1CacheSupported;
	size_t sharedMemPerMultiprocessor;
	int regsPerMultiprocessor;
	int managedMemory;
	int isMultiGpuBoard;
	int multiGpuBoardGroupID;
	int hostNativeAtomicSupported;
	int pageableMemoryAccess;
	int concurrentManagedAccess;
	int computePreemptionSupported;
	int canUseHostPointerForRegisteredMem;
	int cooperativeLaunch;
	CUDA_PROP_TAIL_BLOCK
	int deviceNumaConfig;
	int deviceNumaId;
	int mpsEnabled;
	int hostNumaId;
	unsigned gpuPciDeviceID;
	unsigned gpuPciSubsystemID;
	int hostNumaMultinodeIpcSupported;
	int reserved[56];
};

/* The registration records nvcc-generated host code hands the runtime. */
struct fatbin_wrapper {
	uint32_t magic;		/* FATBIN_WRAPPER_MAGIC */
	uint32_t version;
	const void *data;	/* the fat binary container */
	const void *filename_or_fatbins;
};
#define FATBIN_WRAPPER_MAGIC 0x466243b1u

/* ---- NVML ---- */

typedef int nvmlReturn_t;
typedef struct nvmlDevice_st *nvmlDevice_t;

enum {
	NVML_SUCCESS = 0,
	NVML_ERROR_UNINITIALIZED = 1,
	NVML_ERROR_INVALID_ARGUMENT = 2,
	NVML_ERROR_NOT_SUPPORTED = 3,
	NVML_ERROR_NOT_FOUND = 6,
	NVML_ERROR_DRIVER_NOT_LOADED = 9,
	NVML_ERROR_INSUFFICIENT_SIZE = 7,
	NVML_ERROR_ARGUMENT_VERSION_MISMATCH = 25,
	NVML_ERROR_UNKNOWN = 999,
};

typedef struct {
	unsigned long long total, free, used;
} nvmlMemory_t;

typedef struct {
	unsigned version;
	unsigned long long total, reserved, free, used;
} nvmlMemory_v2_t;
/* NVML versions a struct as sizeof | (version << 24). */
#define NVML_STRUCT_VERSION(type, v) ((unsigned)(sizeof(type) | ((v) << 24)))
#define nvmlMemory_v2 NVML_STRUCT_VERSION(nvmlMemory_v2_t, 2)

/* nvmlDeviceGetPciInfo and _v2: the layout from before _v3 widened the
 * bus id to 32 bytes; the first 36 bytes are those of nvmlPciInfo_t. */
typedef struct {
	char busId[16];
	unsigned domain, bus, device;
	unsigned pciDeviceId;
	unsigned pciSubSystemId;
	unsigned reserved[4];
} nvmlPciInfo_v1_t;

/* nvmlDeviceGetPciInfo_v3. */
typedef struct {
	char busIdLegacy[16];
	unsigned domain, bus, device;
	unsigned pciDeviceId;		/* device id << 16 | vendor id */
	unsigned pciSubSystemId;
	char busId[32];
} nvmlPciInfo_t;

typedef struct {
	unsigned gpu, memory;
} nvmlUtilization_t;

/* v1 (nvmlDeviceGetComputeRunningProcesses) and v2/v3 process entries. */
typedef struct {
	unsigned pid;
	unsigned long long usedGpuMemory;
} nvmlProcessInfo_v1_t;
typedef struct {
	unsigned pid;
	unsigned long long usedGpuMemory;
	unsigned gpuInstanceId, computeInstanceId;
} nvmlProcessInfo_t;

#define NVML_DEVICE_UUID_V2_BUFFER_SIZE 96
#define NVML_DEVICE_NAME_V2_BUFFER_SIZE 96
#define NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE 80
#define NVML_VALUE_NOT_AVAILABLE 0xffffffffffffffffULL

#endif
