#pragma once
#include <array>
#include <string>
#include <vector>

#include <xdphints/btf.hpp>
#include <xdphints/query.hpp>

namespace xdphints::detail {

using StateMap = std::array<HintState, kStateValues>;

// Raw status.<hint> value -> HintState for one BTF, by enumerator name of enum
// xdp_hints_state (the status member's own enum type when it has one). Without that
// enum in the BTF the values of xdp_hints/hints.h are used and a note is added.
Result<StateMap> state_map(const Btf &btf, uint32_t status_type_id, std::vector<std::string> &notes);

} // namespace xdphints::detail
