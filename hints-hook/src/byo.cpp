#include <xdphints/hook/byo.hpp>

#include <xdphints/edge/dwarf_btf.hpp>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <cstring>
#include <fstream>
#include <optional>
#include <vector>

// Hook objects of other people's, as they are. Only byo_layouts() may run a tool (pahole,
// through edge/), and only for a struct .BTF lacks.
namespace xdphints::hook {

namespace {

std::string join(const std::vector<std::string> &v)
{
	std::string s;
	for (const auto &x : v)
		s += (s.empty() ? "" : ", ") + x;
	return s;
}

// Where structs missing from the program's BTF are looked for, each made on first use.
class OtherSources {
public:
	OtherSources(std::string object_path, std::string layout_btf)
		: object_(std::move(object_path)), file_(std::move(layout_btf))
	{
	}

	// The struct's type id and the BTF holding it, or why it is in none of them.
	Result<std::pair<Btf, uint32_t>> find(const std::string &name)
	{
		std::vector<std::string> looked;
		for (int i = 0; i < 2; i++) {
			auto src = source(i);
			if (!src)
				return Error(src.error().code, "; " + src.error().message, src.error().sys_errno);
			if (!*src)
				continue;
			const Btf &b = **src;
			looked.push_back(b.origin());
			int id = btf__find_by_name_kind(b.get(), name.c_str(), BTF_KIND_STRUCT);
			if (id > 0)
				return std::make_pair(b, uint32_t(id));
		}
		std::string why = looked.empty() ? std::string() : " nor in " + join(looked);
		if (dwarf_err_)
			why += (why.empty() ? "; " : "; and ") + dwarf_err_->message;
		return Error(Errc::not_found, why);
	}

private:
	// 0: the --layout-btf file (raw BTF or an object's .BTF); 1: the DWARF of that file when
	// it is an object, else of the hook object. nullptr when a source does not apply.
	Result<const Btf *> source(int i)
	{
		if (i == 0) {
			if (file_.empty())
				return nullptr;
			if (!file_btf_) {
				// By its magic: libbpf complains on stderr when asked to read raw BTF as ELF.
				char magic[4] = {};
				std::ifstream(file_, std::ios::binary).read(magic, sizeof(magic));
				file_is_elf_ = std::memcmp(magic, "\x7f" "ELF", 4) == 0;
				auto b = file_is_elf_ ? Btf::from_elf(file_) : Btf::from_raw_file(file_);
				if (!b)
					return Error(b.error().code, "--layout-btf " + file_ +
									     " is neither a BPF object with .BTF nor a raw BTF file: " +
									     b.error().message);
				file_btf_ = std::move(*b);
			}
			return &*file_btf_;
		}
		if (!file_.empty() && !file_is_elf_)
			return nullptr;
		if (!dwarf_ && !dwarf_err_) {
			auto b = edge::btf_from_dwarf(file_.empty() ? object_ : file_);
			if (b)
				dwarf_ = std::move(*b);
			else if (b.error().code == Errc::not_found)
				dwarf_err_ = b.error(); // no DWARF: said with the struct that is missing
			else
				return b.error();
		}
		return dwarf_ ? &*dwarf_ : nullptr;
	}

	std::string object_;
	std::string file_;
	bool file_is_elf_ = false;
	std::optional<Btf> file_btf_;
	std::optional<Btf> dwarf_;
	std::optional<Error> dwarf_err_;
};

} // namespace

Result<bpf_program *> byo_xdp_program(bpf_object *obj, const std::string &path, bool set_type)
{
	const std::string what = "hook object " + path + " breaks the hook contract: rule 1, exactly one XDP program; ";
	std::vector<std::string> progs;
	bpf_program *p, *one = nullptr;
	bpf_object__for_each_program(p, obj) {
		progs.push_back(std::string(bpf_program__name(p)) + " (" + bpf_program__section_name(p) + ")");
		one = p;
	}
	if (progs.empty())
		return Error::detected(Errc::invalid_argument, what + "it has none", "add the XDP program");
	if (progs.size() != 1)
		return Error::detected(Errc::invalid_argument, what + "it has " + join(progs),
				       "keep one XDP program in the object");
	enum bpf_prog_type t = bpf_program__type(one);
	if (t == BPF_PROG_TYPE_XDP)
		return one;
	if (t != BPF_PROG_TYPE_UNSPEC) {
		const char *kind = libbpf_bpf_prog_type_str(t);
		return Error::detected(Errc::invalid_argument,
				       what + "it has " + progs[0] + ", a " + (kind ? kind : "non-XDP") + " program",
				       "put the program in SEC(\"xdp\")");
	}
	// A section libbpf does not know: this loader loads XDP programs only, as `ip link set
	// dev IF xdp obj FILE sec NAME` does; the verifier says so if it is not one.
	if (set_type) {
		if (int err = bpf_program__set_type(one, BPF_PROG_TYPE_XDP))
			return Error::from_errno(err, "set the type of " + progs[0] + " in " + path + " to XDP", "report this");
		if (int err = bpf_program__set_expected_attach_type(one, BPF_XDP))
			return Error::from_errno(err, "set the attach type of " + progs[0] + " in " + path + " to BPF_XDP",
						 "report this");
	}
	return one;
}

Result<Discovery> byo_layouts(const Btf &btf, const std::string &object_path, const DiscoverOptions &opts,
			      const std::string &layout_btf)
{
	DiscoverOptions here = opts;
	here.structs.clear();
	std::vector<std::string> elsewhere;
	for (const auto &name : opts.structs)
		(btf.get() && btf__find_by_name_kind(btf.get(), name.c_str(), BTF_KIND_STRUCT) > 0 ? here.structs : elsewhere)
			.push_back(name);
	Discovery d;
	if (here.auto_discover || !here.structs.empty() || elsewhere.empty()) {
		auto r = discover(btf, here);
		if (!r)
			return r;
		d = std::move(*r);
	}
	OtherSources other(object_path, layout_btf);
	for (const auto &name : elsewhere) {
		auto found = other.find(name);
		if (!found)
			return Error(found.error().code,
				     "no struct named '" + name + "' in " + btf.origin() + found.error().message);
		auto l = describe_layout(found->first, found->second, false, 0);
		if (!l)
			return l.error();
		if (l->id_kind != IdKind::none)
			return Error::detected(Errc::invalid_argument,
					       "struct " + name + " has an id member (" + id_kind_name(l->id_kind) +
						       ") but is not in " + btf.origin() + ", only in " + found->first.origin() +
						       ": the id it carries names no type of the program's BTF",
					       "write the id with bpf_core_type_id_local(struct " + name +
						       "), which also puts the struct in .BTF");
		d.layouts.push_back(std::move(*l));
	}
	return d;
}

} // namespace xdphints::hook
