#!/usr/bin/python3
"""Plot of bench/results/latest.json (written by xdp-hints-bench).

    /usr/bin/python3 bench/plot.py bench/results/latest.json bench/results/bench.png

Left: received Mpps per variant, the median as a bar, every round as a dot, min..max as
the error bar. Right: the hook-to-application latency distribution in poll and
busy-poll mode (complementary CDF on log axes, so the tail is visible).
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(src, dst):
    with open(src) as f:
        j = json.load(f)
    names = [n for n in j.get("order", []) if n in j["mpps"]] or list(j["mpps"].keys())
    med = [j["mpps"][n]["median"] for n in names]
    lo = [j["mpps"][n]["median"] - j["mpps"][n]["min"] for n in names]
    hi = [j["mpps"][n]["max"] - j["mpps"][n]["median"] for n in names]
    growth = {"layouts_1", "layouts_8", "layouts_64", "queues_2"}
    explain = {"hints_hash"}
    colors = ["#9e9e9e" if n == "xdp_drop" else "#c0504d" if n == "af_packet" else
              "#8064a2" if n in growth else "#9bbb59" if n in explain else "#4f81bd" for n in names]

    lat = j.get("latency_ns", {})
    fig, axes = plt.subplots(1, 2 if lat else 1, figsize=(14 if lat else 8, 5.2))
    ax = axes[0] if lat else axes
    x = range(len(names))
    ax.bar(x, med, color=colors, yerr=[lo, hi], capsize=4)
    for i, n in enumerate(names):
        pts = j.get("per_round_mpps", {}).get(n, [])
        ax.scatter([i] * len(pts), pts, s=8, color="black", zorder=3)
        ax.text(i + 0.05, med[i] + hi[i] + 0.03, f"{med[i]:.2f}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(list(x))
    ax.set_xticklabels(names, rotation=35, ha="right")
    ax.set_ylabel("received Mpps (median; dots = rounds)")
    r = j.get("ratios", {})
    sub = ", ".join(f"{k} {v:.3f}" for k, v in r.items() if k in
                    ("hints_1/raw", "hints_all/raw", "hints_1/af_packet", "layouts_64/layouts_1"))
    ax.set_title(f"AF_XDP receive on veth, {j['rounds']} interleaved rounds\n{sub}", fontsize=9)
    ax.grid(axis="y", alpha=0.3)

    if lat:
        ax = axes[1]
        for mode, style in (("poll", "-"), ("busy_poll", "--"), ("spin", ":")):
            if mode not in lat:
                continue
            s = sorted(lat[mode].get("samples_thinned", []))
            if not s:
                continue
            n = len(s)
            ccdf = [1 - i / n for i in range(n)]
            ax.plot([v / 1000 for v in s], ccdf, style,
                    label=f"{mode}: p50 {lat[mode]['p50']/1000:.1f} us, p99 {lat[mode]['p99']/1000:.1f} us, "
                          f"p99.9 {lat[mode]['p999']/1000:.1f} us")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("hook -> application latency (us)")
        ax.set_ylabel("fraction of frames slower (1 - CDF)")
        any_mode = next(iter(lat.values()))
        ax.set_title(f"hook software timestamp -> receive loop, ~{any_mode.get('offered_pps', 0)/1000:.0f} kpps "
                     f"in bursts of {any_mode.get('burst', 0)}", fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    m = j.get("machine", {})
    fig.text(0.01, 0.01, f"{m.get('cpu', '')}, {m.get('cpus', '')} CPUs, {m.get('virtualization', '')}, "
                         f"Linux {m.get('kernel', '').split()[0] if m.get('kernel') else ''}, {m.get('git', '')}, "
                         f"{m.get('date', '')}", fontsize=7, color="gray")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(dst, dpi=110)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: plot.py latest.json out.png")
    main(sys.argv[1], sys.argv[2])
