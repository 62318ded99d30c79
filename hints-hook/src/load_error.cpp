// Load and attach failures read from what the kernel and libbpf said (load_error.hpp).
//
// A load's text, as libbpf 1.1 prints it on the demo's veth hook on a kernel that refuses
// the metadata area:
//
//   libbpf: prog 'xdp_hints_hook': BPF program load failed: Invalid argument
//   libbpf: prog 'xdp_hints_hook': -- BEGIN PROG LOAD LOG --
//   ...
//   ; if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(l))) @ hook_layout.bpf.h:76
//   284: (bf) r1 = r6                     ; R1=ctx() R6=ctx()
//   285: (18) r2 = 0xffffffe0             ; R2=0xffffffe0
//   287: (85) call bpf_xdp_adjust_meta#54
//   program of this type cannot use helper bpf_xdp_adjust_meta#54
//   processed 144 insns (limit 1000000) max_states_per_insn 0 total_states 9 ...
//   -- END PROG LOAD LOG --
//   libbpf: prog 'xdp_hints_hook': failed to load: -22
//   libbpf: failed to load object 'xdp_hints_veth'
//
// The verifier's complaint is what follows the last instruction it printed (287), before
// its statistics; `where` is that instruction and the source line above it. Known
// complaints become causes; any other is quoted. libbpf's own lines name the failures
// before the kernel saw the program (externs it cannot resolve).
#include <xdphints/hook/load_error.hpp>

#include <xdphints/edge/error.hpp>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace xdphints::hook {

