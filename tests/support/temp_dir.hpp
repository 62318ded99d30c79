#pragma once
// A directory under /tmp for one test's files, removed with everything in it on destruction.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace xdphints::test {

struct TempDir {
	std::filesystem::path path;
	// prefix: names the test's files in /tmp, e.g. "xh-bpf" -> /tmp/xh-bpf-XXXXXX.
	explicit TempDir(const std::string &prefix)
	{
		std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
		REQUIRE(mkdtemp(tmpl.data()));
		path = tmpl;
	}
	~TempDir() { std::filesystem::remove_all(path); }
	TempDir(const TempDir &) = delete;
	TempDir &operator=(const TempDir &) = delete;
};

} // namespace xdphints::test
