// xdp-hints for applications: one include for the whole public API.
//
//   lib/         the pure core: BTF, hint-struct discovery, relocation by name, Decoder
//   hints-hook/  the device-bound XDP hooks that write hints (xdphints::hook)
//   af_xdp/      umem, sockets and rings with frames delivered with their hints
//                (xdphints::afxdp)
//   receiver/    the common case in one object: xdphints::Receiver (hook + umem + a
//                socket per queue + decoder)
//
// Include a layer's own headers instead to depend on less: the core alone
// (<xdphints/query.hpp>) needs neither privileges nor AF_XDP.
#pragma once

#include <xdphints/btf.hpp>
#include <xdphints/layout.hpp>
#include <xdphints/query.hpp>
#include <xdphints/resolve.hpp>
#include <xdphints/result.hpp>
#include <xdphints/version.hpp>

#include <xdphints/hook/byo.hpp>
#include <xdphints/hook/clock.hpp>
#include <xdphints/hook/hook.hpp>
#include <xdphints/hook/hwtstamp.hpp>
#include <xdphints/hook/kernel_btf.hpp>
#include <xdphints/hook/meta_limit.hpp>
#include <xdphints/hook/phc_clock.hpp>
#include <xdphints/hook/probe.hpp>

#include <xdphints/af_xdp/features.hpp>
#include <xdphints/af_xdp/queues.hpp>
#include <xdphints/af_xdp/ring.hpp>
#include <xdphints/af_xdp/socket.hpp>
#include <xdphints/af_xdp/umem.hpp>

#include <xdphints/receiver.hpp>
