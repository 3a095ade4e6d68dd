# tracer/: vgpu-run (supervisor and report mode)
TRACER_SRC := $(sort $(wildcard tracer/*.c))
TRACER_OBJ := $(patsubst %.c,$(OBJ)/exe/%.o,$(TRACER_SRC))
COMMON_EXTRA_SRC += common/rules.c common/elf_soname.c

$(BIN)/vgpu-run: $(TRACER_OBJ) $(COMMON_EXE_OBJ)
	@mkdir -p $(@D)
	$(CC) $(EXE_SAN) $(LDFLAGS) -o $@ $^ $(SECCOMP_LIBS) $(ELF_LIBS) $(TRACER_LIBS) -pthread

ALL_TARGETS += $(BIN)/vgpu-run
INSTALL_BINS += $(BIN)/vgpu-run
