/* The simulated GPU: state shared by its driver (libcuda.so.1) and NVML
 * (libnvidia-ml.so.1) libraries.  The runtime libraries hold no device
 * state: they call the driver, as NVIDIA's runtime does. */
#ifndef VGPU_SIM_H
#define VGPU_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cuda_types.h"

/* Exported API entry points; everything else stays hidden. */
#define SIM_API __attribute__((visibility("default")))

#define SIM_MAX_DEVICES 16

struct sim_device {
	char name[96];
	unsigned char uuid[16];
	int cc_major, cc_minor;
	unsigned long long memory;	/* bytes */
	int sms;
	int clock_khz, memclock_khz, buswidth;
	unsigned pci_domain, pci_bus, pci_dev;
	unsigned pci_device_id;		/* PCI device id (vendor is 0x10de) */
	char driver[32];		/* "580.65.06" */
	int cuda_version;		/* cuDriverGetVersion, 13000 */
};

struct sim_config {
	struct sim_device dev[SIM_MAX_DEVICES];
	int ndev;
	bool launch_noop;		/* `sim launch=noop` */
	char source[256];		/* where the config came from */
	uint64_t hash;			/* of the devices: names the state file */
};

/* The configuration, loaded once: /.vgpu/config, else $VGPU_RULES, else
 * one H100-class device.  A bad config is reported on stderr and leaves
 * zero devices (every API then says "no device"). */
const struct sim_config *sim_config(void);
/* Parse TEXT (named NAME) into c; returns 0 or -1 with err set. */
int sim_config_parse(struct sim_config *c, const char *name, const char *text,
		     char *err, size_t errlen);

/* "GPU-6a1f..." (NVML form); buf >= 41 bytes. */
void sim_uuid_string(const unsigned char uuid[16], char *buf, size_t len);
/* "0000:01:00.0"; buf >= 13 bytes. */
void sim_pci_string(const struct sim_device *d, char *buf, size_t len);

/* Device memory accounting shared by every process using the same
 * configuration (state file, see account.c), so NVML in any process sees
 * what the traced processes allocated. */
int sim_account_alloc(int dev, unsigned long long bytes);	/* 0 or -1: full */
void sim_account_free(int dev, unsigned long long bytes);
unsigned long long sim_account_used(int dev);			/* all processes */
struct sim_proc_use {
	unsigned pid;
	unsigned long long bytes;
};
/* Live processes with memory on dev; returns the count (may exceed max). */
unsigned sim_account_procs(int dev, struct sim_proc_use *out, unsigned max);

/* A note for the trace: written there through the interposer's
 * vgpu_trace_note while it traces, else printed once on stderr. */
void sim_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
