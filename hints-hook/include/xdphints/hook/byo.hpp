#pragma once
// Bring your own hook: the programs and layouts of a hook object someone else wrote, taken
// as they are (the contract itself: check_contract in hook.hpp, docs/HOOKS.md).
//
//   auto prog = xdphints::hook::byo_xdp_program(obj, path);       // before bpf_object__load
//   auto d = xdphints::hook::byo_layouts(btf, path, {.auto_discover = false, .structs = {"xdp_meta"}});
#include <xdphints/btf.hpp>
#include <xdphints/layout.hpp>
#include <xdphints/result.hpp>

#include <string>

struct bpf_object;
struct bpf_program;

namespace xdphints::hook {

// The object's one program as an XDP program (contract rule 1). Whatever its section: one
// libbpf knows as XDP (xdp, xdp.frags, ...) is taken as it is; one libbpf no longer knows
// (xdp_sock of the AF_XDP-interaction prototype, other legacy names) gets the type XDP
// here, since libbpf would refuse to load a program without a type. Refused, naming them:
// several programs, none, or one libbpf knows as another type (tc, kprobe, ...).
// `set_type` false only checks (the object is left as it is).
Result<bpf_program *> byo_xdp_program(bpf_object *obj, const std::string &path, bool set_type = true);

// The layouts of hook object `object_path` whose BTF is `btf` (its .BTF, or the kernel's
// copy of it once loaded): discovery in `btf` (an id-carrying struct must be there, since
// its id is a type id of that BTF), and each struct of `opts.structs` taken from, in order:
//   1. `btf`;
//   2. `layout_btf` when given: raw BTF, or an object (its .BTF, then its DWARF);
//   3. else the object's DWARF (edge::btf_from_dwarf, pahole), for structs that clang left
//      out of .BTF because only a local pointer uses them.
// Resolution rules and layouts are the same whatever the source (lib's describe_layout).
// A struct found only in 2 or 3 must be a fixed layout (no id member): an id there would
// name no type of the program's BTF.
Result<Discovery> byo_layouts(const Btf &btf, const std::string &object_path, const DiscoverOptions &opts,
			      const std::string &layout_btf = "");

} // namespace xdphints::hook