namespace {

constexpr int kENOTSUPP = 524; // kernel-internal "not supported", leaks out of bpf(2)
constexpr std::string_view kPrefix = "libbpf: ";
constexpr std::string_view kLogBegin = "-- BEGIN PROG LOAD LOG --";
constexpr std::string_view kLogEnd = "-- END PROG LOAD LOG --";
constexpr size_t kQuoteMax = 240; // characters of one quoted line

// The XDP RX metadata kfuncs: the hint groups they give and the first release with them.
struct MetadataKfunc {
	std::string_view name;
	unsigned hints;
	std::string_view since;
};
constexpr MetadataKfunc kMetadataKfuncs[] = {
	{"bpf_xdp_metadata_rx_timestamp", hint::timestamp, "6.3"},
	{"bpf_xdp_metadata_rx_hash", hint::hash, "6.3"},
	{"bpf_xdp_metadata_rx_vlan_tag", hint::vlan, "6.8"},
};

const MetadataKfunc *metadata_kfunc(std::string_view name)
{
	for (const auto &k : kMetadataKfuncs)
		if (k.name == name)
			return &k;
	return nullptr;
}

std::string_view trim(std::string_view s)
{
	while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
		s.remove_prefix(1);
	while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
		s.remove_suffix(1);
	return s;
}

std::string quote(std::string_view s)
{
	s = trim(s);
	if (s.size() <= kQuoteMax)
		return std::string(s);
	return std::string(s.substr(0, kQuoteMax)) + "...";
}

// libbpf's lines (without "libbpf: ") and the verifier log's lines, apart.
struct Output {
	std::vector<std::string_view> libbpf;
	std::vector<std::string_view> log;
};

Output split(std::string_view text)
{
	Output o;
	bool in_log = false;
	while (!text.empty()) {
		size_t nl = text.find('\n');
		std::string_view line = text.substr(0, nl);
		text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
		if (!line.empty() && line.back() == '\r')
			line.remove_suffix(1);
		if (in_log) {
			// A log that does not end in a newline has the end marker on its last line.
			size_t end = line.find(kLogEnd);
			if (end == std::string_view::npos) {
				o.log.push_back(line);
				continue;
			}
			if (end > 0)
				o.log.push_back(line.substr(0, end));
			in_log = false;
			continue;
		}
		if (line.substr(0, kPrefix.size()) == kPrefix)
			line.remove_prefix(kPrefix.size());
		if (line.find(kLogBegin) != std::string_view::npos) {
			in_log = true;
			continue;
		}
		if (!trim(line).empty())
			o.libbpf.push_back(line);
	}
	return o;
}

// "287: (85) call bpf_xdp_adjust_meta#54": an instruction line of the verifier's log.
bool is_insn(std::string_view l)
{
	size_t i = 0;
	while (i < l.size() && std::isdigit(static_cast<unsigned char>(l[i])))
		i++;
	return i > 0 && l.substr(i, 3) == ": (" && l.size() > i + 6 && l[i + 5] == ')';
}

// The statistics the verifier appends; not part of a complaint.
bool is_stats(std::string_view l)
{
	l = trim(l);
	return l.empty() || l.substr(0, 10) == "processed " || l.substr(0, 18) == "verification time " ||
	       l.substr(0, 12) == "stack depth ";
}

struct Complaint {
	std::vector<std::string_view> lines; // after the last instruction (or the last line)
	std::string where;
};

Complaint complaint(const std::vector<std::string_view> &log)
{
	Complaint c;
	size_t last_insn = log.size();
	for (size_t i = log.size(); i-- > 0;)
		if (is_insn(log[i])) {
			last_insn = i;
			break;
		}
	// Up to a blank line: from Linux 7.x a report follows ("Verification failed: ...",
	// "Reason:", source and instruction context, "Suggestion:"), after a blank line.
	for (size_t i = last_insn == log.size() ? 0 : last_insn + 1; i < log.size(); i++) {
		std::string_view l = trim(log[i]);
		if ((l.empty() && !c.lines.empty()) || l.substr(0, 20) == "Verification failed:")
			break;
		if (!is_stats(l))
			c.lines.push_back(l);
	}
	if (c.lines.size() > 3)
		c.lines.erase(c.lines.begin(), c.lines.end() - 3);
	if (last_insn == log.size())
		return c;
	std::string_view insn = log[last_insn];
	insn = insn.substr(0, insn.find(';'));
	std::string_view no = insn.substr(0, insn.find(':'));
	std::string_view text = trim(insn.substr(insn.find(')') + 1));
	c.where = "insn " + std::string(no) + " `" + std::string(text) + "`";
	for (size_t i = last_insn; i-- > 0;) {
		std::string_view l = trim(log[i]);
		if (l.substr(0, 2) == "; ") {
			c.where += " from `" + quote(l.substr(2)) + "`";
			break;
		}
	}
	return c;
}

// Linux 7.x's report: the lines indented under "Suggestion:", joined; "" when none.
std::string kernel_suggestion(const std::vector<std::string_view> &log)
{
	std::string s;
	for (size_t i = 0; i < log.size(); i++) {
		if (trim(log[i]) != "Suggestion:")
			continue;
		s.clear();
		for (size_t j = i + 1; j < log.size() && !trim(log[j]).empty() && std::isspace(static_cast<unsigned char>(log[j][0]));
		     j++)
			s += (s.empty() ? "" : " ") + std::string(trim(log[j]));
	}
	if (!s.empty() && s.back() == '.')
		s.pop_back();
	return quote(s);
}

std::string joined(const std::vector<std::string_view> &lines)
{
	std::string s;
	for (auto l : lines)
		s += (s.empty() ? "" : " / ") + quote(l);
	return s;
}

// The line of `lines` (from the last) containing `key`, or "".
std::string_view find_line(const std::vector<std::string_view> &lines, std::string_view key)
{
	for (size_t i = lines.size(); i-- > 0;)
		if (lines[i].find(key) != std::string_view::npos)
			return lines[i];
	return {};
}

// "...helper bpf_xdp_adjust_meta#54" after `key`: the name and number.
void name_and_number(std::string_view line, std::string_view key, LoadDiagnosis &d)
{
	std::string_view rest = line.substr(line.find(key) + key.size());
	size_t hash = rest.find('#');
	d.name = std::string(trim(rest.substr(0, hash)));
	if (hash != std::string_view::npos) {
		int n = 0;
		size_t i = hash + 1;
		for (; i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i])); i++)
			n = n * 10 + (rest[i] - '0');
		if (i > hash + 1)
			d.helper_id = n;
	}
}

