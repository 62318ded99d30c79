#include <xdphints/hook/hook.hpp>
#include <xdphints/hook/select.hpp>

#include "hook_specs.hpp"

#include <xdphints/edge/error.hpp>
#include <xdphints/edge/fd.hpp>
#include <xdphints/edge/netdev.hpp>

#include <bpf/btf.h>

#include <cerrno>

namespace xdphints::hook {

namespace {

using detail::HookSpec;

struct Kfunc {
	unsigned bit;
	const char *name;
	const char *since;
};
constexpr Kfunc kKfuncs[] = {
	{hint::timestamp, "bpf_xdp_metadata_rx_timestamp", "6.3"},
	{hint::hash, "bpf_xdp_metadata_rx_hash", "6.3"},
	{hint::vlan, "bpf_xdp_metadata_rx_vlan_tag", "6.8"},
};

std::string join(const std::vector<std::string> &v)
{
	std::string s;
	for (const auto &x : v)
		s += (s.empty() ? "" : ", ") + x;
	return s;
}

std::string fields(unsigned bits)
{
	return join(fields_of_hints(bits));
}

std::string kfuncs(unsigned bits)
{
	std::vector<std::string> v;
	for (const auto &k : kKfuncs)
		if (bits & k.bit)
			v.emplace_back(k.name);
	return join(v);
}

// The first release with all the kfuncs of `bits`.
std::string since(unsigned bits)
{
	std::string s = "6.3";
	for (const auto &k : kKfuncs)
		if (bits & k.bit)
			s = k.since;
	return s;
}

std::string driver_word(const SelectionInput &in)
{
	return in.driver.empty() ? "of " + (in.ifname.empty() ? std::string("the interface") : in.ifname) + " (unknown)"
				 : in.driver;
}

constexpr const char *kGenericWhat = "rx_timestamp in software, flagged as software; SKB mode";

Result<Selection> generic_fallback(const HookSpec &generic, const SelectionInput &in, std::string why)
{
	unsigned want = in.hints ? in.hints : generic.hints;
	if (want & ~generic.hints)
		return Error::detected(Errc::unsupported,
				       "the generic hook cannot give " + fields(want & ~generic.hints) + " (" + why + ")",
				       "ask only for " + fields(generic.hints) +
					       " (software), or use a kernel and driver with the XDP RX metadata kfuncs "
					       "(Linux >= 6.3)");
	return Selection{std::string(generic.name), want,
			 "hook generic (" + std::string(kGenericWhat) + "): " + std::move(why)};
}

} // namespace

Result<Selection> select_hook(const SelectionInput &in)
{
	const HookSpec &generic = *detail::find_hook_spec("generic");
	const bool by_driver = in.hook.empty();
	const HookSpec *spec = nullptr;
	if (by_driver) {
		spec = detail::hook_spec_for_driver(in.driver);
		if (!spec)
			return generic_fallback(generic, in,
						"driver " + driver_word(in) +
							" has no hook of its own (no XDP RX metadata kfuncs known for it)");
	} else {
		spec = detail::find_hook_spec(in.hook);
		if (!spec) {
			std::string names;
			for (auto n : hook_names())
				names += (names.empty() ? "" : ", ") + std::string(n);
			return Error::detected(Errc::invalid_argument, "no hook named '" + in.hook + "'",
					       "choose one of: " + names);
		}
		// A kfunc hook on a driver without kfuncs would load, but every call would answer
		// -EOPNOTSUPP: say so instead of attaching a hook that writes nothing.
		if (spec->kfuncs && !detail::hook_spec_for_driver(in.driver) && !in.device_reports_kfuncs) {
			edge::ErrContext c{in.ifname, in.driver, std::string(spec->name), true};
			return Error::detected(Errc::unsupported, "hook " + std::string(spec->name) + " on " + in.ifname,
					       edge::advice(EOPNOTSUPP, edge::Op::load, c));
		}
	}
	const std::string name(spec->name);
	const std::string as_asked = by_driver ? "" : ", as asked (--hook " + name + ")";
	unsigned want = in.hints ? in.hints : spec->hints;
	if (want & ~spec->hints)
		return Error::detected(Errc::unsupported,
				       "hook " + name + " (driver " + (in.driver.empty() ? "unknown" : in.driver) +
					       ") cannot give " + fields(want & ~spec->hints),
				       "ask only for what it provides: " + fields(spec->hints));
	if (!spec->kfuncs)
		return Selection{name, want, "hook " + name + " (" + kGenericWhat + ")" + as_asked};

	const unsigned lacking = want & ~in.kernel_kfuncs;
	const unsigned have = want & in.kernel_kfuncs;
	if (!lacking)
		return Selection{name, want,
				 "hook " + name + " (" + fields(want) + ")" +
					 (by_driver ? ": driver " + in.driver + " implements the XDP RX metadata kfuncs"
						    : as_asked)};
	const std::string lacks = "this kernel lacks " + kfuncs(lacking) + " (Linux >= " + since(lacking) + ")";
	// Groups asked for by name are not dropped silently; a fallback that gives them is fine.
	if (in.hints) {
		if (by_driver && !have && !(want & ~generic.hints))
			return generic_fallback(generic, in, lacks + ", which hook " + name + " calls");
		return Error::detected(Errc::unsupported, lacks + ": hook " + name + " cannot give " + fields(lacking),
				       "ask only for " + (have ? fields(have) : std::string("rx_timestamp (the generic hook)")) +
					       ", or use Linux >= " + since(lacking));
	}
	if (have)
		return Selection{name, have,
				 "hook " + name + " without " + fields(lacking) + " (" + fields(have) + "): " + lacks};
	if (by_driver)
		return generic_fallback(generic, in,
					"this kernel has none of the XDP RX metadata kfuncs hook " + name +
						" calls (Linux >= 6.3)");
	return Error::detected(Errc::unsupported,
			       "this kernel lacks the XDP RX metadata kfuncs " + kfuncs(lacking) + " that hook " + name +
				       " calls",
			       "needs Linux >= " + since(lacking) +
				       "; use the generic hook (--hook generic), or leave out --hook to get the best "
				       "hook this kernel can run");
}

Result<unsigned> kernel_kfunc_hints()
{
	edge::BtfPtr vmlinux(btf__load_vmlinux_btf());
	if (!vmlinux)
		return edge::sys_error(errno, edge::Op::btf, "load the kernel's BTF (/sys/kernel/btf/vmlinux)");
	unsigned bits = 0;
	for (const auto &k : kKfuncs)
		if (btf__find_by_name_kind(vmlinux.get(), k.name, BTF_KIND_FUNC) > 0)
			bits |= k.bit;
	return bits;
}

Result<Selection> select_hook_for(const HookOptions &opt, int ifindex, const std::string &ifname,
				  const std::string &driver)
{
	SelectionInput in{opt.hook, opt.hints, driver, ifname};
	if (opt.hook != "generic") {
		auto k = kernel_kfunc_hints();
		if (!k)
			return k.error();
		in.kernel_kfuncs = *k;
	}
	// Known from our table, or reported by the kernel (netdev netlink, Linux >= 6.8) for a
	// driver we do not know yet.
	if (!opt.hook.empty() && !detail::hook_spec_for_driver(driver)) {
		auto nd = edge::netdev_dev_get(ifindex);
		in.device_reports_kfuncs = nd && nd->rx_metadata && *nd->rx_metadata != 0;
	}
	return select_hook(in);
}

std::string_view hook_for_driver(std::string_view driver) noexcept
{
	const HookSpec *s = detail::hook_spec_for_driver(driver);
	return s ? s->name : std::string_view("generic");
}

} // namespace xdphints::hook
