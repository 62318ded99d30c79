/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* gve: timestamp (DQO queue format). Linux >= 6.16. */
#define HOOK_STRUCT xdp_hints_gve
#define HOOK_TIMESTAMP 1
#define HOOK_HASH 0
#define HOOK_VLAN 0
#include "hook_common.bpf.h"
