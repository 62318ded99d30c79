/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* mlx4 (mlx4_en): timestamp, RSS hash and type. Linux >= 6.3. */
#define HOOK_STRUCT xdp_hints_mlx4
#define HOOK_TIMESTAMP 1
#define HOOK_HASH 1
#define HOOK_VLAN 0
#include "hook_common.bpf.h"
