# interpose/sim/: the simulated GPU (libcuda.so.1, libcudart.so.12/13,
# libnvidia-ml.so.1 exporting the real API names), built into $(LIB)/sim/.
ifndef VGPU_SIM_MK
VGPU_SIM_MK := 1

COMMON_EXTRA_SRC += common/cuda_names.c

endif
