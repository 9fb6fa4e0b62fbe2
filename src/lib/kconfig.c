// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kconfig.c - the running kernel's build options, from its config file.
 *
 * It owns reading the kernel config; it must not guess a value it did not
 * read.
 *
 * The kernel reports some durations in jiffies (a TIME_WAIT socket's
 * timer), whose length is the build option HZ (100 to 1000): no syscall
 * tells it.  The config is where libbpf looks for __kconfig too, but a
 * BPF program that asks libbpf for it fails to load on a kernel that
 * ships no config (a minimal initramfs), so the holder iterators report
 * jiffies and this converts them, or says it cannot.  Measuring HZ against
 * the clock would need two samples a tick apart at least, and a guess
 * rounded to 100, 250, 300 or 1000: no.  zlib's gzopen() reads the plain
 * /boot file and the compressed /proc one alike.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <zlib.h>
#include "kconfig.h"
#include "util.h"

#define CONFIG_LINE_LEN 512
#define HZ_KEY "CONFIG_HZ="

/* CONFIG_HZ in the config file path: > 0, or -ENOENT. */
static int hz_from(const char *path)
{
	char line[CONFIG_LINE_LEN];
	gzFile f = gzopen(path, "re");
	int hz = -ENOENT;

	if (!f)
		return -ENOENT;
	while (gzgets(f, line, sizeof(line))) {
		if (!strncmp(line, HZ_KEY, strlen(HZ_KEY))) {
			char *end;
			long v = strtol(line + strlen(HZ_KEY), &end, 10);

			if (v > 0 && (*end == '\n' || !*end))
				hz = (int)v;
			break;
		}
	}
	gzclose(f);
	return hz;
}

static int hz = -ENOENT;
static pthread_once_t hz_once = PTHREAD_ONCE_INIT;

/* Once per process: the monitor diagnoses from more than one thread. */
static void read_hz(void)
{
	struct utsname u;
	char path[sizeof("/boot/config-") + sizeof(u.release)];

	if (!uname(&u)) {
		snprintf(path, sizeof(path), "/boot/config-%s", u.release);
		hz = hz_from(path);
	}
	if (hz < 0)
		hz = hz_from("/proc/config.gz");
}

int kconfig_hz(void)
{
	pthread_once(&hz_once, read_hz);
	return hz;
}

int64_t kconfig_jiffies_ms(uint64_t jiffies)
{
	int hz = kconfig_hz();

	return hz > 0 ? (int64_t)(jiffies * MSEC_PER_SEC / (uint64_t)hz) : -1;
}

uint32_t kconfig_ms_jiffies(uint32_t ms)
{
	int hz = kconfig_hz();

	return hz > 0 ? (uint32_t)(((uint64_t)ms * (uint64_t)hz + MSEC_PER_SEC - 1) / MSEC_PER_SEC) : 0;
}
