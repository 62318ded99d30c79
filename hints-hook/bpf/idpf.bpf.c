/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* idpf: RSS hash and type. Linux >= 6.18. */
#define HOOK_STRUCT xdp_hints_idpf
#define HOOK_TIMESTAMP 0
#define HOOK_HASH 1
#define HOOK_VLAN 0
#include "hook_common.bpf.h"