// The name between the first pair of single quotes: "extern (func ksym) 'NAME': ...".
std::string quoted_name(std::string_view line)
{
	size_t a = line.find('\'');
	size_t b = a == std::string_view::npos ? a : line.find('\'', a + 1);
	return b == std::string_view::npos ? std::string() : std::string(line.substr(a + 1, b - a - 1));
}

// libbpf's lines that only say that something failed, not what.
bool generic_libbpf_line(std::string_view l)
{
	return l.find("failed to load object") != std::string_view::npos ||
	       l.find("failed to load BPF skeleton") != std::string_view::npos ||
	       l.find("': failed to load: ") != std::string_view::npos ||
	       l.find("': BPF program load failed: ") != std::string_view::npos ||
	       l.find("failed to resolve externs") != std::string_view::npos;
}

bool is_perm(int err)
{
	return err == EPERM || err == EACCES;
}

edge::ErrContext edge_ctx(const FailureContext &ctx)
{
	return {ctx.ifname, ctx.driver, ctx.hook.empty() ? ctx.object : ctx.hook, ctx.dev_bound};
}

std::string iface(const FailureContext &ctx)
{
	return ctx.ifname.empty() ? std::string("the interface") : ctx.ifname;
}

std::string driver_of(const FailureContext &ctx)
{
	return ctx.driver.empty() ? "of " + iface(ctx) : ctx.driver;
}

// The hint fields of the metadata kfunc `k`, for --fields.
std::string fields_of(const MetadataKfunc &k)
{
	std::string s;
	for (const auto &f : fields_of_hints(k.hints))
		s += (s.empty() ? "" : ", ") + f;
	return s;
}

constexpr const char *kFullLog = "the verifier's full log: set XDP_HINTS_VERIFIER_LOG=FILE and run again";

// The verifier's complaints that a program's own code causes.
bool in_the_code(LoadCause c)
{
	switch (c) {
	case LoadCause::refused_helper:
	case LoadCause::unknown_helper:
	case LoadCause::kfunc_not_allowed:
	case LoadCause::too_complex:
	case LoadCause::stack_limit:
	case LoadCause::verifier:
		return true;
	default:
		return false;
	}
}

