/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* generic: any driver, any kernel with BPF links (5.9); no kfuncs, so not device-bound
 * and usable in generic (SKB) mode. Writes a software timestamp (CLOCK_TAI). */
#define HOOK_STRUCT xdp_hints_generic
#define HOOK_SW_TIMESTAMP 1
#include "hook_common.bpf.h"
