// edge/xdp_query.hpp: what is attached to an interface and the refusal that names it,
// against a fake kernel (bpf(2) queries and libxdp's dispatcher view through the seam).
#include <xdphints/edge/sys.hpp>
#include <xdphints/edge/xdp_query.hpp>

#include "fake_seam.hpp"

#include <catch2/catch.hpp>

#include <bpf/bpf.h>
#include <linux/if_link.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <string>
#include <vector>

using namespace xdphints;
using namespace xdphints::edge;

namespace {

struct FakeBpf {
	uint32_t ids[3] = {}; // drv, skb, hw
	std::string name = "user_prog";
	struct Link {
		uint32_t id, prog, ifindex, type;
	};
	std::vector<Link> links;
	std::vector<std::pair<uint32_t, std::string>> dispatched;
	std::set<int> open;
	int query_errno = 0;
};
FakeBpf *B = nullptr;
constexpr int kProgFd = 8000, kLinkFd = 9000;

const Sys kFake = with_real({
	.close = [](int fd) -> int { return B->open.erase(fd) ? 0 : (errno = EBADF, -1); },
	.xdp_prog_ids = [](int ifindex, uint32_t ids[3]) -> int {
		if (B->query_errno)
			return errno = B->query_errno, -1;
		REQUIRE(ifindex == 7);
		std::memcpy(ids, B->ids, sizeof(B->ids));
		return 0;
	},
	.prog_get_fd_by_id = [](uint32_t id) -> int {
		B->open.insert(kProgFd + int(id));
		return kProgFd + int(id);
	},
	.link_get_fd_by_id = [](uint32_t id) -> int {
		B->open.insert(kLinkFd + int(id));
		return kLinkFd + int(id);
	},
	.link_get_next_id = [](uint32_t start, uint32_t *next) -> int {
		for (auto &l : B->links)
			if (l.id > start)
				return *next = l.id, 0;
		return errno = ENOENT, -1;
	},
	.obj_get_info_by_fd = [](int fd, void *info, uint32_t *) -> int {
		if (fd >= kLinkFd) {
			for (auto &l : B->links)
				if (kLinkFd + int(l.id) == fd) {
					auto *li = static_cast<bpf_link_info *>(info);
					li->type = l.type;
					li->id = l.id;
					li->prog_id = l.prog;
					li->xdp.ifindex = l.ifindex;
					return 0;
				}
			return errno = ENOENT, -1;
		}
		auto *pi = static_cast<bpf_prog_info *>(info);
		pi->id = uint32_t(fd - kProgFd);
		std::strncpy(pi->name, B->name.c_str(), sizeof(pi->name) - 1);
		return 0;
	},
	.xdp_dispatcher_progs = [](int, uint32_t *ids, char (*names)[16], int max) -> int {
		int n = 0;
		for (auto &[id, name] : B->dispatched) {
			if (n == max)
				break;
			ids[n] = id;
			std::strncpy(names[n], name.c_str(), 15);
			n++;
		}
		return n;
	},
});

struct WithFake : unit::FakeSeam<FakeBpf> {
	WithFake() : FakeSeam(kFake, B) {}
	~WithFake() { CHECK(state.open.empty()); } // every fd the query opened is closed
};

} // namespace

TEST_CASE("xdp query: nothing attached, or a program in generic mode through netlink", "[edge][unit]")
{
	WithFake f;
	auto none = attached_xdp(7, "eth1");
	REQUIRE(none);
	CHECK(none->prog_id == 0);
	CHECK(none->mode == XdpMode::none);

	f.state.ids[1] = 31;
	f.state.links = {{1, 31, 8, BPF_LINK_TYPE_XDP}, {2, 30, 7, BPF_LINK_TYPE_XDP}}; // other device, other program
	auto a = attached_xdp(7, "eth1");
	REQUIRE(a);
	CHECK(a->prog_id == 31);
	CHECK(a->mode == XdpMode::generic);
	CHECK(xdp_mode_flag(a->mode) == XDP_FLAGS_SKB_MODE);
	CHECK(std::string(xdp_mode_word(a->mode)) == "generic (SKB)");
	CHECK(a->name == "user_prog");
	CHECK_FALSE(a->is_link());
	Error e = busy_error("eth1", 7, *a);
	CHECK(e.code == Errc::busy);
	CHECK(e.sys_errno == 0);
	CHECK(e.message == "eth1 already has XDP program id 31 (name user_prog) (detach it (ip link set dev eth1 xdp off) "
			   "or pass --replace)");
}

TEST_CASE("xdp query: a program held by a bpf_link is found with its link", "[edge][unit]")
{
	WithFake f;
	f.state.ids[0] = 40;
	f.state.links = {{3, 39, 7, BPF_LINK_TYPE_XDP}, {5, 40, 7, BPF_LINK_TYPE_XDP}};
	auto a = attached_xdp(7, "eth1");
	REQUIRE(a);
	CHECK(a->mode == XdpMode::driver);
	CHECK(a->link_id == 5);
	Error unknown = busy_error("eth1", 7, *a);
	CHECK_THAT(unknown.message, Catch::Contains("it is attached through a bpf_link, which neither `ip link set dev eth1 "
						    "xdp off` nor --replace can detach"));
	Error held = busy_error("eth1", 7, *a, {getpid(), false});
	CHECK_THAT(held.message, Catch::Contains(", attached through a bpf_link held by "));
	CHECK_THAT(held.message, Catch::Contains("(pid " + std::to_string(getpid()) + ")"));
	CHECK_THAT(held.message, Catch::Contains("stop the process that holds the link first"));
}

TEST_CASE("xdp query: a libxdp dispatcher's programs are named in the refusal", "[edge][unit]")
{
	WithFake f;
	f.state.ids[0] = 50;
	f.state.name = "xdp_dispatcher";
	f.state.dispatched = {{51, "fw_prog"}, {52, "stats_prog"}};
	auto a = attached_xdp(7, "eth1");
	REQUIRE(a);
	CHECK(dispatcher_programs(7) == std::vector<std::string>{"fw_prog (id 51)", "stats_prog (id 52)"});
	Error e = busy_error("eth1", 7, *a);
	CHECK(e.message == "eth1 already has XDP program id 50 (name xdp_dispatcher), a libxdp dispatcher running "
			   "fw_prog (id 51), stats_prog (id 52) (unload them (xdp-loader unload eth1 --all) or pass --replace)");
}

TEST_CASE("xdp query: a failing query says which interface, with the errno's advice", "[edge][unit]")
{
	WithFake f;
	f.state.query_errno = EPERM;
	auto a = attached_xdp(7, "eth1");
	REQUIRE_FALSE(a);
	CHECK(a.error().sys_errno == EPERM);
	CHECK_THAT(a.error().message, Catch::StartsWith("query XDP programs of eth1: Operation not permitted (run as root"));
}
