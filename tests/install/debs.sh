#!/bin/bash
# make package's two Debian packages, built from the build tree and checked: names, files,
# Depends, the shared libraries' exported symbols (our API only), and that dpkg would
# install them on this Debian 12 (dependencies resolvable, no file conflicts), and that the
# files are where Debian puts them: libraries, CMake package and .pc files in the multiarch
# directory, the man page gzipped as policy says (gzip -9n).
#   debs.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -euo pipefail
build=$1 src=$2 work=$3
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
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
libdir=usr/lib/$ma
has "$rt_files" '^\./usr/bin/xdp-hints$' xdp-hints
has "$rt_files" "^\./$libdir/libxdphints\.so\.0\.2\.0\$" xdp-hints
has "$rt_files" "^\./$libdir/libxdphints_core\.so\.0\.2\.0\$" xdp-hints
has "$rt_files" '^\./usr/share/man/man1/xdp-hints\.1\.gz$' xdp-hints
lacks "$rt_files" '^\./usr/share/man/man1/xdp-hints\.1$' xdp-hints
lacks "$rt_files" '^\./usr/include/' xdp-hints
lacks "$rt_files" 'libxdphints(_core)?\.(a|so)$' xdp-hints
has "$dev_files" '^\./usr/include/xdphints/xdphints\.hpp$' libxdphints-dev
has "$dev_files" '^\./usr/include/xdphints/receiver\.hpp$' libxdphints-dev
has "$dev_files" '^\./usr/include/xdphints/version\.hpp$' libxdphints-dev
has "$dev_files" '^\./usr/include/xdp_hints/helpers\.bpf\.h$' libxdphints-dev
for f in libxdphints.so libxdphints_core.so libxdphints.a libxdphints_core.a \
	 cmake/xdphints/xdphints-config.cmake cmake/xdphints/xdphints-config-version.cmake \
	 cmake/xdphints/xdphints-targets.cmake pkgconfig/xdphints.pc pkgconfig/xdphints-core.pc; do
	has "$dev_files" "^\./$libdir/${f//./\\.}\$" libxdphints-dev
done
lacks "$dev_files" 'testbed|edge/sys\.hpp|\.so\.0\.2' libxdphints-dev
# Nothing of ours directly in /usr/lib: Debian's is the multiarch directory.
lacks "$rt_files$dev_files" '^\./usr/lib/[^/]+$|^\./usr/lib/(cmake|pkgconfig)/' "the packages"

mkdir -p "$work/rt" "$work/dev"
dpkg-deb -x "$rt" "$work/rt"
dpkg-deb -x "$dev" "$work/dev"
for pc in xdphints xdphints-core; do
	grep -q '^prefix=/usr$' "$work/dev/$libdir/pkgconfig/$pc.pc" || fail "$pc.pc prefix is not /usr"
	grep -qF "libdir=\${prefix}/lib/$ma" "$work/dev/$libdir/pkgconfig/$pc.pc" || fail "$pc.pc libdir is not /$libdir"
done

# The man page: gzip -9n (no name, no time stamp: reproducible) of docs/xdp-hints.1.
man=$work/rt/usr/share/man/man1/xdp-hints.1.gz
zcat "$man" | cmp -s - "$src/docs/xdp-hints.1" || fail "xdp-hints.1.gz is not docs/xdp-hints.1"
header=$(od -An -tx1 -N10 "$man" | tr -d ' \n')
# bytes: magic 1f8b, method 08, flags 00 (no FNAME), mtime 00000000, xfl 02 (-9), os
[[ $header == 1f8b080000000000* && ${header:16:2} == 02 ]] || fail "xdp-hints.1.gz is not gzip -9n: header $header"

# The CMake package from the unpacked files: its relative paths lead to the libraries and
# headers (the generated targets file checks that each file exists), and find_package looks
# in lib/<multiarch> of the prefix.
root=$work/root
mkdir -p "$root"
cp -a "$work/rt/." "$work/dev/." "$root/"
mkdir -p "$work/find"
cat >"$work/find/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.25)
project(find LANGUAGES CXX)
find_package(xdphints 0.2 REQUIRED)
get_target_property(configs xdphints::xdphints IMPORTED_CONFIGURATIONS)
list(GET configs 0 config)
get_target_property(location xdphints::xdphints IMPORTED_LOCATION_${config})
get_target_property(includes xdphints::xdphints INTERFACE_INCLUDE_DIRECTORIES)
message(STATUS "found: ${xdphints_DIR} ${location} ${includes}")
CM
cmake -S "$work/find" -B "$work/find/b" -DCMAKE_PREFIX_PATH="$root/usr" >"$work/find.log" 2>&1 || { cat "$work/find.log"; fail "find_package(xdphints) in the unpacked packages"; }
found=$(sed -n 's/^-- found: //p' "$work/find.log")
[[ $found == "$root/$libdir/cmake/xdphints $root/$libdir/libxdphints.so.0.2.0 $root/usr/include" ]] ||
	fail "find_package(xdphints) in the unpacked packages found: $found"
echo "find_package(xdphints) in the unpacked packages: $found"

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
