/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* virtio_net: RSS hash and type (with VIRTIO_NET_F_HASH_REPORT). Linux >= 6.10. */
#define HOOK_STRUCT xdp_hints_virtio_net
#define HOOK_TIMESTAMP 0
#define HOOK_HASH 1
#define HOOK_VLAN 0
#include "hook_common.bpf.h"