std::string load_fix(const LoadDiagnosis &d, int err, const FailureContext &ctx)
{
	const bool builtin = ctx.object.empty();
	// With the user's XDP logic linked in, the verifier may have stopped in either part:
	// where it stopped (its source line) tells which.
	if (builtin && !ctx.user_object.empty() && in_the_code(d.cause) &&
	    !(d.cause == LoadCause::refused_helper && d.name == "bpf_xdp_adjust_meta"))
		return "if the verifier stopped in your XDP logic (" + ctx.user_object +
		       "), change it there" + (d.suggestion.empty() ? "" : " (the kernel suggests: " + d.suggestion + ")") +
		       "; else report it with the kernel release; " + std::string(kFullLog);
	switch (d.cause) {
	case LoadCause::refused_helper:
		if (d.name == "bpf_xdp_adjust_meta")
			return builtin ? "use the prefix transport: --transport prefix, or HookOptions::transport = "
					 "Transport::prefix"
				       : "this hook writes its hints into the metadata area: use a built-in hook with the "
					 "prefix transport (--transport prefix; HookOptions::transport = Transport::prefix), "
					 "or a kernel that allows bpf_xdp_adjust_meta";
		return builtin ? "report it with the kernel release: hook " + ctx.hook + " calls " + d.name +
					 ", which this kernel does not allow here"
			       : "rebuild the hook without " + d.name + ", which this kernel does not allow in XDP programs";
	case LoadCause::unknown_helper:
		return "run a kernel that has helper " + d.name + ", or rebuild the hook without it";
	case LoadCause::missing_kfunc:
		if (const MetadataKfunc *k = metadata_kfunc(d.name)) {
			std::string since(k->since);
			if (builtin)
				return "leave out " + fields_of(*k) + " (--fields; HookOptions::hints), or leave out --hook "
				       "to get the best hook this kernel can run, or run Linux >= " + since;
			return "run Linux >= " + since + ", or rebuild the hook without " + d.name +
			       " (or declare it __weak and test bpf_ksym_exists() before calling it)";
		}
		return "run a kernel that has " + d.name + ", or rebuild the hook without it";
	case LoadCause::kfunc_mismatch:
		return "rebuild the hook against this kernel's BTF (bpftool btf dump file /sys/kernel/btf/vmlinux "
		       "format c > vmlinux.h)";
	case LoadCause::kfunc_not_allowed:
		if (metadata_kfunc(d.name))
			return "XDP RX metadata kfuncs are for XDP programs loaded device-bound: attach in driver "
			       "mode (HookOptions::mode automatic or driver)";
		return "rebuild the hook without " + d.name + ", which this kernel does not allow here";
	case LoadCause::needs_dev_bound:
		return "load it device-bound to " + iface(ctx) + " and attach it in driver mode (HookOptions::mode "
		       "automatic or driver, not skb); for generic (SKB) mode use the generic hook (--hook generic)";
	case LoadCause::no_xdp_driver:
		return "use the generic hook (--hook generic, SKB mode)";
	case LoadCause::no_dev_bound:
		return builtin ? "leave out --hook to get the best hook this kernel can run (the generic hook), or run "
				 "Linux >= 6.3"
			       : "run Linux >= 6.3, or drop the XDP RX metadata kfuncs from the hook (it is loaded "
				 "device-bound because it calls them)";
	case LoadCause::too_complex:
	case LoadCause::too_large:
		return builtin ? "ask for fewer hints (--fields; HookOptions::hints) or report it with the kernel release"
			       : "simplify the program: fewer paths for the verifier to walk (it stops after 1,000,000 "
				 "instructions) and bounded loops; " + std::string(kFullLog);
	case LoadCause::stack_limit:
		return "keep less on the program's stack (512 bytes for all its calls together): move large structs "
		       "into a per-CPU array map";
	case LoadCause::no_kernel_btf:
		return "needs a kernel built with BTF (CONFIG_DEBUG_INFO_BTF, /sys/kernel/btf/vmlinux)";
	case LoadCause::permission:
		return edge::advice(EPERM, edge::Op::load, edge_ctx(ctx));
	case LoadCause::verifier: {
		std::string kernel = d.suggestion.empty() ? "" : "the kernel suggests: " + d.suggestion + "; ";
		return builtin ? "report it with this message and the kernel release; " + kernel + std::string(kFullLog)
			       : "change the program where the verifier stopped; " + kernel + std::string(kFullLog);
	}
	case LoadCause::other:
		break;
	}
	if (ctx.dev_bound && err == EINVAL)
		return "the kernel gave no reason: check that " + iface(ctx) + " still exists (ip link); " +
		       "XDP_HINTS_VERIFIER_LOG=FILE keeps libbpf's lines";
	return edge::advice(err, edge::Op::load, edge_ctx(ctx));
}

