#!/bin/bash
# Installs the build tree into a temporary prefix and builds applications against it as a
# user would: with find_package (shared, static, core alone), with pkg-config (shared, and
# our static libraries with Requires.private), and with find_package from the build tree.
#   consumers.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -euo pipefail
build=$1 src=$2 work=$3
consumer=$src/tests/install/consumer
fail() { echo "FAIL: $*" >&2; exit 1; }
# A sanitized build tree (make sanitize) installs instrumented libraries: the consumers are
# built and linked with the same sanitizers, as any program using them must be.
flags=${XDPHINTS_CONSUMER_FLAGS:-}

rm -rf "$work"
mkdir -p "$work"
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >"$work/install.log"

# What an application needs is there; edge/ internals other than fd.hpp/ethtool.hpp are not.
for f in include/xdphints/xdphints.hpp include/xdphints/receiver.hpp include/xdphints/version.hpp \
	 include/xdphints/export.hpp include/xdphints/hook/hook.hpp include/xdphints/af_xdp/socket.hpp \
	 include/xdphints/edge/fd.hpp include/xdp_hints/hints.h include/xdp_hints/helpers.bpf.h \
	 bin/xdp-hints share/man/man1/xdp-hints.1.gz; do
	[[ -e $prefix/$f ]] || fail "not installed: $f"
done
[[ ! -e $prefix/include/xdphints/edge/sys.hpp ]] || fail "internal edge/sys.hpp installed"
[[ ! -e $prefix/include/xdphints/testbed ]] || fail "testbed headers installed"
libdir=$(dirname "$(find "$prefix" -name libxdphints.so.0.2 | head -n1)")
[[ -n $libdir ]] || fail "no libxdphints.so.0.2"
for f in libxdphints.so libxdphints.a libxdphints_core.so.0.2 libxdphints_core.a \
	 cmake/xdphints/xdphints-config.cmake cmake/xdphints/xdphints-config-version.cmake \
	 pkgconfig/xdphints.pc pkgconfig/xdphints-core.pc; do
	[[ -e $libdir/$f ]] || fail "not installed: $libdir/$f"
done
soname=$(readelf -d "$libdir/libxdphints.so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[[ $soname == libxdphints.so.0.2 ]] || fail "SONAME $soname"
"$prefix/bin/xdp-hints" --version | grep -q '^xdp-hints 0\.2\.0' || fail "xdp-hints --version"
grep -q "^prefix=$prefix\$" "$libdir/pkgconfig/xdphints.pc" || fail "xdphints.pc prefix is not the install prefix"
echo "installed into $prefix"

# find_package, installed package.
cmake -S "$consumer" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
	-DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" >"$work/cmake.log"
cmake --build "$work/cmake" -j2 >>"$work/cmake.log"
"$work/cmake/consumer" | grep -q 'headers 0.2.0 library 0.2.0' || fail "consumer (shared)"
"$work/cmake/consumer_static" | grep -q 'headers 0.2.0 library 0.2.0' || fail "consumer (static)"
"$work/cmake/core_only" | grep -q 'core 0.2.0: not_found' || fail "core_only"
grep -q 'NEEDED.*libxdphints.so.0.2' <<<"$(readelf -d "$work/cmake/consumer")" || fail "consumer does not use libxdphints.so.0.2"
! grep -q 'NEEDED.*libxdphints' <<<"$(readelf -d "$work/cmake/consumer_static")" || fail "consumer_static links a shared libxdphints"
grep -q 'NEEDED.*libxdphints_core.so.0.2' <<<"$(readelf -d "$work/cmake/core_only")" || fail "core_only without libxdphints_core"
! grep -qE 'NEEDED.*(libxdphints\.so|libxdp\.so)' <<<"$(readelf -d "$work/cmake/core_only")" || fail "core_only pulls the hook/AF_XDP library"
echo "find_package: consumer, consumer_static, core_only built and ran"

# A version the package does not accept.
mkdir -p "$work/badver"
cat >"$work/badver/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.25)
project(badver LANGUAGES CXX)
find_package(xdphints 0.3 REQUIRED)
CM
if cmake -S "$work/badver" -B "$work/badver/b" -DCMAKE_PREFIX_PATH="$prefix" >"$work/badver.log" 2>&1; then
	fail "find_package(xdphints 0.3) accepted 0.2.0"
fi
echo "find_package(xdphints 0.3) refused"

# pkg-config, shared; then our static libraries with what Requires.private/Libs.private add.
export PKG_CONFIG_PATH=$libdir/pkgconfig
[[ $(pkg-config --modversion xdphints) == 0.2.0 ]] || fail "pkg-config version"
c++ -std=c++20 -O1 $flags -o "$work/pc_consumer" "$consumer/main.cpp" $(pkg-config --cflags --libs xdphints) \
	-Wl,-rpath,"$(pkg-config --variable=libdir xdphints)"
"$work/pc_consumer" | grep -q 'library 0.2.0' || fail "pkg-config consumer (shared)"
static_libs=$(pkg-config --static --libs xdphints | sed -e 's/-lxdphints_core\b/-l:libxdphints_core.a/' -e 's/-lxdphints\b/-l:libxdphints.a/')
c++ -std=c++20 -O1 $flags -o "$work/pc_consumer_static" "$consumer/main.cpp" $(pkg-config --cflags xdphints) $static_libs
"$work/pc_consumer_static" | grep -q 'library 0.2.0' || fail "pkg-config consumer (static)"
c++ -std=c++20 -O1 $flags -o "$work/pc_core_only" "$consumer/core_only.cpp" $(pkg-config --cflags --libs xdphints-core) \
	-Wl,-rpath,"$libdir"
"$work/pc_core_only" | grep -q 'core 0.2.0' || fail "pkg-config core_only"
echo "pkg-config: pc_consumer, pc_consumer_static, pc_core_only built and ran"

# find_package from the build tree (export()).
cmake -S "$consumer" -B "$work/cmake-buildtree" -Dxdphints_DIR="$build" -DCMAKE_BUILD_TYPE=Release \
	-DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" >"$work/buildtree.log"
cmake --build "$work/cmake-buildtree" -j2 --target core_only consumer >>"$work/buildtree.log"
"$work/cmake-buildtree/consumer" | grep -q 'library 0.2.0' || fail "build-tree consumer"
echo "find_package from the build tree: consumer built and ran"
