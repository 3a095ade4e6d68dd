# interpose/: the in-process libraries.  Each API gets one library built
# from the same core, its own generated thunks and its API file:
#   libvgpu-cuda.so      SONAME libcuda.so.1
#   libvgpu-cudart12.so  SONAME libcudart.so.12   (symbols @libcudart.so.12)
#   libvgpu-cudart13.so  SONAME libcudart.so.13   (symbols @libcudart.so.13)
#   libvgpu-nvml.so      SONAME libnvidia-ml.so.1
IP_CORE_SRC := interpose/core.c interpose/names.c interpose/pool.c \
	interpose/ring.c interpose/backend.c interpose/inject.c \
	interpose/standalone.c interpose/callsite.c interpose/loaded_module.c
IP_COMMON_SRC := common/trace_ring.c common/trace_write.c common/rules.c \
	$(wildcard common/cuda_names.c)
COMMON_EXTRA_SRC += common/trace_ring.c
IP_GEN := $(BUILD)/gen/interpose
IP_DECODE := $(firstword $(wildcard common/api_decode.txt) -)
IP_CORE_OBJ := $(patsubst %.c,$(OBJ)/so/%.o,$(IP_CORE_SRC) $(IP_COMMON_SRC)) \
	$(OBJ)/so/interpose/thunk_x86_64.o

$(OBJ)/so/interpose/%.o: interpose/%.S
	@mkdir -p $(@D)
	$(call say,AS,$*.o)$(CC) $(CPPFLAGS) -c $< -o $@

# api  version-node  names-file
IP_APIS := cuda cudart12 cudart13 nvml
ip_node_cuda := -
ip_node_nvml := -
ip_node_cudart12 := libcudart.so.12
ip_node_cudart13 := libcudart.so.13
ip_soname_cuda := libcuda.so.1
ip_soname_nvml := libnvidia-ml.so.1
ip_soname_cudart12 := libcudart.so.12
ip_soname_cudart13 := libcudart.so.13

# The GOT route is the driver's: one library rewrites dlsym imports.
ip_got_cuda := $(OBJ)/so/interpose/got.o $(OBJ)/so/interpose/got_hook_x86_64.o \
	$(OBJ)/so/interpose/inline_hook.o
ip_got_cudart12 := $(OBJ)/so/interpose/api_got_none.o
ip_got_cudart13 := $(OBJ)/so/interpose/api_got_none.o
ip_got_nvml := $(OBJ)/so/interpose/api_got_none.o
ip_libs_cuda := $(CAPSTONE_LIBS)

define ip_lib
$(IP_GEN)/$(1)_thunks.S $(IP_GEN)/$(1)_table.c $(IP_GEN)/$(1).map &: \
		interpose/exports/$(1).txt interpose/gen_thunks.sh \
		$(wildcard common/api_decode.txt)
	$(call say,GEN,$(IP_GEN)/$(1)_*)interpose/gen_thunks.sh $(1) $(ip_node_$(1)) interpose/exports/$(1).txt \
		$(IP_DECODE) $(IP_GEN)
$(OBJ)/so/gen/$(1)_thunks.o: $(IP_GEN)/$(1)_thunks.S
	@mkdir -p $$(@D)
	$(call say,AS,gen/$(1)_thunks.o)$(CC) $(CPPFLAGS) -c $$< -o $$@
$(OBJ)/so/gen/$(1)_table.o: $(IP_GEN)/$(1)_table.c interpose/interposer.h
	@mkdir -p $$(@D)
	$(call say,CC [so],gen/$(1)_table.o)$(CC) $(ALL_CFLAGS) $(SO_SAN) -Iinterpose -fvisibility=hidden -c $$< -o $$@
$(LIB)/libvgpu-$(1).so: $(IP_CORE_OBJ) $(OBJ)/so/interpose/api_$(1).o $(ip_got_$(1)) \
		$(OBJ)/so/gen/$(1)_thunks.o $(OBJ)/so/gen/$(1)_table.o \
		$(IP_GEN)/$(1).map
	@mkdir -p $$(@D)
	$(call say,LD,$$@)$(CC) $(SO_SAN) $(LDFLAGS) -shared -Wl,-soname,$(ip_soname_$(1)) \
		-Wl,--version-script,$(IP_GEN)/$(1).map -Wl,-z,now \
		-o $$@ $(IP_CORE_OBJ) $(OBJ)/so/interpose/api_$(1).o $(ip_got_$(1)) \
		$(OBJ)/so/gen/$(1)_thunks.o $(OBJ)/so/gen/$(1)_table.o \
		-ldl -lpthread $(UNWIND_LIBS) $(ip_libs_$(1))
ALL_TARGETS += $(LIB)/libvgpu-$(1).so
INSTALL_LIBS += $(LIB)/libvgpu-$(1).so
endef
$(foreach a,$(IP_APIS),$(eval $(call ip_lib,$(a))))
