// xdp-hints-hook-cost: what specialisation saves, measured in the kernel.
//
// For each hook configuration (all fields, one field, PTP split) on a fresh veth testbed:
// attach the hook, send N UDP packets through the stack from the peer namespace, and
// read the program's own run-time statistics (BPF_ENABLE_STATS: run_time_ns / run_cnt,
// scoped to this process's fd). Prints ns per packet, the xlated program size, the kfunc
// calls left after the verifier, and the size of the struct written. Needs root.
//
//   xdp-hints-hook-cost [packets-per-config (default 20000)] [--json]
#include <xdphints/edge/fd.hpp>
#include <xdphints/hook/hook.hpp>
#include <xdphints/testbed/netns.hpp>
#include <xdphints/testbed/traffic.hpp>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>

using namespace xdphints;
using namespace xdphints::hook;

namespace {

struct Config {
	const char *name;
	unsigned hints;
	bool ptp;
};

struct Row {
	std::string name;
	std::string layout;
	uint32_t struct_size = 0;
	uint32_t insns = 0;
	uint32_t kfunc_calls = 0;
	uint64_t packets = 0;
	double ns_per_packet = 0;
};

bool xlated(int fd, uint32_t &insns, uint32_t &kfuncs)
{
	bpf_prog_info info{};
	uint32_t len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0)
		return false;
	std::vector<bpf_insn> v(info.xlated_prog_len / sizeof(bpf_insn));
	bpf_prog_info again{};
	again.xlated_prog_len = info.xlated_prog_len;
	again.xlated_prog_insns = reinterpret_cast<uintptr_t>(v.data());
	len = sizeof(again);
	if (bpf_obj_get_info_by_fd(fd, &again, &len) != 0)
		return false;
	insns = uint32_t(v.size());
	kfuncs = uint32_t(std::count_if(v.begin(), v.end(), [](const bpf_insn &i) {
		return i.code == (BPF_JMP | BPF_CALL) && i.src_reg == BPF_PSEUDO_KFUNC_CALL;
	}));
	return true;
}

int fail(const std::string &msg)
{
	std::fprintf(stderr, "xdp-hints-hook-cost: %s\n", msg.c_str());
	return 1;
}

} // namespace

int main(int argc, char **argv)
{
	uint64_t n = 20000;
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (std::strcmp(argv[i], "--json") == 0)
			json = true;
		else
			n = std::strtoull(argv[i], nullptr, 10);
	}
	// Run-time statistics stay on while this fd is open.
	xdphints::edge::UniqueFd stats_fd(bpf_enable_stats(BPF_STATS_RUN_TIME));
	if (!stats_fd)
		return fail("BPF_ENABLE_STATS failed (run as root): " + std::string(std::strerror(errno)));

	auto bed = testbed::Testbed::create("cost");
	if (!bed)
		return fail(bed.error().message);
	const Config configs[] = {
		{"all fields", 0, false},
		{"rx_timestamp only", hint::timestamp, false},
		{"rx_hash only", hint::hash, false},
		{"rx_vlan_tci only", hint::vlan, false},
		{"PTP split (hash for non-PTP)", 0, true},
	};
	std::vector<Row> rows;
	uint16_t port = 45000;
	for (const auto &c : configs) {
		Row r;
		r.name = c.name;
		{
			auto scope = testbed::NetnsScope::enter(bed->rx_ns);
			if (!scope)
				return fail(scope.error().message);
			HookOptions o;
			o.ifname = bed->rx().ifname;
			o.hints = c.hints;
			o.ptp_split = c.ptp;
			auto hook = Hook::attach(o);
			if (!hook)
				return fail(hook.error().message);
			auto layouts = hook->layouts();
			r.layout = hook->written_layouts().back();
			if (layouts)
				for (const auto &l : *layouts)
					if (l.name == r.layout)
						r.struct_size = l.size;
			xlated(hook->prog_fd(), r.insns, r.kfunc_calls);

			auto flow = testbed::UdpFlow::open(bed->tx_ns, bed->tx().ipv4, uint16_t(port + 1), bed->rx().ipv4, port);
			if (!flow)
				return fail(flow.error().message);
			port += 2;
			const uint8_t payload[64] = {1};
			for (uint64_t i = 0; i < n; i++)
				(void)flow->send(payload); // ICMP errors are fine: only the hook's cost counts
			bpf_prog_info info{};
			uint32_t len = sizeof(info);
			for (int tries = 0; tries < 100; tries++) {
				len = sizeof(info);
				if (bpf_obj_get_info_by_fd(hook->prog_fd(), &info, &len) == 0 && info.run_cnt >= n)
					break;
				usleep(10000);
			}
			r.packets = info.run_cnt;
			r.ns_per_packet = info.run_cnt ? double(info.run_time_ns) / double(info.run_cnt) : 0;
		}
		rows.push_back(r);
	}
	stats_fd.reset();

	if (json) {
		std::printf("[");
		for (size_t i = 0; i < rows.size(); i++) {
			const Row &r = rows[i];
			std::printf("%s{\"config\":\"%s\",\"layout\":\"%s\",\"struct_size\":%u,\"xlated_insns\":%u,"
				    "\"kfunc_calls\":%u,\"packets\":%llu,\"ns_per_packet\":%.1f}",
				    i ? "," : "", r.name.c_str(), r.layout.c_str(), r.struct_size, r.insns, r.kfunc_calls,
				    (unsigned long long)r.packets, r.ns_per_packet);
		}
		std::printf("]\n");
		return 0;
	}
	std::printf("%-30s %-26s %6s %6s %6s %8s %8s\n", "config (veth hook)", "layout written", "bytes", "insns",
		    "kfuncs", "packets", "ns/pkt");
	for (const Row &r : rows)
		std::printf("%-30s %-26s %6u %6u %6u %8llu %8.1f\n", r.name.c_str(), r.layout.c_str(), r.struct_size,
			    r.insns, r.kfunc_calls, (unsigned long long)r.packets, r.ns_per_packet);
	return 0;
}
