#include <xdphints/edge/dwarf_btf.hpp>
#include <xdphints/edge/error.hpp>
#include <xdphints/edge/memfd.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char **environ;

namespace xdphints::edge {

namespace {

// Everything written to `fd` (a memfd), from its start.
Result<std::vector<char>> contents(int fd, const std::string &what)
{
	struct stat st {};
	if (fstat(fd, &st) != 0)
		return sys_error(errno, Op::memfd, "size of " + what);
	std::vector<char> buf(size_t(st.st_size));
	for (size_t done = 0; done < buf.size();) {
		ssize_t n = pread(fd, buf.data() + done, buf.size() - done, off_t(done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return sys_error(n < 0 ? errno : EIO, Op::memfd, "read " + what);
		done += size_t(n);
	}
	return buf;
}

struct SpawnActions {
	posix_spawn_file_actions_t fa;
	SpawnActions() { posix_spawn_file_actions_init(&fa); }
	~SpawnActions() { posix_spawn_file_actions_destroy(&fa); }
	SpawnActions(const SpawnActions &) = delete;
	SpawnActions &operator=(const SpawnActions &) = delete;
};

} // namespace

Result<Btf> btf_from_dwarf(const std::string &elf_path)
{
	// pahole writes the BTF to its stdout and says why it failed on stderr: both memfds.
	auto out = memfd("pahole-btf");
	if (!out)
		return out.error();
	auto err = memfd("pahole-stderr");
	if (!err)
		return err.error();
	SpawnActions a;
	posix_spawn_file_actions_addopen(&a.fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&a.fa, out->get(), 1);
	posix_spawn_file_actions_adddup2(&a.fa, err->get(), 2);
	// Its own fd 1 by /proc: /dev/stdout is a symlink only where udev or an init made it (a
	// bare devtmpfs has none, and pahole would create a file there instead).
	std::string detached = "--btf_encode_detached=/proc/self/fd/1";
	std::string path = elf_path;
	char *argv[] = {const_cast<char *>("pahole"), detached.data(), path.data(), nullptr};
	pid_t pid = 0;
	if (int rc = posix_spawnp(&pid, "pahole", &a.fa, nullptr, argv, environ)) {
		if (rc == ENOENT)
			return Error::detected(Errc::unsupported,
					       "pahole is not installed: it reads the DWARF of " + elf_path,
					       "install dwarves (apt install dwarves), or pass the layout's BTF with --layout-btf FILE");
		return Error::from_errno(rc, "run pahole on " + elf_path, "check that pahole (dwarves) runs: pahole --version");
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return Error::from_errno(errno, "wait for pahole on " + elf_path, "report this");
	auto said = contents(err->get(), "pahole's messages");
	std::string msg = said ? std::string(said->begin(), said->end()) : std::string();
	while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' '))
		msg.pop_back();
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return Error::detected(Errc::invalid_argument,
				       "pahole could not read the DWARF of " + elf_path + (msg.empty() ? "" : ": " + msg),
				       "check that it is an ELF object built with clang -g");
	auto bytes = contents(out->get(), "pahole's BTF");
	if (!bytes)
		return bytes.error();
	// pahole succeeds with no output when the file has no DWARF.
	if (bytes->empty())
		return Error::detected(Errc::not_found,
				       "no DWARF in " + elf_path + " (built without -g, or stripped)" +
					       (msg.empty() ? "" : "; pahole said: " + msg),
				       "build it with clang -g, or pass the layout's BTF with --layout-btf FILE (raw BTF, or "
				       "an object built with -g)");
	auto btf = Btf::from_bytes(bytes->data(), bytes->size());
	if (!btf)
		return Error(btf.error().code, "the BTF pahole made from " + elf_path + ": " + btf.error().message);
	return btf->with_origin("DWARF of " + elf_path);
}

} // namespace xdphints::edge
