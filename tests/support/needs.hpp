#pragma once
// What a privileged or fault test case needs from the kernel, said by a Catch2 tag
// [needs:NAME] on its TEST_CASE line, and whether the running kernel gives it: each found by
// a real attempt, once per process. A case whose needs the kernel lacks is not run there;
// the kernel tier runs it in a guest (support/placement.hpp, tests/kernels/README.md).
//
//   [needs:meta]         the XDP metadata area (hook::metadata_area_allowed(): an XDP
//                        program calling bpf_xdp_adjust_meta loads). Such a case also runs
//                        only under the meta transport.
//   [needs:live-frames]  BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES (Linux >= 5.18)
//                        itself, not just a generator (testbed::live_frames_support()).
//   [needs:phc]          a NIC with a PTP hardware clock: XDP_HINTS_TEST_PHC_IF names one, or
//                        an interface of this network namespace reports one
//                        (ETHTOOL_GET_TS_INFO). Without it the [phc] cases measure nothing.
//
// XDPHINTS_TEST_REFUSE="meta live-frames" makes a process treat those as refused whatever
// the kernel says: to test the bookkeeping (placement, the kernel tier, check-placement) on a
// kernel that allows everything.
#include <xdphints/result.hpp>

#include <string>
#include <vector>

namespace xdphints::test {

// Whether the kernel gives XDP programs the metadata area: the library's own probe
// (hook::metadata_area_allowed(), once per process), the answer its transport follows.
Result<bool> metadata_area_allowed();

struct Need {
	std::string name;     // as in the tag: "meta"
	bool allowed = false; // the kernel gives it (and XDPHINTS_TEST_REFUSE does not name it)
	std::string why;      // when not allowed: the kernel's answer, for the plan and the record
};

// Every need above, probed on the first call (as root: an unprivileged process is refused
// everything for that reason alone, which privileges.hpp reports instead).
const std::vector<Need> &kernel_needs();

// The need called `name`, nullptr for a name no probe knows (a typo in a tag).
const Need *find_need(const std::string &name);

// Whether `name` is one of the needs above (no probing).
bool is_need(const std::string &name);

// The names in XDPHINTS_TEST_REFUSE that are no need above (a typo: the run stops on it).
std::vector<std::string> unknown_refusals();

} // namespace xdphints::test
