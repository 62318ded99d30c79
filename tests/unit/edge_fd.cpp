// edge/fd.hpp: the one owner of fds. Closing goes through the seam, so a fake close counts
// exactly which fds were closed, and how often.
#include <xdphints/edge/fd.hpp>
#include <xdphints/edge/sys.hpp>

#include <catch2/catch.hpp>

#include <cerrno>
#include <utility>
#include <vector>

using namespace xdphints::edge;

namespace {

std::vector<int> g_closed;

struct CountCloses {
	Sys sys = with_real({.close = [](int fd) -> int {
		g_closed.push_back(fd);
		return fd == 6666 ? (errno = EINTR, -1) : 0; // close(2) may fail: the fd is gone all the same
	}});
	SysOverride seam{sys};
	CountCloses() { g_closed.clear(); }
};

} // namespace

TEST_CASE("UniqueFd: closes once, moves ownership, releases and resets explicitly", "[edge][unit]")
{
	CountCloses c;
	{
		UniqueFd a(7001);
		CHECK(a.valid());
		CHECK(a.get() == 7001);
		UniqueFd b = std::move(a);
		CHECK_FALSE(a.valid());
		CHECK(a.get() == -1);
		CHECK(b.get() == 7001);
		UniqueFd d(7002);
		d = std::move(b); // closes 7002, takes 7001
		CHECK(g_closed == std::vector<int>{7002});
		d.reset(); // closes 7001
		d.reset(); // idempotent: nothing more
		CHECK(g_closed == std::vector<int>{7002, 7001});
		UniqueFd e(7003);
		CHECK(e.release() == 7003); // the caller owns it now
		CHECK_FALSE(e);
		UniqueFd neg(-5);
		CHECK_FALSE(neg.valid());
		CHECK(neg.get() == -1);
		UniqueFd self(7004);
		auto &alias = self;
		self = std::move(alias); // self-move keeps the fd
		CHECK(self.get() == 7004);
		UniqueFd f(6666); // its close reports EINTR: not retried, not closed twice
	}
	CHECK(g_closed == std::vector<int>{7002, 7001, 6666, 7004});
}
