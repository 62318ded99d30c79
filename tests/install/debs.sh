#!/bin/bash
# make package's two Debian packages, built from the build tree and checked: names, files,
# Depends, the shared libraries' exported symbols (our API only), and that dpkg would
# install them on this Debian 12 (dependencies resolvable, no file conflicts).
#   debs.sh BUILD_DIR WORK_DIR
set -euo pipefail
build=$1 work=$2
fail() { echo "FAIL: $*" >&2; exit 1; }

rm -rf "$work"
mkdir -p "$work"
(cd "$build" && cpack -G DEB -B "$work") >"$work/cpack.log" || { cat "$work/cpack.log"; fail "cpack"; }
arch=$(dpkg --print-architecture)
rt=$work/xdp-hints_0.2.0-1_$arch.deb
dev=$work/libxdphints-dev_0.2.0-1_$arch.deb
[[ -f $rt && -f $dev ]] || { ls "$work"; fail "expected $(basename "$rt") and $(basename "$dev")"; }

field() { dpkg-deb -f "$1" "$2"; }
[[ $(field "$rt" Package) == xdp-hints && $(field "$dev" Package) == libxdphints-dev ]] || fail "package names"
rt_dep=$(field "$rt" Depends) dev_dep=$(field "$dev" Depends)
echo "xdp-hints Depends: $rt_dep"
echo "libxdphints-dev Depends: $dev_dep"
for d in libbpf1 libxdp1 libelf1 libc6 libstdc++6; do
	[[ $rt_dep == *"$d "* || $rt_dep == *"$d," || $rt_dep == *"$d" ]] || fail "xdp-hints does not depend on $d"
done
for d in 'xdp-hints (= 0.2.0-1)' libbpf-dev libxdp-dev libelf-dev libfmt-dev; do
	[[ $dev_dep == *"$d"* ]] || fail "libxdphints-dev does not depend on $d"
done

rt_files=$(dpkg-deb -c "$rt" | awk '{print $6}')
dev_files=$(dpkg-deb -c "$dev" | awk '{print $6}')
has() { grep -qE "$2" <<<"$1" || fail "$3 lacks $2"; }
lacks() { ! grep -qE "$2" <<<"$1" || fail "$3 has $2"; }
has "$rt_files" '^\./usr/bin/xdp-hints$' xdp-hints
has "$rt_files" '^\./usr/lib/.*libxdphints\.so\.0\.2\.0$' xdp-hints
has "$rt_files" '^\./usr/lib/.*libxdphints_core\.so\.0\.2\.0$' xdp-hints
has "$rt_files" '^\./usr/share/man/man1/xdp-hints\.1' xdp-hints
lacks "$rt_files" '^\./usr/include/' xdp-hints
lacks "$rt_files" 'libxdphints(_core)?\.(a|so)$' xdp-hints
has "$dev_files" '^\./usr/include/xdphints/xdphints\.hpp$' libxdphints-dev
has "$dev_files" '^\./usr/include/xdphints/receiver\.hpp$' libxdphints-dev
has "$dev_files" '^\./usr/include/xdphints/version\.hpp$' libxdphints-dev
has "$dev_files" '^\./usr/include/xdp_hints/helpers\.bpf\.h$' libxdphints-dev
has "$dev_files" '^\./usr/lib/.*libxdphints\.a$' libxdphints-dev
has "$dev_files" '^\./usr/lib/.*libxdphints_core\.a$' libxdphints-dev
has "$dev_files" '^\./usr/lib/.*cmake/xdphints/xdphints-config\.cmake$' libxdphints-dev
has "$dev_files" '^\./usr/lib/.*pkgconfig/xdphints\.pc$' libxdphints-dev
lacks "$dev_files" 'testbed|edge/sys\.hpp|\.so\.0\.2' libxdphints-dev

mkdir -p "$work/rt" "$work/dev"
dpkg-deb -x "$rt" "$work/rt"
dpkg-deb -x "$dev" "$work/dev"
grep -q '^prefix=/usr$' "$(find "$work/dev" -name xdphints.pc)" || fail "xdphints.pc prefix is not /usr"

# Exported: our API; no testbed, no libbpf/libxdp symbols, of edge/ only the fd owner and
# libbpf-object deleters public classes hold. The rest are instantiations of std templates.
lib=$(find "$work/rt" -name libxdphints.so.0.2.0)
core=$(find "$work/rt" -name libxdphints_core.so.0.2.0)
syms=$(nm -DC --defined-only "$lib" "$core" | awk 'NF >= 3 { $1 = ""; $2 = ""; print substr($0, 3) }')
echo "exported: $(wc -l <<<"$syms") symbols, $(grep -c '^xdphints::\|xdphints::' <<<"$syms") in namespace xdphints"
for s in 'xdphints::Receiver::open' 'xdphints::Decoder::build' 'xdphints::hook::Hook::attach' \
	 'xdphints::afxdp::Umem::create' 'xdphints::afxdp::XskSocket::create' 'xdphints::version()' \
	 'xdphints::Btf::' 'xdphints::edge::UniqueFd::reset'; do
	grep -qF "$s" <<<"$syms" || fail "not exported: $s"
done
lacks "$syms" 'testbed' "exported symbols"
lacks "$syms" '^(bpf_|btf_|btf__|libbpf_|xsk_|xdp_|libxdp_|elf_|fmt::)' "exported symbols"
lacks "$syms" 'xdphints::edge::(sys|advice|sys_error|Ethtool|Netdev|netdev|iface|proc|memfd|kernel_btf)' "exported symbols"
others=$(grep -vE 'xdphints::|std::|__gnu_cxx::|^(typeinfo|typeinfo name|vtable|VTT|guard variable) for ' <<<"$syms" || true)
[[ -z $others ]] || fail "exported symbols outside our API: $others"

# Would install here: dependencies satisfied, no conflicts (root: dpkg needs its lock).
if [[ $(id -u) == 0 ]]; then
	dpkg --dry-run -i "$rt" "$dev" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i --dry-run"; }
	echo "dpkg -i --dry-run: ok"
else
	echo "not root: dpkg -i --dry-run not run"
fi
echo "packages: $(basename "$rt") $(basename "$dev") checked"
