# elfpatch/: vgpu-elfpatch, in-place ELF dynamic-section editor.
ELFPATCH_SRC := $(filter-out elfpatch/fuzz_reader.c,$(sort $(wildcard elfpatch/*.c)))
ELFPATCH_OBJ := $(patsubst %.c,$(OBJ)/exe/%.o,$(ELFPATCH_SRC))

$(BIN)/vgpu-elfpatch: $(ELFPATCH_OBJ)
	@mkdir -p $(@D)
	$(CC) $(EXE_SAN) $(LDFLAGS) -o $@ $^ $(ELF_LIBS)

ALL_TARGETS += $(BIN)/vgpu-elfpatch
INSTALL_BINS += $(BIN)/vgpu-elfpatch
