#include <xdphints/testbed/livegen.hpp>

#include "livegen.skel.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>

#include <algorithm>
#include <array>
#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
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

} // namespace

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

	LiveGen g;
	g.ns_ = &tx_ns;
	g.opt_ = opt;
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

	g.skel_ = livegen__open();
	if (!g.skel_)
		return Error::from_errno(errno, "opening the live-frames generator program", "check libbpf and BTF support");
	g.skel_->rodata->tx_ifindex = uint32_t(tx_ifindex);
	g.skel_->rodata->flows = opt.flows;
	g.skel_->rodata->sport_base = opt.src_port;
	g.skel_->rodata->ptp = opt.ptp ? 1 : 0;
	if (int err = livegen__load(g.skel_))
		return Error::from_errno(err, "loading the live-frames generator program", "run as root (CAP_BPF + CAP_NET_ADMIN)");
	return g;
}

LiveGen::LiveGen(LiveGen &&o) noexcept
	: ns_(o.ns_), skel_(o.skel_), opt_(std::move(o.opt_)), frame_(std::move(o.frame_)),
	  payload_off_(o.payload_off_), stamp_off_(o.stamp_off_)
{
	o.skel_ = nullptr;
}

LiveGen::~LiveGen()
{
	if (skel_)
		livegen__destroy(skel_);
}

uint64_t LiveGen::generated() const noexcept
{
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
	const uint64_t before = generated();
	int prog_fd = bpf_program__fd(skel_->progs.livegen);

	// One worker: in the tx namespace (bpf_redirect resolves the ifindex there), pinned
	// when asked, running the program `n` times in chunks (repeat is 32-bit).
	auto work = [&](int cpu, uint64_t n) -> Status {
		auto scope = NetnsScope::enter(*ns_);
		if (!scope)
			return scope.error();
		if (cpu >= 0) {
			cpu_set_t set;
			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			if (int e = pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
				return Error::from_errno(e, "pinning the generator to CPU " + std::to_string(cpu), "pick an online CPU");
		}
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
							 "needs Linux >= 5.18 and root; the batch size must be <= 256");
			n -= chunk;
		}
		return {};
	};

	if (opt_.cpus.empty()) {
		if (auto st = work(-1, count); !st)
			return std::move(st).error();
	} else {
		size_t k = opt_.cpus.size();
		std::vector<Status> results(k);
		std::vector<std::thread> threads;
		for (size_t i = 0; i < k; i++) {
			uint64_t n = count / k + (i < count % k ? 1 : 0);
			threads.emplace_back([&, i, n] { results[i] = work(opt_.cpus[i], n); });
		}
		for (auto &t : threads)
			t.join();
		for (auto &r : results)
			if (!r)
				return r.error();
	}
	return generated() - before;
}

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
		if (rxq && ends(key, "_xdp_redirect"))
			s.rx_xdp_redirect += v;
		else if (rxq && ends(key, "_xdp_drops"))
			s.rx_xdp_drops += v;
		else if (rxq && ends(key, "_xdp_packets"))
			s.rx_xdp_packets += v;
		else if (rxq && ends(key, "_drops"))
			s.rx_drops += v;
		else if (txq && ends(key, "_xdp_xmit_errors"))
			s.xdp_xmit_errors += v;
		else if (txq && ends(key, "_xdp_xmit"))
			s.xdp_xmit += v;
	}
	return s;
}

} // namespace xdphints::testbed
