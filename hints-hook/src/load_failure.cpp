#include "load_failure.hpp"

#include <bpf/libbpf.h>

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <sys/utsname.h>

namespace xdphints::hook::detail {

namespace {

thread_local LibbpfCapture *t_capture = nullptr;
std::atomic<libbpf_print_fn_t> g_next{nullptr}; // the print function in front of which we route
std::mutex g_install;

std::string vformat(const char *fmt, va_list args)
{
	va_list again;
	va_copy(again, args);
	int n = std::vsnprintf(nullptr, 0, fmt, again);
	va_end(again);
	if (n <= 0)
		return {};
	std::string s(size_t(n) + 1, '\0');
	std::vsnprintf(s.data(), s.size(), fmt, args);
	s.resize(size_t(n));
	return s;
}

thread_local bool t_forwarding = false;

// To the print function we stand in front of. One that chains to the function it replaced
// (us, when it was installed after us) hands the line back: then it is printed as libbpf's
// default does (warnings and infos on stderr), not handed round again.
int forward(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (t_forwarding)
		return level == LIBBPF_DEBUG ? 0 : std::vfprintf(stderr, fmt, args);
	libbpf_print_fn_t next = g_next.load();
	if (!next)
		return 0;
	t_forwarding = true;
	int n = next(level, fmt, args);
	t_forwarding = false;
	return n;
}

int route(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (LibbpfCapture *c = t_capture; c && level != LIBBPF_DEBUG && !t_forwarding) {
		std::string line = vformat(fmt, args);
		int n = int(line.size());
		c->keep(int(level), std::move(line));
		return n;
	}
	return forward(level, fmt, args);
}

int forward_line(enum libbpf_print_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = forward(level, fmt, ap);
	va_end(ap);
	return n;
}

const char *mode_word(AttachMode m)
{
	return m == AttachMode::skb ? "skb" : "driver";
}

// The lines of a failed load or attach (`op`) and their context to $XDP_HINTS_VERIFIER_LOG
// (a file; /dev/stderr for the terminal). The header makes the file a test case as it
// stands (tests/unit/verifier_logs). Says where they went, or why not, for the message.
std::string keep_failure_lines(const char *op, const std::string &lines, int err, const FailureContext &ctx)
{
	const char *path = std::getenv("XDP_HINTS_VERIFIER_LOG");
	if (!path || !*path)
		return {};
	utsname u{};
	std::string release = uname(&u) == 0 ? u.release : "unknown";
	std::string head = "# xdp-hints: a failed BPF program load or attach, as libbpf " + std::to_string(libbpf_major_version()) + "." +
			   std::to_string(libbpf_minor_version()) + " printed it (XDP_HINTS_VERIFIER_LOG)\n";
	head += "# kernel: " + release + "\n";
	head += "# op: " + std::string(op) + "\n";
	head += "# errno: " + std::to_string(err) + " (" + std::strerror(err) + ")\n";
	head += "# what: " + ctx.what + "\n";
	head += "# hook: " + ctx.hook + "\n# object: " + ctx.object + "\n# user_object: " + ctx.user_object +
		"\n# ifname: " + ctx.ifname +
		"\n# driver: " + ctx.driver + "\n# dev_bound: " + (ctx.dev_bound ? "1" : "0") +
		"\n# mode: " + mode_word(ctx.mode) + "\n";
	if (ctx.kernel_kfuncs)
		head += "# kernel_kfuncs: " + std::to_string(*ctx.kernel_kfuncs) + "\n";
	FILE *f = std::fopen(path, "w");
	if (!f)
		return "; writing libbpf's lines to " + std::string(path) + " failed: " + std::strerror(errno);
	bool ok = std::fwrite(head.data(), 1, head.size(), f) == head.size() &&
		  std::fwrite(lines.data(), 1, lines.size(), f) == lines.size();
	int werr = errno;
	ok = std::fclose(f) == 0 && ok;
	if (!ok)
		return "; writing libbpf's lines to " + std::string(path) + " failed: " + std::strerror(werr);
	return "; libbpf's lines are in " + std::string(path);
}

// Where the lines went, inside the fix's parentheses when there are some.
void append_kept(Error &e, const std::string &kept)
{
	if (kept.empty())
		return;
	if (!e.message.empty() && e.message.back() == ')')
		e.message.insert(e.message.size() - 1, kept);
	else
		e.message += " (" + kept.substr(2) + ")";
}

} // namespace

LibbpfCapture::LibbpfCapture() : outer_(t_capture)
{
	{
		std::lock_guard lock(g_install);
		libbpf_print_fn_t before = libbpf_set_print(route);
		if (before != route)
			g_next.store(before);
	}
	t_capture = this;
}

LibbpfCapture::~LibbpfCapture()
{
	t_capture = outer_;
	if (taken_)
		return;
	for (auto &[level, line] : lines_) {
		if (outer_)
			outer_->keep(level, std::move(line));
		else
			forward_line(libbpf_print_level(level), "%s", line.c_str());
	}
}

void LibbpfCapture::keep(int level, std::string line)
{
	lines_.emplace_back(level, std::move(line));
}

std::string LibbpfCapture::take()
{
	taken_ = true;
	std::string s;
	for (const auto &l : lines_)
		s += l.second;
	lines_.clear();
	return s;
}

Error load_failure(int err, const std::string &libbpf_lines, const FailureContext &ctx)
{
	err = err < 0 ? -err : err;
	if (err == 0)
		err = EINVAL; // libbpf failed without an errno: still an error
	Error e = load_error(err, diagnose_load(err, libbpf_lines, ctx), ctx);
	append_kept(e, keep_failure_lines("load", libbpf_lines, err, ctx));
	return e;
}

Error attach_failure(int err, const std::string &libbpf_lines, const FailureContext &ctx)
{
	err = err < 0 ? -err : err;
	if (err == 0)
		err = EINVAL;
	Error e = attach_error(err, diagnose_attach(err, libbpf_lines, ctx), ctx);
	append_kept(e, keep_failure_lines("attach", libbpf_lines, err, ctx));
	return e;
}

} // namespace xdphints::hook::detail
