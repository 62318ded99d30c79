#!/bin/bash
# How the logs in this directory were recorded, on the host and in the kernel tier's guests:
#
#   tests/unit/verifier_logs/record.sh BUILD OUTDIR [tools]          # on this machine (root)
#   XH_EXTRA=$PWD/tests/unit/verifier_logs/record.sh XH_CASES=vlog \   (or vlog-tools)
#       tests/kernels/run-kernel SUITE BUILD                          # in a guest: OUTDIR is
#                                                                     # BUILD/kernels/results/SUITE/vlog
# Each refusal becomes OUTDIR/RELEASE-NAME.log: the product's own (xdp-hints with
# XDP_HINTS_VERIFIER_LOG=FILE: the header is the library's, the command is added on top),
# or libbpf's own for what the product never loads (a program calling a metadata kfunc
# without being device-bound, a too-complex program): the same libbpf (1.1), the same lines.
# A case the running kernel accepts records nothing and says so. The BPF sources are in
# src/ (compiled here with clang-19 into OUTDIR/obj).
set -u

vlog_record() { # BUILD OUTDIR [tools]: tools: only the objects loaded without the product
	local build=$1 out=$2 what=${3:-all} src rel ns=xhvlog
	src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/src
	rel=$(uname -r | cut -d. -f1,2)
	mkdir -p "$out/obj"
	for f in "$src"/*.bpf.c; do
		clang-19 -target bpf -O2 -g -I/usr/include/x86_64-linux-gnu -c "$f" \
			-o "$out/obj/$(basename "${f%.c}").o" || return 1
	done
	# A verifier log of more than 200 lines keeps its first 20 and last 40 (its complaint is
	# at the end): the too-complex programs' logs run to megabytes.
	shorten() { # FILE
		local n
		n=$(awk '/-- BEGIN PROG LOAD LOG --/ {l=1; next} /-- END PROG LOAD LOG --/ {l=0} l {c++} END {print c+0}' "$1")
		[ "$n" -gt 200 ] || return 0
		awk -v n="$n" 'NR == 1 {print "# shortened: " n - 60 " of the " n " lines of the verifier log left out (first 20 and last 40 kept)"}
		     /-- BEGIN PROG LOAD LOG --/ {l=1; print; next}
		     /-- END PROG LOAD LOG --/ {l=0}
		     l {c++; if (c <= 20 || c > n - 40) print; else if (c == 21) print "[... " n - 60 " lines left out ...]"; next}
		     {print}' "$1" > "$1.short" && mv "$1.short" "$1"
	}
	local cli=$build/cli/xdp-hints byo=$build/bpf/byo_fixed.bpf.o hook=$build/hints-hook/hook_veth.bpf.o

	# The product: COMMAND... with its failure's lines kept, and the command on top.
	product() { # NAME COMMAND...
		local name=$1 tmp=$out/.kept; shift
		rm -f "$tmp"
		XDP_HINTS_VERIFIER_LOG=$tmp timeout 30 "$@" > "$out/.stdout" 2> "$out/.stderr"
		echo "--- $name: exit $?"
		cat "$out/.stderr"
		if [ -s "$tmp" ]; then
			{ echo "# command: $*"; cat "$tmp"; } > "$out/$rel-$name.log"
			shorten "$out/$rel-$name.log"
			echo "recorded $rel-$name.log"
		else
			echo "$name: nothing refused on $(uname -r)"
		fi
	}
	# libbpf itself (the same libbpf 1.1 as the product, through python3's ctypes): OBJ
	# opened and loaded as it is (XDP, not device-bound); bpf_object__load's errno and the
	# lines libbpf prints, in the library's file format. (The 6.18 and 6.12 recordings of
	# these cases were made with `bpftool prog load`: the same libbpf lines; their headers
	# say so.)
	tool() { # NAME OBJ
		local name=$1 obj=$2 o err
		o=$(python3 - "$obj" 2>&1 <<'PY'
import ctypes, sys
lib = ctypes.CDLL("libbpf.so.1")
lib.bpf_object__open_file.restype = ctypes.c_void_p
lib.bpf_object__open_file.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
lib.bpf_object__load.argtypes = [ctypes.c_void_p]
lib.bpf_object__close.argtypes = [ctypes.c_void_p]
obj = lib.bpf_object__open_file(sys.argv[1].encode(), None)
if not obj:
    sys.exit("record.sh: cannot open " + sys.argv[1])
err = lib.bpf_object__load(obj)
lib.bpf_object__close(obj)
sys.stderr.flush()
print("errno=%d" % -err)
PY
)
		err=$(sed -n 's/^errno=//p' <<<"$o")
		echo "--- $name"
		[ -n "$err" ] || { echo "$name: $o"; return 1; }
		[ "$err" != 0 ] || { echo "$name: loaded on $(uname -r)"; return 0; }
		{
			echo "# command: record.sh: bpf_object__open_file + bpf_object__load of $(basename "$obj") (python3 ctypes, libbpf.so.1; not device-bound)"
			echo "# xdp-hints: a failed BPF program load or attach, as libbpf 1.1 printed it (record.sh)"
			echo "# kernel: $(uname -r)"
			echo "# op: load"
			echo "# errno: $err ($(python3 -c "import os; print(os.strerror($err))"))"
			echo "# what: load $(basename "$obj")"
			echo "# hook: "
			echo "# object: $(basename "$obj")"
			echo "# user_object: "
			echo "# ifname: "
			echo "# driver: "
			echo "# dev_bound: 0"
			echo "# mode: driver"
			grep -v '^errno=' <<<"$o"
		} > "$out/$rel-$name.log"
		shorten "$out/$rel-$name.log"
		echo "recorded $rel-$name.log"
	}

	ip netns del $ns 2>/dev/null
	ip netns add $ns || return 1
	ip -n $ns link add v0 type veth peer name v1 && ip -n $ns link set v0 up && ip -n $ns link set v1 up &&
		ip -n $ns link set lo up
	local in=(ip netns exec $ns)

	if [ "$what" != tools ]; then
	product demo "$cli" demo
	product generic "${in[@]}" "$cli" dump v0 --hook generic --count 1
	product byo-fixed "${in[@]}" "$cli" dump v0 --hook-object "$byo" --layout xdp_meta --count 1
	product byo-hook-veth "${in[@]}" "$cli" dump v0 --hook-object "$hook" --count 1
	product byo-fixed-lo "${in[@]}" "$cli" dump lo --hook-object "$byo" --layout xdp_meta --count 1
	# The peer's MTU above what veth allows for XDP without fragments: through a bpf_link
	# (the errno alone), then through netlink (--replace over a generic-mode program: the
	# kernel's extended ack).
	ip -n $ns link set v1 mtu 9000
	product veth-mtu "${in[@]}" "$cli" dump v0 --count 1
	ip -n $ns link set dev v0 xdpgeneric obj "$out/obj/pass.bpf.o" sec xdp &&
		product veth-mtu-replace "${in[@]}" "$cli" dump v0 --replace --count 1
	ip -n $ns link set dev v0 xdpgeneric off 2>/dev/null
	ip -n $ns link set v1 mtu 1500
	fi

	tool kfunc-unbound "$byo"
	tool vlan-tag "$out/obj/vlan_tag.bpf.o"
	tool refused-helper "$out/obj/refused_helper.bpf.o"
	tool too-complex "$out/obj/too_complex.bpf.o"
	tool too-long "$out/obj/too_long.bpf.o"
	tool stack "$out/obj/stack.bpf.o"
	tool unchecked-packet "$out/obj/unchecked_packet.bpf.o"

	ip netns del $ns
	rm -f "$out/.kept" "$out/.stdout" "$out/.stderr"
}

# In a guest (sourced by tests/kernels/guest-cases, which sets $build and $res); and the
# privileged cases of load and attach refusals on that kernel.
case_vlog() { vlog_record "$build" "$res/vlog"; }
case_vlog-tools() { vlog_record "$build" "$res/vlog" tools; }
case_vlog-privileged() { (cd "$build/tests" && ./xdphints-privileged-tests "[load-error]" -s 2>&1 | grep -E "FAILED|passed|failed|PASSED|with message" -A2); (cd "$build/tests" && ./xdphints-privileged-tests "[load-error]"); }

# On this machine.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	[ $# -ge 2 ] || { echo "usage: $0 BUILD OUTDIR [tools]" >&2; exit 2; }
	vlog_record "$(cd "$1" && pwd)" "$2" "${3:-all}"
fi
