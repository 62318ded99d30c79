#pragma once
// The xdp-hints subcommands. Each returns the process exit code and prints its own
// errors (cause and fix) on stderr.
#include "clock.hpp"
#include "output.hpp"

#include <xdphints/hook/transport.hpp>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace xdphints::cli {

// Set by SIGINT/SIGTERM; every loop polls it and unwinds, so destructors clean up.
extern std::atomic<bool> g_stop;

struct LayoutArgs {
	std::string ifname;
	std::string object;
	std::string btf;
	std::vector<std::string> structs; // explicit (fixed-layout) struct names
	std::string layout_btf;           // --object: where structs missing from .BTF are described
	bool json = false;
};

struct DumpArgs {
	std::string ifname;
	std::string queues = "0";      // "N", "a,b,c" or "all": one socket and thread per queue
	std::vector<int> pin_cpus;     // pin queue i's thread to pin_cpus[i % size]
	bool busy_poll = false;        // SO_PREFER_BUSY_POLL + SO_BUSY_POLL(_BUDGET)
	uint64_t count = 0;            // 0: until Ctrl-C
	bool json = false;
	std::string write_file;        // -w: pcapng to this file, "-" for stdout
	uint32_t snaplen = 0;          // -s: bytes kept per packet in the pcapng (0: the most, 262144)
	std::string hook;              // driver hook override ("veth", "generic", ...)
	std::string hook_object;       // bring-your-own hook
	std::string layout;            // fixed-layout struct name
	std::string layout_btf;        // where `layout` is described if not in the object's BTF/DWARF
	std::vector<std::string> fields; // specialise the hook to these hints ("" = all)
	bool ptp_split = false;        // PTP event packets: timestamp layout; others: hash layout
	std::string user_object;       // XDP logic of the user's, run inside the hook
	bool replace = false;
	bool hwtstamp = false;
	bool leave_hwtstamp = false;   // never change the timestamping setting (default: on for the run when off)
	render::Clock clock = render::Clock::tai; // --clock: rx_timestamps shown in this clock (clock.hpp)
	std::optional<bool> zero_copy; // unset: try zero-copy, fall back to copy
	double stats_interval = 1.0;   // seconds between statistics lines on stderr
	size_t buffer_size = kDefaultQueueBytes; // bytes of output queued for stdout; records beyond are dropped, counted
	uint32_t ring_size = 0;        // fill/RX ring descriptors per queue; 0: by queue count (ReceiverOptions)
	hook::Transport transport = hook::Transport::automatic; // --transport meta|prefix
};

struct ProbeArgs {
	std::string ifname;
	bool json = false;
};

struct ResetArgs {
	std::string ifname;
};

struct DemoArgs {
	unsigned packets_per_flow = 4;
	bool json = false;
	std::string write_file; // -w: the packets as pcapng too ("-": stdout, instead of the table)
	hook::Transport transport = hook::Transport::automatic; // --transport meta|prefix
};

int cmd_layout(const LayoutArgs &a);
int cmd_dump(const DumpArgs &a);
int cmd_probe(const ProbeArgs &a);
int cmd_demo(const DemoArgs &a);
int cmd_reset(const ResetArgs &a);

} // namespace xdphints::cli
