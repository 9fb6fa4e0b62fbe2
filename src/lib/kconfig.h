/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * kconfig.h - build options of the running kernel that userspace needs to
 * read what the kernel reports: HZ, to turn jiffies into time.
 */
#ifndef BW_KCONFIG_H
#define BW_KCONFIG_H

#include <stdint.h>

/*
 * The running kernel's HZ (CONFIG_HZ), read once from
 * /boot/config-$(uname -r) or /proc/config.gz, the files libbpf reads for
 * __kconfig: a positive number, or -ENOENT when neither has it.
 */
int kconfig_hz(void);

/* jiffies as ms at the running kernel's HZ; -1 when HZ is unknown. */
int64_t kconfig_jiffies_ms(uint64_t jiffies);
/* ms in jiffies, rounded up (the socket tables give a TIME_WAIT's time in ms); 0 when HZ is unknown. */
uint32_t kconfig_ms_jiffies(uint32_t ms);

#endif /* BW_KCONFIG_H */
