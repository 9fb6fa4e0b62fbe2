/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * version.h - bindwatch's version, for --version and bindwatch_info.
 */
#ifndef BW_VERSION_H
#define BW_VERSION_H

#define BINDWATCH_VERSION "0.1.0"

#endif /* BW_VERSION_H */
