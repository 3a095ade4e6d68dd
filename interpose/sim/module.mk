# interpose/sim/: the simulated GPU, built into $(LIB)/sim/ as ordinary
# shared libraries with the real names and SONAMEs:
#   libcuda.so.1        driver API (device state, memory accounting)
#   libcudart.so.12/13  runtime API, one per cudaDeviceProp layout; they
#                       reach the driver through libcuda.so.1 like NVIDIA's
#   libnvidia-ml.so.1   NVML, reading the same config and accounting
ifndef VGPU_SIM_MK
VGPU_SIM_MK := 1

COMMON_EXTRA_SRC += common/cuda_names.c

SIM_DIR := $(LIB)/sim
# State shared by the driver and NVML libraries (each links its own copy).
SIM_STATE_SRC := interpose/sim/config.c interpose/sim/account.c \
                 common/rules.c common/cuda_names.c
SIM_DRIVER_SRC := $(SIM_STATE_SRC) interpose/sim/cu_device.c \
                  interpose/sim/cu_attr.c interpose/sim/cu_ctx.c \
                  interpose/sim/cu_mem.c interpose/sim/cu_stream.c \
                  interpose/sim/cu_module.c interpose/sim/fatbin.c \
                  interpose/sim/fatbin_decompress.c interpose/sim/cubin_info.c \
                  interpose/sim/cu_proc.c interpose/sim/export_tables.c \
                  common/export_table_ids.c \
                  interpose/sim/md2.c interpose/sim/handles.c \
                  interpose/sim/cu_occupancy.c interpose/sim/cu_capture.c \
                  interpose/sim/cu_mempool.c interpose/sim/cu_link.c \
                  interpose/sim/cu_graph_stub.c interpose/sim/cu_peer.c \
                  interpose/sim/cu_stream_memop.c interpose/sim/cu_absent.c
# Compressed fat binary entries (all of CUDA 13's cuBLAS and NCCL images).
SIM_DECOMPRESS_LIBS := $(shell pkg-config --libs libzstd liblz4 2>/dev/null)
SIM_NVML_SRC := $(SIM_STATE_SRC) interpose/sim/nvml.c interpose/sim/cu_attr.c \
                interpose/sim/nvml_p2p.c
SIM_SO_OBJ = $(patsubst %.c,$(OBJ)/so/%.o,$(1))

# -z defs: a missing symbol is a build error, not a crash in a client.
SIM_LDFLAGS = $(SO_SAN) $(LDFLAGS) -shared -Wl,-z,defs -Wl,-z,now

$(SIM_DIR)/libcuda.so.1: $(call SIM_SO_OBJ,$(SIM_DRIVER_SRC))
	@mkdir -p $(@D)
	$(call say,LD,$@)$(CC) $(SIM_LDFLAGS) -Wl,-soname,libcuda.so.1 -o $@ $^ \
	  $(ELF_LIBS) $(SIM_DECOMPRESS_LIBS) -ldl -lpthread

$(SIM_DIR)/libnvidia-ml.so.1: $(call SIM_SO_OBJ,$(SIM_NVML_SRC))
	@mkdir -p $(@D)
	$(call say,LD,$@)$(CC) $(SIM_LDFLAGS) -Wl,-soname,libnvidia-ml.so.1 -o $@ $^ -ldl -lpthread

# The runtime, once per major version: the source is shared and
# CUDART_MAJOR picks the cudaDeviceProp layout and the version numbers.
# RUNPATH $ORIGIN: standalone, its dlopen("libcuda.so.1") finds the sim
# driver beside it; under vgpu-run the supervisor serves that open.
# The dependency files are included by the root Makefile; an empty rule
# stops make from trying to rebuild them through the pattern below.
$(OBJ)/so/interpose/sim/%.d: ;

$(OBJ)/so/interpose/sim/cudart%.o: interpose/sim/cudart.c
	@mkdir -p $(@D)
	$(call say,CC [so],interpose/sim/cudart$*.o)$(CC) $(ALL_CFLAGS) $(SO_SAN) -fvisibility=hidden -DCUDART_MAJOR=$* \
	  -MMD -MP -c $< -o $@

# The version script gives every export the version node NVIDIA's
# libcudart.so.N uses, so programs linked against NVIDIA's runtime bind to
# ours without "version not found" errors.
$(OBJ)/so/interpose/sim/cudart%.map:
	@mkdir -p $(@D)
	$(call say,GEN,$@)printf 'libcudart.so.%s {\n global: cuda*; __cuda*;\n local: *;\n};\n' $* > $@

# rt_function.c is compiled once (no cudart prefix: the pattern above
# would take it) and linked into both.
$(SIM_DIR)/libcudart.so.%: $(OBJ)/so/interpose/sim/cudart%.o $(OBJ)/so/interpose/sim/rt_function.o $(OBJ)/so/common/cuda_names.o $(OBJ)/so/interpose/sim/cudart%.map
	@mkdir -p $(@D)
	$(call say,LD,$@)$(CC) $(SIM_LDFLAGS) -Wl,-soname,libcudart.so.$* \
	  -Wl,--version-script=$(OBJ)/so/interpose/sim/cudart$*.map \
	  -Wl,-rpath,'$$ORIGIN' -o $@ $(filter %.o,$^) -ldl -lpthread

SIM_CUDART_MAJORS := 12 13
SIM_LIBS := $(SIM_DIR)/libcuda.so.1 $(SIM_DIR)/libnvidia-ml.so.1 \
            $(patsubst %,$(SIM_DIR)/libcudart.so.%,$(SIM_CUDART_MAJORS))

# Test clients (tests/clients/), built with the project so `make demo`
# and the tests share them.
$(BIN)/vgpu-devquery: tests/clients/devquery.c
	@mkdir -p $(@D)
	$(call say,CC,$@)$(CC) $(ALL_CFLAGS) $(EXE_SAN) $(LDFLAGS) -o $@ $< -ldl

$(BIN)/vgpu-ollama-probe: tests/clients/ollama_probe.c
	@mkdir -p $(@D)
	$(call say,CC,$@)$(CC) $(ALL_CFLAGS) $(EXE_SAN) $(LDFLAGS) -o $@ $< -ldl

ALL_TARGETS += $(SIM_LIBS) $(BIN)/vgpu-devquery $(BIN)/vgpu-ollama-probe

# The runtime's objects and version scripts are made through pattern
# rules only: kept, or make deletes them and relinks the runtime each time.
.SECONDARY: $(foreach m,$(SIM_CUDART_MAJORS),$(OBJ)/so/interpose/sim/cudart$(m).o \
	$(OBJ)/so/interpose/sim/cudart$(m).map) $(OBJ)/so/interpose/sim/rt_function.o

# The sim libraries keep their real names, so they get a directory of
# their own: PKGLIBDIR/sim, beside the interposer's.  The test clients go
# to PKGLIBEXECDIR: programs to check an install with, not for PATH.
INSTALL_SIM_LIBS += $(SIM_LIBS)
INSTALL_LIBEXEC += $(BIN)/vgpu-devquery $(BIN)/vgpu-ollama-probe

endif
