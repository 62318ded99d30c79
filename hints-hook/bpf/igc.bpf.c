/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* igc: timestamp, RSS hash and type. Linux >= 6.5 (hash), 6.8 (timestamp). */
#define HOOK_STRUCT xdp_hints_igc
#define HOOK_TIMESTAMP 1
#define HOOK_HASH 1
#define HOOK_VLAN 0
#include "hook_common.bpf.h"