std::string load_cause_text(const LoadDiagnosis &d, int err, const FailureContext &ctx)
{
	switch (d.cause) {
	case LoadCause::refused_helper:
		if (d.name == "bpf_xdp_adjust_meta")
			return "this kernel refuses helper bpf_xdp_adjust_meta#" + std::to_string(d.helper_id) +
			       " in XDP programs, so it gives them no metadata area";
		return "this kernel does not allow helper " + d.name + "#" + std::to_string(d.helper_id) +
		       " in this program";
	case LoadCause::unknown_helper:
		return "this kernel does not know helper " + d.name + "#" + std::to_string(d.helper_id);
	case LoadCause::missing_kfunc:
		return "this kernel has no kfunc " + d.name + (d.since.empty() ? "" : " (Linux >= " + d.since + " has it)");
	case LoadCause::kfunc_mismatch:
		return "the hook declares kfunc " + d.name + " with another prototype than this kernel's";
	case LoadCause::kfunc_not_allowed:
		return "the verifier does not allow kfunc " + d.name + " in this program";
	case LoadCause::needs_dev_bound:
		return "the program calls XDP RX metadata kfuncs but was not loaded device-bound";
	case LoadCause::no_xdp_driver:
		return (ctx.driver.empty() ? iface(ctx) + " has no XDP in its driver"
					   : "driver " + ctx.driver + " of " + iface(ctx) + " has no XDP") +
		       ", so no program can be bound to it";
	case LoadCause::no_dev_bound:
		return "this kernel has no device-bound XDP programs (Linux >= 6.3, with the XDP RX metadata kfuncs, "
		       "none of which it has): it refused to bind the program to " + iface(ctx) + " before verifying it";
	case LoadCause::too_complex:
		return "the program is too complex for the verifier";
	case LoadCause::too_large:
		return "the program has more instructions than this kernel takes";
	case LoadCause::stack_limit:
		return "the program's stack is larger than the verifier allows";
	case LoadCause::no_kernel_btf:
		return "this kernel has no BTF";
	case LoadCause::permission:
		return "not allowed to load BPF programs";
	case LoadCause::verifier:
		return "the verifier refused the program";
	case LoadCause::other:
		break;
	}
	(void)err;
	if (d.said.empty())
		return "the kernel refused the program (no verifier log, no libbpf detail)";
	return ctx.dev_bound && d.said.find("BPF program load failed") != std::string::npos
		       ? "the kernel refused to load the program, device-bound to " + iface(ctx) + ", before verifying it"
		       : "the program was not loaded";
}

// Who said `d.said`: the verifier (its log) or libbpf (before the kernel saw the program).
const char *load_source(LoadCause c)
{
	switch (c) {
	case LoadCause::missing_kfunc:
	case LoadCause::kfunc_mismatch:
	case LoadCause::no_kernel_btf:
	case LoadCause::other:
	case LoadCause::no_xdp_driver:
	case LoadCause::no_dev_bound:
	case LoadCause::too_large:
	case LoadCause::permission:
		return "libbpf";
	default:
		return "verifier";
	}
}

// Where the verifier stopped: for a complaint of its own, and for the helpers of a
// brought-in hook or of user logic (their author looks for the call); a built-in hook's
// helper is named enough.
bool show_where(LoadCause c, const FailureContext &ctx)
{
	return c == LoadCause::verifier || c == LoadCause::stack_limit ||
	       ((!ctx.object.empty() || !ctx.user_object.empty()) &&
		(c == LoadCause::refused_helper || c == LoadCause::unknown_helper));
}

Errc load_code(LoadCause c, int err)
{
	switch (c) {
	case LoadCause::refused_helper:
	case LoadCause::unknown_helper:
	case LoadCause::missing_kfunc:
	case LoadCause::kfunc_not_allowed:
	case LoadCause::no_xdp_driver:
	case LoadCause::no_dev_bound:
	case LoadCause::no_kernel_btf:
		return Errc::unsupported;
	case LoadCause::kfunc_mismatch:
	case LoadCause::needs_dev_bound:
	case LoadCause::too_complex:
	case LoadCause::too_large:
	case LoadCause::stack_limit:
	case LoadCause::verifier:
		return Errc::invalid_argument;
	case LoadCause::permission:
		return Errc::system;
	case LoadCause::other:
		break;
	}
	return Error::from_errno(err, "", "").code;
}

} // namespace

const char *load_cause_name(LoadCause c) noexcept
{
	switch (c) {
	case LoadCause::refused_helper: return "refused_helper";
	case LoadCause::unknown_helper: return "unknown_helper";
	case LoadCause::missing_kfunc: return "missing_kfunc";
	case LoadCause::kfunc_mismatch: return "kfunc_mismatch";
	case LoadCause::kfunc_not_allowed: return "kfunc_not_allowed";
	case LoadCause::needs_dev_bound: return "needs_dev_bound";
	case LoadCause::no_xdp_driver: return "no_xdp_driver";
	case LoadCause::no_dev_bound: return "no_dev_bound";
	case LoadCause::too_complex: return "too_complex";
	case LoadCause::too_large: return "too_large";
	case LoadCause::stack_limit: return "stack_limit";
	case LoadCause::no_kernel_btf: return "no_kernel_btf";
	case LoadCause::permission: return "permission";
	case LoadCause::verifier: return "verifier";
	case LoadCause::other: return "other";
	}
	return "?";
}

