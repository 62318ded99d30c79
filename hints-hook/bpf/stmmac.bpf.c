/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* stmmac (st_gmac, st_xgmac, st_mac100): timestamp. Linux >= 6.5. */
#define HOOK_STRUCT xdp_hints_stmmac
#define HOOK_TIMESTAMP 1
#define HOOK_HASH 0
#define HOOK_VLAN 0
#include "hook_common.bpf.h"
