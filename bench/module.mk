# bench/: helper programs of the benchmarks (built, never run, by `make`).
BENCH_DIR := $(BUILD)/bench
$(BENCH_DIR)/notify_bare: bench/notify_bare.c
	@mkdir -p $(@D)
	$(call say,CC,$@)$(CC) -std=gnu11 -O2 $(WARN) -D_GNU_SOURCE $(CPPFLAGS) $(LDFLAGS) \
	  -o $@ $< $(SECCOMP_LIBS)
$(BENCH_DIR)/openloop: bench/openloop.c
	@mkdir -p $(@D)
	$(call say,CC,$@)$(CC) -std=gnu11 -O2 $(WARN) $(CPPFLAGS) $(LDFLAGS) -o $@ $<
ALL_TARGETS += $(BENCH_DIR)/notify_bare $(BENCH_DIR)/openloop