LoadDiagnosis diagnose_load(int err, std::string_view libbpf_output, const FailureContext &ctx)
{
	err = err < 0 ? -err : err;
	const Output out = split(libbpf_output);
	LoadDiagnosis d;

	// Before the kernel saw the program: libbpf's externs and the kernel's BTF.
	if (auto l = find_line(out.libbpf, "extern (func ksym)"); !l.empty()) {
		d.name = quoted_name(l);
		d.said = quote(l);
		if (l.find("not found in kernel") != std::string_view::npos) {
			d.cause = LoadCause::missing_kfunc;
			if (const MetadataKfunc *k = metadata_kfunc(d.name))
				d.since = std::string(k->since);
			return d;
		}
		if (l.find("incompatible with") != std::string_view::npos) {
			d.cause = LoadCause::kfunc_mismatch;
			return d;
		}
	}
	for (std::string_view key : {"failed to find valid kernel BTF", "Error loading vmlinux BTF"})
		if (auto l = find_line(out.libbpf, key); !l.empty()) {
			d.cause = LoadCause::no_kernel_btf;
			d.said = quote(l);
			return d;
		}

	// The verifier's complaint.
	if (!out.log.empty()) {
		Complaint c = complaint(out.log);
		d.where = c.where;
		d.suggestion = kernel_suggestion(out.log);
		d.said = joined(c.lines);
		// The helper's prototype is not given to this program type: "program of this type
		// cannot use helper" from Linux 6.3 on, "unknown func" before. A helper number the
		// kernel does not know at all is "invalid func".
		if (auto l = find_line(c.lines, "cannot use helper "); !l.empty()) {
			d.cause = LoadCause::refused_helper;
			name_and_number(l, "cannot use helper ", d);
			d.said = quote(l);
		} else if (auto l = find_line(c.lines, "unknown func "); !l.empty()) {
			d.cause = LoadCause::refused_helper;
			name_and_number(l, "unknown func ", d);
			d.said = quote(l);
		} else if (auto l = find_line(c.lines, "invalid func "); !l.empty()) {
			d.cause = LoadCause::unknown_helper;
			name_and_number(l, "invalid func ", d);
			d.said = quote(l);
		} else if (auto l = find_line(out.log, "metadata kfuncs require device-bound program"); !l.empty()) {
			d.cause = LoadCause::needs_dev_bound;
			d.said = quote(l);
		} else if (auto l = find_line(c.lines, "calling kernel function "); !l.empty() &&
			   l.find("is not allowed") != std::string_view::npos) {
			d.cause = LoadCause::kfunc_not_allowed;
			std::string_view rest = l.substr(l.find("calling kernel function ") + 24);
			d.name = std::string(rest.substr(0, rest.find(' ')));
			d.said = quote(l);
		} else if (auto l = find_line(out.log, "BPF program is too large"); !l.empty()) {
			d.cause = LoadCause::too_complex;
			d.said = quote(l);
		} else if (auto l = find_line(out.log, "jumps is too complex"); !l.empty()) {
			d.cause = LoadCause::too_complex;
			d.said = quote(l);
		} else if (auto l = find_line(out.log, "combined stack size"); !l.empty()) {
			d.cause = LoadCause::stack_limit;
			d.said = quote(l);
		} else if (!d.said.empty()) {
			d.cause = LoadCause::verifier;
		}
		if (d.cause != LoadCause::other)
			return d;
	}

	// No log: the kernel refused before verifying, or libbpf before loading.
	std::string_view specific;
	for (auto l : out.libbpf)
		if (!generic_libbpf_line(l)) {
			specific = l;
			break;
		}
	d.said = quote(!specific.empty() ? specific : out.libbpf.empty() ? std::string_view() : out.libbpf.front());
	// Causes the errno tells, when nothing more specific was said (libbpf's "load failed:
	// STRERROR" only repeats the errno).
	if (specific.empty()) {
		if (err == E2BIG)
			d.cause = LoadCause::too_large;
		else if ((err == EOPNOTSUPP || err == kENOTSUPP) && ctx.dev_bound)
			d.cause = LoadCause::no_xdp_driver;
		// bpf_prog_load() before 6.3 refuses the unknown BPF_F_XDP_DEV_BOUND_ONLY flag.
		else if (err == EINVAL && ctx.dev_bound && ctx.kernel_kfuncs == 0u)
			d.cause = LoadCause::no_dev_bound;
		else if (is_perm(err))
			d.cause = LoadCause::permission;
		if (d.cause != LoadCause::other)
			d.said.clear();
	}
	return d;
}

