#include <xdphints/testbed/livegen.hpp>

#include "afxdp_tx.hpp"
#include "gen_internal.hpp"
#include "livegen.skel.h"

#include <xdphints/edge/fd.hpp>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <ifaddrs.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>

#include <algorithm>
#include <array>
#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <pthread.h>
#include <sched.h>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace xdphints::testbed {

namespace {

Result<std::array<uint8_t, 6>> parse_mac(const std::string &s)
{
	std::array<uint8_t, 6> m{};
	unsigned v[6];
	if (std::sscanf(s.c_str(), "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return Error(Errc::invalid_argument, "'" + s + "' is not a MAC address (aa:bb:cc:dd:ee:ff)");
	for (int i = 0; i < 6; i++)
		m[i] = uint8_t(v[i]);
	return m;
}

uint16_t ip_checksum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += uint32_t(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return uint16_t(~sum);
}

void put16(uint8_t *p, uint16_t v)
{
	p[0] = uint8_t(v >> 8);
	p[1] = uint8_t(v);
}

constexpr size_t kPtpSyncLen = 44;

// A real attempt: an XDP_DROP program (two instructions, built here) run for one live
// frame in the calling thread's namespace. It drops the frame, so nothing is sent.
Status probe_live_frames()
{
	const bpf_insn insns[] = {
		{BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, XDP_DROP},
		{BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
	};
	LIBBPF_OPTS(bpf_prog_load_opts, lo, .expected_attach_type = BPF_XDP);
	edge::UniqueFd prog(bpf_prog_load(BPF_PROG_TYPE_XDP, "xh_live_probe", "Dual BSD/GPL", insns, 2, &lo));
	if (!prog)
		return Error::from_errno(errno, "loading the live-frames probe (an XDP_DROP program)",
					 "run as root (CAP_BPF + CAP_NET_ADMIN)");
	uint8_t frame[64] = {};
	put16(frame + 12, ETH_P_IP);
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = sizeof(frame), .repeat = 1,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);
	if (int err = bpf_prog_test_run_opts(prog.get(), &o))
		return Error::from_errno(err, "BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES",
					 "live frames need Linux >= 5.18 and a build that allows them; the generator sends "
					 "with AF_XDP TX instead");
	return {};
}

} // namespace

const char *gen_backend_name(GenBackend b) noexcept
{
	switch (b) {
	case GenBackend::automatic:
		return "automatic";
	case GenBackend::live_frames:
		return "live-frames";
	case GenBackend::afxdp_tx:
		return "afxdp-tx";
	}
	return "?";
}

const Status &live_frames_support()
{
	static const Status probed = probe_live_frames();
	return probed;
}

Result<GenChoice> choose_backend(GenBackend want)
{
	if (want != GenBackend::automatic)
		return GenChoice{want, std::string(gen_backend_name(want)) + ": asked for"};
	if (const char *env = std::getenv("XDPHINTS_GENERATOR"); env && *env) {
		for (GenBackend b : {GenBackend::live_frames, GenBackend::afxdp_tx})
			if (std::string_view(env) == gen_backend_name(b))
				return GenChoice{b, std::string(env) + ": XDPHINTS_GENERATOR=" + env};
		return Error(Errc::invalid_argument, std::string("XDPHINTS_GENERATOR='") + env +
							     "' names no generator; use live-frames or afxdp-tx, or unset it");
	}
	const Status &live = live_frames_support();
	if (live)
		return GenChoice{GenBackend::live_frames, "live-frames: the kernel runs live frames (probed)"};
	return GenChoice{GenBackend::afxdp_tx, "afxdp-tx: live frames refused: " + live.error().message};
}

GenOptions GenOptions::between(const VethEnd &from, const VethEnd &to)
{
	GenOptions o;
	o.src_mac = from.mac;
	o.dst_mac = to.mac;
	o.src_ip = from.ipv4;
	o.dst_ip = to.ipv4;
	return o;
}

Result<LiveGen> LiveGen::create(const Netns &tx_ns, int tx_ifindex, const GenOptions &opt)
{
	auto src = parse_mac(opt.src_mac);
	if (!src)
		return src.error();
	auto dst = parse_mac(opt.dst_mac);
	if (!dst)
		return dst.error();
	in_addr sip{}, dip{};
	if (inet_pton(AF_INET, opt.src_ip.c_str(), &sip) != 1 || inet_pton(AF_INET, opt.dst_ip.c_str(), &dip) != 1)
		return Error(Errc::invalid_argument, "bad IPv4 address '" + opt.src_ip + "' or '" + opt.dst_ip + "'");
	if (opt.flows == 0)
		return Error(Errc::invalid_argument, "GenOptions::flows is 0; give at least 1");
	auto choice = choose_backend(opt.backend);
	if (!choice)
		return choice.error();

	LiveGen g;
	g.ns_ = &tx_ns;
	g.opt_ = opt;
	g.backend_ = choice->backend;
	size_t l2 = opt.vlan_tci ? 18 : 14;
	g.payload_off_ = l2 + 20 + 8;
	g.stamp_off_ = g.payload_off_ + (opt.ptp ? kPtpSyncLen : 0);
	size_t need = g.stamp_off_ + sizeof(GenStamp);
	size_t len = std::max<size_t>({opt.frame_len, need, 60});
	if (len > 1514 + (opt.vlan_tci ? 4 : 0))
		return Error(Errc::invalid_argument, "frame length " + std::to_string(len) + " is above the 1500-byte MTU");
	auto &f = g.frame_;
	f.assign(len, 0);
	std::memcpy(&f[0], dst->data(), 6);
	std::memcpy(&f[6], src->data(), 6);
	if (opt.vlan_tci) {
		put16(&f[12], ETH_P_8021Q);
		put16(&f[14], *opt.vlan_tci);
		put16(&f[16], ETH_P_IP);
	} else {
		put16(&f[12], ETH_P_IP);
	}
	uint8_t *ip = &f[l2];
	ip[0] = 0x45;
	put16(ip + 2, uint16_t(len - l2));
	put16(ip + 6, 0x4000); // DF
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	std::memcpy(ip + 12, &sip, 4);
	std::memcpy(ip + 16, &dip, 4);
	put16(ip + 10, ip_checksum(ip, 20));
	uint8_t *udp = ip + 20;
	uint16_t dport = opt.ptp ? 319 : opt.dst_port;
	put16(udp, opt.src_port);
	put16(udp + 2, dport);
	put16(udp + 4, uint16_t(len - l2 - 20));
	// Checksum 0: none (IPv4). The program changes the source port per frame.
	if (opt.ptp) {
		uint8_t *ptp = udp + 8;
		ptp[0] = 0x00;                 // transportSpecific 0, messageType 0 = Sync
		ptp[1] = 0x02;                 // versionPTP 2
		put16(ptp + 2, kPtpSyncLen);   // messageLength
		ptp[6] = 0x02;                 // flags: twoStepFlag
		std::memcpy(ptp + 20, src->data(), 3); // clockIdentity from the MAC (EUI-64)
		ptp[23] = 0xff;
		ptp[24] = 0xfe;
		std::memcpy(ptp + 25, src->data() + 3, 3);
		put16(ptp + 28, 1);            // portNumber
		ptp[32] = 0x00;                // controlField: Sync
		ptp[33] = 0x7f;                // logMessageInterval
	}

	if (g.backend_ == GenBackend::afxdp_tx) {
		auto x = detail::AfxdpTx::open(tx_ns, tx_ifindex);
		if (!x)
			return x.error();
		g.xsk_ = std::move(*x);
		return g;
	}
	g.skel_.reset(livegen__open());
	if (!g.skel_)
		return Error::from_errno(errno, "opening the live-frames generator program", "check libbpf and BTF support");
	g.skel_->rodata->tx_ifindex = uint32_t(tx_ifindex);
	g.skel_->rodata->flows = opt.flows;
	g.skel_->rodata->sport_base = opt.src_port;
	g.skel_->rodata->ptp = opt.ptp ? 1 : 0;
	if (int err = livegen__load(g.skel_.get()))
		return Error::from_errno(err, "loading the live-frames generator program", "run as root (CAP_BPF + CAP_NET_ADMIN)");
	return g;
}

LiveGen::LiveGen() = default;
LiveGen::LiveGen(LiveGen &&o) noexcept = default;
LiveGen::~LiveGen() = default;

void LiveGen::SkelDestroy::operator()(::livegen *s) const noexcept
{
	livegen__destroy(s);
}

uint64_t LiveGen::refused() const noexcept
{
	return xsk_ ? xsk_->refused() : 0;
}

uint64_t LiveGen::generated() const noexcept
{
	if (xsk_)
		return xsk_->generated();
	if (!skel_)
		return 0;
	int ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0)
		return 0;
	std::vector<uint64_t> v(size_t(ncpu), 0);
	uint32_t key = 0;
	if (bpf_map__lookup_elem(skel_->maps.generated, &key, sizeof(key), v.data(), v.size() * sizeof(uint64_t), 0))
		return 0;
	uint64_t sum = 0;
	for (auto x : v)
		sum += x;
	return sum;
}

Result<uint64_t> LiveGen::send(uint64_t count)
{
	if (xsk_) {
		detail::FrameShape shape;
		shape.udp_off = payload_off_ - 8;
		shape.stamp_off = stamp_off_;
		shape.ptp = opt_.ptp;
		shape.sport_base = opt_.src_port;
		shape.flows = opt_.flows;
		return xsk_->send(frame_, shape, opt_.cpus, count);
	}
	return send_live(count);
}

Result<uint64_t> LiveGen::send_live(uint64_t count)
{
	const uint64_t before = generated();
	int prog_fd = bpf_program__fd(skel_->progs.livegen);

	// Each thread: in the tx namespace (bpf_redirect resolves the ifindex there), running
	// the program `n` times in chunks (repeat is 32-bit).
	auto work = [&](int, uint64_t n) -> Result<uint64_t> {
		auto scope = NetnsScope::enter(*ns_);
		if (!scope)
			return scope.error();
		while (n) {
			uint32_t chunk = uint32_t(std::min<uint64_t>(n, 1u << 30));
			LIBBPF_OPTS(bpf_test_run_opts, o);
			o.data_in = frame_.data();
			o.data_size_in = uint32_t(frame_.size());
			o.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
			o.repeat = chunk;
			o.batch_size = opt_.batch_size;
			int err = bpf_prog_test_run_opts(prog_fd, &o);
			if (err == -EINTR)
				continue; // the program's own counter tells how many ran
			if (err)
				return Error::from_errno(err, "BPF_PROG_TEST_RUN with live frames (" + std::to_string(chunk) + " frames)",
							 "this kernel may refuse live frames (live_frames_support() says): GenBackend::automatic "
							 "uses AF_XDP TX then; else Linux >= 5.18, root, and a batch size <= 256");
			n -= chunk;
		}
		return uint64_t(0);
	};
	if (auto r = detail::on_cpus(opt_.cpus, count, work); !r)
		return r.error();
	return generated() - before;
}

namespace detail {

Result<uint64_t> on_cpus(const std::vector<int> &cpus, uint64_t count,
			 const std::function<Result<uint64_t>(int cpu, uint64_t n)> &fn)
{
	if (cpus.empty())
		return fn(-1, count);
	auto pinned = [&](int cpu, uint64_t n) -> Result<uint64_t> {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (int e = pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
			return Error::from_errno(e, "pinning the generator to CPU " + std::to_string(cpu), "pick an online CPU");
		return fn(cpu, n);
	};
	const size_t k = cpus.size();
	std::vector<Result<uint64_t>> results(k, uint64_t(0));
	std::vector<std::thread> threads;
	for (size_t i = 0; i < k; i++) {
		uint64_t n = count / k + (i < count % k ? 1 : 0);
		threads.emplace_back([&, i, n] { results[i] = pinned(cpus[i], n); });
	}
	for (auto &t : threads)
		t.join();
	uint64_t sum = 0;
	for (auto &r : results) {
		if (!r)
			return r.error();
		sum += *r;
	}
	return sum;
}

Result<uint64_t> link_tx_dropped(const Netns &ns, const std::string &ifname)
{
	auto in = NetnsScope::enter(ns); // getifaddrs asks netlink in the thread's namespace
	if (!in)
		return in.error();
	ifaddrs *list = nullptr;
	if (getifaddrs(&list) != 0)
		return Error::from_errno(errno, "reading link statistics of " + ifname + " (getifaddrs)",
					 "check the fd limit (ulimit -n)");
	std::optional<uint64_t> v;
	for (ifaddrs *a = list; a; a = a->ifa_next)
		if (a->ifa_addr && a->ifa_addr->sa_family == AF_PACKET && a->ifa_data && ifname == a->ifa_name)
			v = static_cast<const rtnl_link_stats *>(a->ifa_data)->tx_dropped;
	freeifaddrs(list);
	if (!v)
		return Error(Errc::no_device, "no link statistics for " + ifname + " in " + ns.name() + " (ip -s link)");
	return *v;
}

} // namespace detail

Result<VethXdpStats> veth_xdp_stats(const Netns &ns, const std::string &ifname)
{
	auto out = ns.exec({"ethtool", "-S", ifname});
	if (!out)
		return out.error();
	VethXdpStats s;
	std::istringstream in(*out);
	std::string line;
	auto ends = [](const std::string &k, const char *suf) {
		size_t n = std::strlen(suf);
		return k.size() >= n && k.compare(k.size() - n, n, suf) == 0;
	};
	while (std::getline(in, line)) {
		auto colon = line.find(':');
		if (colon == std::string::npos)
			continue;
		std::string key = line.substr(0, colon);
		key.erase(0, key.find_first_not_of(" \t"));
		uint64_t v = std::strtoull(line.c_str() + colon + 1, nullptr, 10);
		bool rxq = key.rfind("rx_queue_", 0) == 0, txq = key.rfind("tx_queue_", 0) == 0;
		if (rxq && ends(key, "_xdp_redirect")) {
			s.rx_xdp_redirect += v;
		} else if (rxq && ends(key, "_xdp_drops")) {
			s.rx_xdp_drops += v;
		} else if (rxq && ends(key, "_xdp_packets")) {
			s.rx_xdp_packets += v;
			size_t q = std::strtoul(key.c_str() + std::strlen("rx_queue_"), nullptr, 10);
			if (q < 4096) {
				if (s.rx_queue_xdp_packets.size() <= q)
					s.rx_queue_xdp_packets.resize(q + 1);
				s.rx_queue_xdp_packets[q] = v;
			}
		}
		else if (rxq && ends(key, "_drops"))
			s.rx_drops += v;
		else if (txq && ends(key, "_xdp_xmit_errors"))
			s.xdp_xmit_errors += v;
		else if (txq && ends(key, "_xdp_xmit"))
			s.xdp_xmit += v;
	}
	auto dropped = detail::link_tx_dropped(ns, ifname);
	if (!dropped)
		return dropped.error();
	s.tx_dropped = *dropped;
	return s;
}

} // namespace xdphints::testbed
