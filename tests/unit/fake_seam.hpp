#pragma once
// A fake kernel behind the edge seam for one test: its state lives here, reachable from
// the seam's captureless functions through `global` while the fake is installed.
#include <xdphints/edge/sys.hpp>

namespace xdphints::unit {

template <class State> struct FakeSeam {
	State state;
	State *&global;
	edge::SysOverride seam;
	FakeSeam(const edge::Sys &sys, State *&g) : global(g), seam(sys) { global = &state; }
	~FakeSeam() { global = nullptr; }
	FakeSeam(const FakeSeam &) = delete;
	FakeSeam &operator=(const FakeSeam &) = delete;
};

} // namespace xdphints::unit
