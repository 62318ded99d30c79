// edge/memfd.hpp: bytes as a file for libbpf. Writes are retried on EINTR and short writes;
// a memfd that cannot be made or written says why, through the seam's fakes.
#include <xdphints/edge/memfd.hpp>
#include <xdphints/edge/sys.hpp>

#include <catch2/catch.hpp>

#include <cerrno>
#include <string>
#include <unistd.h>
#include <vector>

using namespace xdphints;
using namespace xdphints::edge;

namespace {

int g_calls = 0;

// Every other write is interrupted, the others take at most 3 bytes.
ssize_t stuttering_write(int fd, const void *buf, size_t len)
{
	if (g_calls++ % 2 == 0)
		return errno = EINTR, -1;
	return ::write(fd, buf, len < 3 ? len : 3);
}

std::string contents(int fd)
{
	std::string s(64, '\0');
	ssize_t n = pread(fd, s.data(), s.size(), 0);
	s.resize(n > 0 ? size_t(n) : 0);
	return s;
}

} // namespace

TEST_CASE("memfd_with: EINTR and short writes are retried until every byte is in", "[edge][unit]")
{
	g_calls = 0;
	Sys sys = with_real({.write = stuttering_write});
	SysOverride seam{sys};
	const std::string data = "split BTF, say: 20 b";
	auto fd = memfd_with("xh-test", data.data(), data.size());
	REQUIRE(fd);
	CHECK(contents(fd->get()) == data);
	CHECK(g_calls == 14); // 7 interrupted + 7 short writes of 3, 3, 3, 3, 3, 3, 2
	CHECK(fd_path(fd->get()) == "/proc/self/fd/" + std::to_string(fd->get()));
}

TEST_CASE("memfd_with: a failing memfd_create or write names the call and the fix", "[edge][unit]")
{
	SECTION("out of fds")
	{
		Sys sys = with_real({.memfd_create = [](const char *, unsigned) -> int { return errno = EMFILE, -1; }});
		SysOverride seam{sys};
		auto fd = memfd_with("xh-test", "x", 1);
		REQUIRE_FALSE(fd);
		CHECK(fd.error().sys_errno == EMFILE);
		CHECK_THAT(fd.error().message, Catch::StartsWith("create memfd xh-test: "));
		CHECK_THAT(fd.error().message, Catch::EndsWith("(check the fd limit (ulimit -n))"));
	}
	SECTION("a write that takes nothing")
	{
		Sys sys = with_real({.write = [](int, const void *, size_t) -> ssize_t { return 0; }});
		SysOverride seam{sys};
		auto fd = memfd_with("xh-test", "abc", 3);
		REQUIRE_FALSE(fd);
		CHECK(fd.error().code == Errc::io);
		CHECK(fd.error().sys_errno == 0); // detected, not an errno
		CHECK(fd.error().message.find("took no more bytes after 0 of 3") != std::string::npos);
	}
}
