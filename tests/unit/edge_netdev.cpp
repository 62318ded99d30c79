// edge/netdev.hpp: the netdev generic-netlink client against a fake kernel (send/recv
// through the seam): what the request carries, how the reply is read, and the errors of a
// kernel without the family and of a device that is not there.
#include <xdphints/af_xdp/features.hpp>
#include <xdphints/edge/netdev.hpp>
#include <xdphints/edge/sys.hpp>

#include "fake_seam.hpp"

#include <catch2/catch.hpp>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <cerrno>
#include <cstring>
#include <vector>

using namespace xdphints;
using namespace xdphints::edge;

namespace {

struct FakeNetlink {
	int family_error = 0; // NLMSG_ERROR answer to the family lookup (negative errno)
	int dev_error = 0;    // ... to NETDEV_CMD_DEV_GET
	bool old_kernel = false; // no rx-metadata / xsk-features attributes (< 6.8)
	std::vector<std::vector<uint8_t>> requests;
	std::vector<uint8_t> reply;
	int closed = 0;
};
FakeNetlink *N = nullptr;

// One attribute with a value of type T, padded to NLA_ALIGNTO.
template <class T> void put(std::vector<uint8_t> &m, uint16_t type, T v)
{
	struct __attribute__((packed)) {
		nlattr a;
		T v;
	} at{{uint16_t(NLA_HDRLEN + sizeof(T)), type}, v};
	const auto *p = reinterpret_cast<const uint8_t *>(&at);
	m.insert(m.end(), p, p + sizeof(at));
	m.resize(NLA_ALIGN(m.size()));
}

std::vector<uint8_t> answer(uint16_t type, int error, auto &&attrs)
{
	std::vector<uint8_t> m(NLMSG_HDRLEN);
	if (error) {
		nlmsgerr e{};
		e.error = error;
		m.resize(NLMSG_HDRLEN + sizeof(e));
		std::memcpy(m.data() + NLMSG_HDRLEN, &e, sizeof(e));
		type = NLMSG_ERROR;
	} else {
		m.resize(NLMSG_HDRLEN + GENL_HDRLEN);
		attrs(m);
	}
	auto *h = reinterpret_cast<nlmsghdr *>(m.data());
	h->nlmsg_len = uint32_t(m.size());
	h->nlmsg_type = type;
	return m;
}

const Sys kFake = with_real({
	.socket = [](int domain, int, int protocol) -> int {
		REQUIRE(domain == AF_NETLINK);
		REQUIRE(protocol == NETLINK_GENERIC);
		return 9000;
	},
	.close = [](int fd) -> int { return fd == 9000 ? (N->closed++, 0) : (errno = EBADF, -1); },
	.setsockopt = [](int, int, int, const void *, socklen_t) -> int { return 0; },
	.send = [](int, const void *buf, size_t len, int) -> ssize_t {
		auto *p = static_cast<const uint8_t *>(buf);
		N->requests.emplace_back(p, p + len);
		auto *h = reinterpret_cast<const nlmsghdr *>(p);
		if (h->nlmsg_type == GENL_ID_CTRL)
			N->reply = answer(GENL_ID_CTRL, N->family_error, [](auto &m) { put<uint16_t>(m, CTRL_ATTR_FAMILY_ID, 42); });
		else
			N->reply = answer(h->nlmsg_type, N->dev_error, [](auto &m) {
				put<uint64_t>(m, 3, 1 | 8); // xdp-features: basic, xsk zero-copy
				put<uint32_t>(m, 4, 1);     // xdp-zc-max-segs
				if (!N->old_kernel) {
					put<uint64_t>(m, 5, 7); // xdp-rx-metadata-features: all three
					put<uint64_t>(m, 6, 1); // xsk-features: tx timestamp
				}
			});
		return ssize_t(len);
	},
	.recv = [](int, void *buf, size_t len, int) -> ssize_t {
		REQUIRE(N->reply.size() <= len);
		std::memcpy(buf, N->reply.data(), N->reply.size());
		return ssize_t(N->reply.size());
	},
});

struct WithFake : unit::FakeSeam<FakeNetlink> {
	WithFake() : FakeSeam(kFake, N) {}
};

} // namespace

TEST_CASE("netdev netlink: the family is looked up, then the device asked for by index", "[edge][unit]")
{
	WithFake f;
	auto nd = netdev_dev_get(7);
	REQUIRE(nd);
	CHECK(nd->xdp_features == 9);
	CHECK(nd->native_xdp());
	CHECK(nd->zero_copy());
	CHECK(nd->zc_max_segs == 1);
	REQUIRE(nd->rx_metadata);
	CHECK(*nd->rx_metadata == 7);
	REQUIRE(nd->xsk_features);
	CHECK(*nd->xsk_features == 1);
	REQUIRE(f.state.requests.size() == 2);
	auto *get = reinterpret_cast<const nlmsghdr *>(f.state.requests[1].data());
	CHECK(get->nlmsg_type == 42); // the family id the kernel gave
	auto *a = reinterpret_cast<const nlattr *>(f.state.requests[1].data() + NLMSG_HDRLEN + GENL_HDRLEN);
	uint32_t idx = 0;
	std::memcpy(&idx, reinterpret_cast<const uint8_t *>(a) + NLA_HDRLEN, 4);
	CHECK(a->nla_type == 1);
	CHECK(idx == 7);
	CHECK(f.state.closed == 1);

	// af_xdp's view of the same answer.
	auto df = afxdp::query_device_features(7);
	REQUIRE(df);
	CHECK(df->zero_copy());
	CHECK(df->tx_timestamp());
	CHECK_FALSE(df->tx_checksum());
	CHECK(df->xsk_features_known);
}

TEST_CASE("netdev netlink: a kernel before 6.8 reports no rx metadata and no xsk features", "[edge][unit]")
{
	WithFake f;
	f.state.old_kernel = true;
	auto nd = netdev_dev_get(7);
	REQUIRE(nd);
	CHECK_FALSE(nd->rx_metadata);
	CHECK_FALSE(nd->xsk_features);
	auto df = afxdp::query_device_features(7);
	REQUIRE(df);
	CHECK_FALSE(df->xsk_features_known);
	CHECK(df->to_string() == "zero-copy yes, tx metadata offloads unknown (kernel < 6.8)");
}

TEST_CASE("netdev netlink: no family (Linux < 6.3) and no device are told apart", "[edge][unit]")
{
	WithFake f;
	SECTION("no netdev family")
	{
		f.state.family_error = -ENOENT;
		auto nd = netdev_dev_get(7);
		REQUIRE_FALSE(nd);
		CHECK(nd.error().code == Errc::unsupported);
		CHECK(nd.error().sys_errno == 0);
		CHECK(nd.error().message == "this kernel has no generic netlink family 'netdev' (the netdev netlink "
					    "family needs Linux >= 6.3)");
	}
	SECTION("no such device")
	{
		f.state.dev_error = -ENODEV;
		auto nd = netdev_dev_get(7);
		REQUIRE_FALSE(nd);
		CHECK(nd.error().code == Errc::no_device);
		CHECK(nd.error().sys_errno == ENODEV);
		CHECK_THAT(nd.error().message, Catch::Contains("no interface ifindex 7 in this network namespace (ip link)"));
	}
	CHECK(f.state.closed == 1);
}