Error load_error(int err, const LoadDiagnosis &d, const FailureContext &ctx)
{
	err = err < 0 ? -err : err;
	std::string msg = ctx.what + ": " + load_cause_text(d, err, ctx);
	std::string detail;
	if (!d.said.empty())
		detail = std::string(load_source(d.cause)) + (show_where(d.cause, ctx) && !d.where.empty() ? " at " + d.where : "") + ": \"" +
			 d.said + "\"";
	// libbpf's own errnos for its checks (ESRCH: not found) would only mislead.
	const bool kernel_errno = d.cause != LoadCause::missing_kfunc && d.cause != LoadCause::kfunc_mismatch &&
				  d.cause != LoadCause::no_kernel_btf;
	if (kernel_errno && err)
		detail += (detail.empty() ? "" : "; ") + std::string(std::strerror(err));
	if (!detail.empty())
		msg += " (" + detail + ")";
	std::string fix = load_fix(d, err, ctx);
	if (!fix.empty())
		msg += " (" + fix + ")";
	return Error(load_code(d.cause, err), std::move(msg), err);
}

const char *attach_cause_name(AttachCause c) noexcept
{
	switch (c) {
	case AttachCause::busy: return "busy";
	case AttachCause::no_native_xdp: return "no_native_xdp";
	case AttachCause::dev_bound_skb: return "dev_bound_skb";
	case AttachCause::dev_bound_elsewhere: return "dev_bound_elsewhere";
	case AttachCause::mtu: return "mtu";
	case AttachCause::peer_detached: return "peer_detached";
	case AttachCause::queue_count: return "queue_count";
	case AttachCause::permission: return "permission";
	case AttachCause::other: return "other";
	}
	return "?";
}

AttachDiagnosis diagnose_attach(int err, std::string_view kernel_said, const FailureContext &ctx)
{
	err = err < 0 ? -err : err;
	AttachDiagnosis d;
	// libbpf: "Kernel error message: TEXT"; its other lines are not the kernel's words.
	if (size_t p = kernel_said.find("Kernel error message: "); p != std::string_view::npos)
		kernel_said = kernel_said.substr(p + 22);
	else if (kernel_said.find(kPrefix) != std::string_view::npos)
		kernel_said = {};
	kernel_said = trim(kernel_said.substr(0, kernel_said.find('\n')));
	d.said = quote(kernel_said);
	auto says = [&](std::string_view key) { return kernel_said.find(key) != std::string_view::npos; };
	const bool veth = ctx.driver == "veth";
	if (!kernel_said.empty()) {
		if (says("bound to different device"))
			d.cause = AttachCause::dev_bound_elsewhere;
		else if (says("device-bound programs in generic mode"))
			d.cause = AttachCause::dev_bound_skb;
		else if (says("does not support XDP in native mode"))
			d.cause = AttachCause::no_native_xdp;
		else if (says("MTU"))
			d.cause = AttachCause::mtu;
		else if (says("peer is detached"))
			d.cause = AttachCause::peer_detached;
		else if (says("number of rx queues"))
			d.cause = AttachCause::queue_count;
		else if (err == EBUSY || err == EEXIST)
			d.cause = AttachCause::busy;
		else if (is_perm(err))
			d.cause = AttachCause::permission;
		return d;
	}
	// A bpf_link attach returns the errno alone; some are unambiguous in their context.
	if (err == EBUSY || err == EEXIST)
		d.cause = AttachCause::busy;
	else if (is_perm(err))
		d.cause = AttachCause::permission;
	else if ((err == EOPNOTSUPP || err == kENOTSUPP) && ctx.mode == AttachMode::driver)
		d.cause = AttachCause::no_native_xdp;
	else if (err == EINVAL && ctx.dev_bound && ctx.mode == AttachMode::skb)
		d.cause = AttachCause::dev_bound_skb;
	else if (err == ERANGE && veth) // veth_xdp_set: the only ERANGE is the peer's MTU
		d.cause = AttachCause::mtu;
	else if (err == ENOTCONN && veth)
		d.cause = AttachCause::peer_detached;
	else if (err == ENOSPC && veth)
		d.cause = AttachCause::queue_count;
	return d;
}

