// pcapng from the block encoders read by tshark, the reader people use, from a file and
// through a pipe (`tshark -r -`): every value the encoders put in, as tshark shows it, and no
// malformed block (`tshark -V`, `capinfos`). Needs no root. Without tshark the test is a
// failure under CI=true, elsewhere a warning saying it did not run.
#include "pcapng.hpp"
#include "privileges.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace pn = xdphints::cli::pcapng;
using xdphints::Error;
using xdphints::Status;

namespace {

// True when `tool` is on PATH. Missing: FAIL under CI=true, else WARN (not run).
bool have(const char *tool)
{
	if (std::system((std::string("command -v ") + tool + " >/dev/null 2>&1").c_str()) == 0)
		return true;
	if (xdphints::test::in_ci())
		FAIL(tool << " not installed under CI=true: install it (scripts/install-deps, package tshark)");
	WARN(tool << " not installed: test NOT run (install the tshark package)");
	return false;
}

// Writes everything to an fd (a file, or the pipe into tshark).
struct FdSink {
	int fd;
	explicit FdSink(int f) : fd(f) {}
	Status write(std::span<const std::byte> b)
	{
		const std::byte *p = b.data();
		std::size_t left = b.size();
		while (left) {
			ssize_t n = ::write(fd, p, left);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return Error::from_errno(errno, "writing the capture", "check the reader");
			p += n;
			left -= std::size_t(n);
		}
		return {};
	}
};

// A file in a test's directory.
std::string path_in(const xdphints::test::TempDir &dir, const char *name) { return (dir.path / name).string(); }

std::string slurp(const std::string &path)
{
	std::ifstream in(path, std::ios::binary);
	std::stringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

// Runs a shell command; its stdout, and the exit status in `status`.
std::string run(const std::string &cmd, int &status)
{
	FILE *f = popen(cmd.c_str(), "r");
	REQUIRE(f);
	std::string out;
	char buf[4096];
	std::size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		out.append(buf, n);
	status = pclose(f);
	return out;
}

// Ethernet / IPv4 / UDP, `len` bytes in all (as the NIC handed it over: any tag stripped).
std::vector<uint8_t> udp_frame(std::size_t len, uint16_t sport)
{
	std::vector<uint8_t> f(len, 0);
	const uint8_t macs[12] = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01};
	std::memcpy(f.data(), macs, 12);
	f[12] = 0x08; // IPv4
	uint8_t *ip = f.data() + 14;
	std::size_t ip_len = len - 14;
	ip[0] = 0x45;
	ip[2] = uint8_t(ip_len >> 8);
	ip[3] = uint8_t(ip_len);
	ip[8] = 64;
	ip[9] = 17; // UDP
	const uint8_t addrs[8] = {10, 0, 0, 1, 10, 0, 0, 2};
	std::memcpy(ip + 12, addrs, 8);
	uint32_t sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += uint32_t(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ip[10] = uint8_t(~sum >> 8);
	ip[11] = uint8_t(~sum);
	uint8_t *udp = ip + 20;
	std::size_t udp_len = ip_len - 20;
	udp[0] = uint8_t(sport >> 8);
	udp[1] = uint8_t(sport);
	udp[2] = 0x23; // port 9000
	udp[3] = 0x28;
	udp[4] = uint8_t(udp_len >> 8);
	udp[5] = uint8_t(udp_len);
	for (std::size_t i = 8; i < udp_len; i++)
		udp[i] = uint8_t(i);
	return f;
}

// One packet of the capture and what tshark must show for it.
struct Case {
	uint32_t interface;
	uint64_t timestamp_ns;
	std::size_t frame_len;
	std::optional<pn::Vlan> vlan;
	std::optional<uint32_t> rss_hash;
	std::optional<uint32_t> queue;
	std::string comment;
	// tshark's view
	std::string time_epoch;
	std::string vlan_id;
	uint32_t len, cap_len;
};

// Two interfaces: 0 without a snaplen limit, 1 with snaplen 96.
const char *if_desc[2] = {"PHC /dev/ptp0 converted to CLOCK_REALTIME (error bound ±120 ns)", "software CLOCK_TAI (hook)"};
const char *if_name[2] = {"xh-veth0", "xh-veth1"};

std::vector<Case> cases()
{
	return {
		{0, 1700000000000000001ull, 60, pn::Vlan{0x8100, 59}, 0x12345678u, 0u,
		 "rx_hash=0x12345678 rx_hash_type=L4_IPV4_UDP rx_timestamp=hardware rx_vlan_tci=59 layout=xdp_hints_veth id=0x0000000500000011 – ok",
		 "1700000000.000000001", "59", 64, 64},
		{1, 1700000000123456789ull, 200, {}, 0xdeadbeefu, 1u, "rx_hash=0xdeadbeef rx_timestamp=software",
		 "1700000000.123456789", "", 200, 96},
		{0, 1700000001999999999ull, 100, pn::Vlan{0x8100, 0x6000 | 59}, 0x0badf00du, 2u,
		 "rx_hash=0x0badf00d rx_vlan_tci=0x603b", "1700000001.999999999", "59", 104, 104},
		{1, 1800000000500000000ull, 1514, pn::Vlan{0x8100, 4094}, 0xffffffffu, 3u, "rx_hash=0xffffffff",
		 "1800000000.500000000", "4094", 1518, 96},
		{0, 1700000002000000000ull, 42, {}, {}, {}, "", "1700000002.000000000", "", 42, 42},
	};
}

// The capture of cases() from the encoders, one section (SHB as dump writes it) and two
// interfaces; flush_each: a write per block, as a live reader sees dump's records.
void write_capture(FdSink &sink, bool flush_each, std::vector<std::vector<uint8_t>> &frames)
{
	std::string buf;
	auto block = [&](std::size_t n, auto encode) {
		std::size_t at = buf.size();
		buf.resize(at + n);
		REQUIRE(encode(std::span<std::byte>(reinterpret_cast<std::byte *>(buf.data() + at), n)) == n);
		if (flush_each) {
			REQUIRE(sink.write(std::as_bytes(std::span(buf))));
			buf.clear();
		}
	};
	const uint32_t snaplen[2] = {pn::max_snaplen, 96};
	block(pn::shb_size(pn::userappl), [](auto out) { return pn::encode_shb(out, pn::userappl); });
	for (int i = 0; i < 2; i++) {
		pn::Interface itf{if_name[i], if_desc[i], snaplen[i]};
		block(pn::idb_size(itf), [&](auto out) { return pn::encode_idb(out, itf); });
	}
	uint16_t sport = 1000;
	for (auto &c : cases()) {
		frames.push_back(udp_frame(c.frame_len, sport++));
		pn::Packet p;
		p.interface = c.interface;
		p.timestamp_ns = c.timestamp_ns;
		p.frame = frames.back();
		p.vlan = c.vlan;
		p.rss_hash = c.rss_hash;
		p.queue = c.queue;
		p.comment = c.comment;
		uint32_t sl = snaplen[c.interface];
		block(pn::epb_size(p, sl), [&](auto out) { return pn::encode_epb(out, p, sl); });
	}
	pn::InterfaceStats s0{.ifrecv = 3, .ifdrop = 0, .osdrop = 0, .usrdeliv = 3}, s1{.ifrecv = 2, .ifdrop = 7};
	block(pn::isb_size(s0), [&](auto out) { return pn::encode_isb(out, 0, 1800000001000000000ull, s0); });
	block(pn::isb_size(s1), [&](auto out) { return pn::encode_isb(out, 1, 1800000001000000000ull, s1); });
	if (!buf.empty())
		REQUIRE(sink.write(std::as_bytes(std::span(buf))));
}

const char *fields = " -T fields -E separator=/t -e frame.time_epoch -e frame.comment -e frame.interface_queue"
		     " -e frame.packet_flags -e frame.interface_description -e frame.interface_name -e vlan.id"
		     " -e frame.len -e frame.cap_len -e frame.interface_id -e udp.srcport";

std::vector<std::vector<std::string>> rows_of(const std::string &out)
{
	std::vector<std::vector<std::string>> rows;
	std::istringstream in(out);
	std::string line;
	while (std::getline(in, line)) {
		std::vector<std::string> cols;
		std::size_t start = 0, tab;
		while ((tab = line.find('\t', start)) != std::string::npos) {
			cols.push_back(line.substr(start, tab - start));
			start = tab + 1;
		}
		cols.push_back(line.substr(start));
		rows.push_back(cols);
	}
	return rows;
}

// Every field of every packet as tshark printed it.
void check_rows(const std::string &out)
{
	INFO("tshark printed:\n" << out);
	auto rows = rows_of(out);
	auto want = cases();
	REQUIRE(rows.size() == want.size());
	for (std::size_t i = 0; i < want.size(); i++) {
		auto &r = rows[i];
		auto &c = want[i];
		INFO("packet " << i + 1);
		REQUIRE(r.size() == 11);
		CHECK(r[0] == c.time_epoch);
		CHECK(r[1] == c.comment);
		CHECK(r[2] == (c.queue ? std::to_string(*c.queue) : ""));
		CHECK(r[3] == "0x00000001"); // inbound
		CHECK(r[4] == if_desc[c.interface]);
		CHECK(r[5] == if_name[c.interface]);
		CHECK(r[6] == c.vlan_id);
		CHECK(r[7] == std::to_string(c.len));
		CHECK(r[8] == std::to_string(c.cap_len));
		CHECK(r[9] == std::to_string(c.interface));
		// The re-inserted tag left the rest of the frame where the dissector expects it.
		CHECK(r[10] == std::to_string(1000 + i));
	}
}

// stderr of tshark without the line it prints for any run as root.
std::string problems(const std::string &err)
{
	std::istringstream in(err);
	std::string line, rest;
	while (std::getline(in, line))
		if (line.find("Running as user \"root\"") == std::string::npos && !line.empty())
			rest += line + "\n";
	return rest;
}

} // namespace

TEST_CASE("pcapng: tshark reads every field of a file from the encoders")
{
	if (!have("tshark"))
		return;
	xdphints::test::TempDir dir("xh-pcapng");
	std::string file = path_in(dir, "capture.pcapng");
	std::vector<std::vector<uint8_t>> frames;
	{
		std::FILE *f = std::fopen(file.c_str(), "wb");
		REQUIRE(f);
		FdSink sink(fileno(f));
		write_capture(sink, false, frames);
		std::fclose(f);
	}

	int status = 0;
	std::string out = run("tshark -n -r " + file + fields + " 2>" + path_in(dir, "err"), status);
	INFO("tshark stderr: " << slurp(path_in(dir, "err")));
	REQUIRE(status == 0);
	CHECK(problems(slurp(path_in(dir, "err"))).empty());
	check_rows(out);

	// The full dissection: no malformed packet, no expert error, and the 802.1Q header.
	std::string verbose = run("tshark -n -V -r " + file + " 2>" + path_in(dir, "err"), status);
	REQUIRE(status == 0);
	CHECK(problems(slurp(path_in(dir, "err"))).empty());
	CHECK(verbose.find("Malformed") == std::string::npos);
	CHECK(verbose.find("[Expert Info (Error") == std::string::npos);
	CHECK(verbose.find("802.1Q Virtual LAN, PRI: 3, DEI: 0, ID: 59") != std::string::npos);
	CHECK(verbose.find("Interface description: software CLOCK_TAI (hook)") != std::string::npos);

	// capinfos (Wireshark's file summary) accepts the file: both interfaces, nanosecond
	// timestamps, the packets and the statistics blocks.
	if (!have("capinfos"))
		return;
	std::string info = run("capinfos " + file + " 2>&1", status);
	INFO("capinfos:\n" << info);
	CHECK(status == 0);
	CHECK_THAT(info, Catch::Contains("File encapsulation:  Ethernet") &&
				 Catch::Contains("Number of packets:   5") &&
				 Catch::Contains("Number of interfaces in file: 2") &&
				 Catch::Contains("Capture application: xdp-hints " XDP_HINTS_VERSION) &&
				 Catch::Contains("Name = xh-veth0") && Catch::Contains("Name = xh-veth1") &&
				 Catch::Contains("Time precision = nanoseconds (9)") &&
				 Catch::Contains("Capture length = 96"));
	// The Interface Statistics Blocks: one per interface.
	auto first = info.find("Number of stat entries = 1");
	CHECK(first != std::string::npos);
	CHECK(info.find("Number of stat entries = 1", first + 1) != std::string::npos);
}

TEST_CASE("pcapng: tshark reads the stream from a pipe the same as the file")
{
	if (!have("tshark"))
		return;
	xdphints::test::TempDir dir("xh-pcapng");
	// A reader that goes away would kill us with SIGPIPE instead of a write error.
	auto old = std::signal(SIGPIPE, SIG_IGN);
	std::FILE *p = popen(("tshark -n -r -" + std::string(fields) + " >" + path_in(dir, "out") + " 2>" + path_in(dir, "err")).c_str(), "w");
	REQUIRE(p);
	std::vector<std::vector<uint8_t>> frames;
	{
		FdSink sink(fileno(p));
		// The stream reaches tshark in several writes.
		write_capture(sink, true, frames);
	}
	int status = pclose(p);
	std::signal(SIGPIPE, old);
	INFO("tshark stderr: " << slurp(path_in(dir, "err")));
	REQUIRE(status == 0);
	CHECK(problems(slurp(path_in(dir, "err"))).empty());
	check_rows(slurp(path_in(dir, "out")));
}
