#pragma once
// Internal: what the kernel-feature probes of hints-hook share (meta_limit.cpp,
// transport.cpp): hand-assembled BPF instructions, and "ask once per process".
#include <xdphints/result.hpp>

#include <linux/bpf.h>

#include <cstdint>
#include <mutex>
#include <optional>

namespace xdphints::hook::detail {

inline bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	bpf_insn i{};
	i.code = code;
	i.dst_reg = dst & 0xf;
	i.src_reg = src & 0xf;
	i.off = off;
	i.imm = imm;
	return i;
}

// probe() once per process (per instantiation: one per Probe function); later calls return
// the cached answer. A failed probe is not cached: the next call asks again.
template <class T, Result<T> (*Probe)()> Result<T> probe_once()
{
	static std::mutex mu;
	static std::optional<T> cached;
	std::lock_guard lock(mu);
	if (cached)
		return *cached;
	auto r = Probe();
	if (r)
		cached = *r;
	return r;
}

} // namespace xdphints::hook::detail
