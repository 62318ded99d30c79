// xdp-hints probe IFNAME: the driver, the hook that would be chosen, the hint fields it
// writes (by the names in the hint structs, from the hook's BTF after the verifier accepted
// it on this interface).
#include "commands.hpp"

#include <xdphints/hook.hpp>
#include <xdphints/layout.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <set>

namespace xdphints::cli {

int cmd_probe(const ProbeArgs &a)
{
	auto drv = driver_of(a.ifname);
	if (!drv) {
		std::fprintf(stderr, "xdp-hints probe: %s\n", drv.error().message.c_str());
		return 1;
	}
	std::string hook = std::string(hook_for_driver(*drv));
	HookOptions ho;
	ho.ifname = a.ifname;
	auto loaded = Hook::load(ho);
	nlohmann::json j{{"ifname", a.ifname}, {"driver", *drv}, {"hook", hook}};
	std::set<std::string> fields;
	if (loaded) {
		if (auto ls = loaded->layouts())
			for (auto &l : *ls)
				for (auto &f : l.fields)
					if (f.name.rfind("rx_", 0) == 0)
						fields.insert(f.name);
		j["verifier"] = "accepted";
	} else {
		j["verifier"] = loaded.error().message;
	}
	j["fields"] = fields;
	if (a.json) {
		std::printf("%s\n", j.dump().c_str());
	} else {
		std::printf("interface %s\ndriver    %s\nhook      %s\nverifier  %s\nfields   ", a.ifname.c_str(),
			    drv->c_str(), hook.c_str(), j["verifier"].get<std::string>().c_str());
		for (auto &f : fields)
			std::printf(" %s", f.c_str());
		std::printf("\n");
	}
	return loaded ? 0 : 1;
}

} // namespace xdphints::cli