Error attach_error(int err, const AttachDiagnosis &d, const FailureContext &ctx)
{
	err = err < 0 ? -err : err;
	const std::string ifc = iface(ctx);
	const bool veth = ctx.driver == "veth";
	std::string cause, fix;
	switch (d.cause) {
	case AttachCause::busy:
		fix = edge::advice(EBUSY, edge::Op::attach, edge_ctx(ctx));
		break;
	case AttachCause::no_native_xdp:
		cause = "driver " + driver_of(ctx) + " has no native XDP";
		fix = "use the generic hook (--hook generic, SKB mode)";
		break;
	case AttachCause::dev_bound_skb:
		cause = "a device-bound program cannot run in generic (SKB) mode";
		fix = "attach it in driver mode (HookOptions::mode automatic or driver), or use the generic hook "
		      "(--hook generic) for SKB mode";
		break;
	case AttachCause::dev_bound_elsewhere:
		cause = "the program is bound to another device than " + ifc;
		fix = "load it for " + ifc + " (HookOptions::ifname)";
		break;
	case AttachCause::mtu:
		cause = veth ? "the MTU of the veth peer of " + ifc + " is larger than veth allows for XDP without fragments"
			     : "the MTU of " + ifc + " is larger than driver " + driver_of(ctx) +
				       " allows for XDP without fragments";
		fix = veth ? "lower the peer's MTU (ip link set dev PEER mtu 1500), or attach in generic mode (--hook "
			     "generic)"
			   : "lower the MTU (ip link set dev " + ifc + " mtu 1500), or attach in generic mode (--hook generic)";
		break;
	case AttachCause::peer_detached:
		cause = "veth " + ifc + " has no peer";
		fix = "create the veth pair again (ip link add ... type veth peer ...)";
		break;
	case AttachCause::queue_count:
		cause = "veth " + ifc + " has fewer RX queues than its peer has TX queues";
		fix = "create the pair with at least as many RX queues as the peer's TX queues (ip link add ... "
		      "numrxqueues N type veth peer ... numtxqueues N)";
		break;
	case AttachCause::permission:
		fix = edge::advice(EPERM, edge::Op::attach, edge_ctx(ctx));
		break;
	case AttachCause::other:
		if (d.said.empty())
			cause = "the kernel gave no reason (a bpf_link attach returns only the errno)";
		fix = edge::advice(err, edge::Op::attach, edge_ctx(ctx));
		break;
	}
	// "WHAT: CAUSE (kernel: "SAID"; STRERROR) (FIX)", or without a cause of ours:
	// "WHAT: the kernel said "SAID" (STRERROR) (FIX)", "WHAT: STRERROR (FIX)".
	std::string msg = ctx.what + ": ";
	if (!cause.empty())
		msg += cause + " (" + (d.said.empty() ? "" : "kernel: \"" + d.said + "\"; ") + std::strerror(err) + ")";
	else if (!d.said.empty())
		msg += "the kernel said \"" + d.said + "\" (" + std::strerror(err) + ")";
	else
		msg += std::strerror(err);
	if (!fix.empty())
		msg += " (" + fix + ")";
	return Error(Error::from_errno(err, "", "").code, std::move(msg), err);
}

} // namespace xdphints::hook
