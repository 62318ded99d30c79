/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* veth: timestamp (0 for stack-sent frames), RSS hash and type, VLAN tag. Linux >= 6.8. */
#define HOOK_STRUCT xdp_hints_veth
#define HOOK_TIMESTAMP 1
#define HOOK_HASH 1
#define HOOK_VLAN 1
#include "hook_common.bpf.h"
