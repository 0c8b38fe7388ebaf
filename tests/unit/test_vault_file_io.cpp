// Durable writes, secret files, bounded reads and temp-file cleanup (platform/file_io.hpp).
// Reliability scenarios F1, F3, F4, F5, F7, F8 and security scenarios S1, S7. Every case works in
// a fresh temp directory. Cases that need the test hooks (fault injection, crash points) report
// a warning and stop in builds without -DSSOESCROW_TEST_HOOKS=ON.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.hpp"
#include "platform/file_io.hpp"
#include "platform/test_hooks.hpp"

namespace fs = std::filesystem;
using namespace ssoescrow;
using namespace ssoescrow::platform;

namespace {

using test_support::EnvGuard;
using test_support::TempDir;

class UmaskGuard {
  public:
    explicit UmaskGuard(mode_t mask) : m_old(::umask(mask)) {}
    ~UmaskGuard() { ::umask(m_old); }
    UmaskGuard(const UmaskGuard&) = delete;
    UmaskGuard& operator=(const UmaskGuard&) = delete;

  private:
    mode_t m_old;
};

unsigned mode_of(const fs::path& p) {
    struct stat st {};
    REQUIRE(::lstat(p.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

void put(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary);
    out << text;
}

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) {
        names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

std::vector<std::string> temp_names_in(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& name : names_in(dir)) {
        if (is_temp_name(name))
            names.push_back(name);
    }
    return names;
}

#define REQUIRE_HOOKS()                                                    \
    do {                                                                   \
        if (!test_hooks::k_enabled) {                                      \
            WARN("skipped: needs a build with -DSSOESCROW_TEST_HOOKS=ON"); \
            return;                                                        \
        }                                                                  \
    } while (0)

// Runs `body` in a forked child with SSOESCROW_TEST_CRASH_AT=point (set in the child only) and
// returns the child's exit status (137 when it stopped at the crash point).
template <class Body>
int run_in_child_crashing_at(const std::string& point, Body body) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::setenv("SSOESCROW_TEST_CRASH_AT", point.c_str(), 1);
        const bool ok = body();
        ::_exit(ok ? 0 : 1);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    return WEXITSTATUS(status);
}

const std::string k_old = "old content of the record\n";
const std::string k_new = "new content of the record, a little longer\n";

}  // namespace

TEST_CASE("durable write round trip, write-once and replace", "[vault][file_io]") {
    TempDir dir;
    const fs::path object = dir / "object";

    REQUIRE(write_file_durably(object, as_bytes(k_old), Overwrite::no, FinalMode::read_only));
    REQUIRE(slurp(object) == k_old);
    REQUIRE(mode_of(object) == 0400);
    Result<Bytes> back = read_file(object, 1024);
    REQUIRE(back);
    REQUIRE(std::string(back->begin(), back->end()) == k_old);

    SECTION("write-once refuses an existing name and leaves it untouched") {
        Status again =
            write_file_durably(object, as_bytes(k_new), Overwrite::no, FinalMode::read_only);
        REQUIRE_FALSE(again);
        CHECK(again.error().code == Errc::already_exists);
        CHECK_THAT(again.error().message, Catch::Contains(object.string()));
        CHECK(slurp(object) == k_old);
        CHECK(temp_names_in(dir.path()).empty());
    }
    SECTION("Overwrite::yes replaces atomically") {
        REQUIRE(write_file_durably(object, as_bytes(k_new), Overwrite::yes, FinalMode::read_write));
        CHECK(slurp(object) == k_new);
        CHECK(mode_of(object) == 0600);
        CHECK(names_in(dir.path()) == std::vector<std::string>{"object"});
    }
    SECTION("an empty record is written as an empty file") {
        REQUIRE(write_file_durably(dir / "empty", {}, Overwrite::no, FinalMode::read_write));
        CHECK(fs::file_size(dir / "empty") == 0);
    }
    SECTION("a missing directory is not_found naming the path") {
        Status missing = write_file_durably(dir / "nope" / "object", as_bytes(k_new), Overwrite::no,
                                            FinalMode::read_only);
        REQUIRE_FALSE(missing);
        CHECK(missing.error().code == Errc::not_found);
        CHECK_THAT(missing.error().message, Catch::Contains("nope"));
    }
}

TEST_CASE("a symlink or FIFO at the final name is never followed (S7)", "[vault][file_io]") {
    TempDir dir;
    const fs::path target = dir / "target";
    const fs::path link = dir / "object";
    fs::create_symlink(target, link);

    SECTION("write-once: refused, the link target is not created") {
        Status s = write_file_durably(link, as_bytes(k_new), Overwrite::no, FinalMode::read_only);
        REQUIRE_FALSE(s);
        CHECK(s.error().code == Errc::already_exists);
        CHECK_FALSE(exists_no_follow(target));
        CHECK(fs::is_symlink(link));
        CHECK(temp_names_in(dir.path()).empty());
    }
    SECTION("replace: the link itself is replaced, its target untouched") {
        put(target, k_old);
        REQUIRE(write_file_durably(link, as_bytes(k_new), Overwrite::yes, FinalMode::read_write));
        CHECK_FALSE(fs::is_symlink(link));
        CHECK(slurp(link) == k_new);
        CHECK(slurp(target) == k_old);
    }
    SECTION("secret file: refused, the link target is not created") {
        Status s = write_secret_file_exclusive(link, as_bytes(k_new));
        REQUIRE_FALSE(s);
        CHECK(s.error().code == Errc::already_exists);
        CHECK_FALSE(exists_no_follow(target));
        CHECK(fs::is_symlink(link));
    }
    SECTION("reading through a symlink is refused") {
        put(target, k_old);
        Result<Bytes> r = read_file(link, 1024);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == Errc::unsafe_permissions);
        CHECK_THAT(r.error().message, Catch::Contains("symbolic link"));
        Result<crypto::SecretBytes> secret = read_secret_file(link, 1024, RequireOwnerOnly::yes);
        REQUIRE_FALSE(secret);
        CHECK(secret.error().code == Errc::unsafe_permissions);
    }
    SECTION("appending through a symlink is refused") {
        put(target, k_old);
        Status s = append_file_durably(link, as_bytes(k_new), CreateIfMissing::yes);
        REQUIRE_FALSE(s);
        CHECK(s.error().code == Errc::unsafe_permissions);
        CHECK(slurp(target) == k_old);
    }
    SECTION("a FIFO at the final name: write-once refuses, read refuses without blocking") {
        const fs::path fifo = dir / "fifo";
        REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
        Status s = write_file_durably(fifo, as_bytes(k_new), Overwrite::no, FinalMode::read_only);
        REQUIRE_FALSE(s);
        CHECK(s.error().code == Errc::already_exists);
        Result<Bytes> r = read_file(fifo, 1024);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == Errc::io);
        CHECK_THAT(r.error().message, Catch::Contains("not a regular file"));
        Status secret = write_secret_file_exclusive(fifo, as_bytes(k_new));
        REQUIRE_FALSE(secret);
        CHECK(secret.error().code == Errc::already_exists);
    }
}

TEST_CASE("temp names are unpredictable and recognised", "[vault][file_io]") {
    CHECK(is_temp_name(".tmp-0123456789abcdef0123456789abcdef"));
    CHECK(is_temp_name(".tmp-"));
    CHECK_FALSE(is_temp_name("tmp-0123"));
    CHECK_FALSE(is_temp_name(".tmp"));
    CHECK_FALSE(is_temp_name("object.tmp-1"));
    CHECK_FALSE(is_temp_name(""));
}

TEST_CASE("modes do not depend on the umask (S1)", "[vault][file_io]") {
    for (const mode_t mask : {mode_t{0}, mode_t{022}, mode_t{077}, mode_t{0777}}) {
        CAPTURE(mask);
        TempDir dir;
        UmaskGuard umask_guard(mask);
        REQUIRE(
            write_file_durably(dir / "ro", as_bytes(k_old), Overwrite::no, FinalMode::read_only));
        CHECK(mode_of(dir / "ro") == 0400);
        REQUIRE(
            write_file_durably(dir / "rw", as_bytes(k_old), Overwrite::yes, FinalMode::read_write));
        CHECK(mode_of(dir / "rw") == 0600);
        REQUIRE(write_secret_file_exclusive(dir / "secret", as_bytes(k_old)));
        CHECK(mode_of(dir / "secret") == 0600);
        REQUIRE(append_file_durably(dir / "log", as_bytes(k_old), CreateIfMissing::yes));
        CHECK(mode_of(dir / "log") == 0600);
        REQUIRE(ensure_private_directory(dir / "sub"));
        CHECK(mode_of(dir / "sub") == 0700);
    }
}

TEST_CASE("secret files are created exclusively", "[vault][file_io]") {
    TempDir dir;
    const fs::path file = dir / "alice.key";
    crypto::SecretBytes secret = crypto::SecretBytes::copy_of(as_bytes("key material"));
    REQUIRE(write_secret_file_exclusive(file, secret));
    CHECK(slurp(file) == "key material");

    Status again = write_secret_file_exclusive(file, as_bytes("other"));
    REQUIRE_FALSE(again);
    CHECK(again.error().code == Errc::already_exists);
    CHECK_THAT(again.error().message, Catch::Contains(file.string()));
    CHECK_FALSE(again.error().hint.empty());
    CHECK(slurp(file) == "key material");
}

TEST_CASE("read_file checks its ceiling before reading and names the file", "[vault][file_io]") {
    TempDir dir;
    const fs::path file = dir / "data";
    put(file, std::string(100, 'x'));

    REQUIRE(read_file(file, 100));
    Result<Bytes> over = read_file(file, 99);
    REQUIRE_FALSE(over);
    CHECK(over.error().code == Errc::limit_exceeded);
    CHECK_THAT(over.error().message, Catch::Contains(file.string()));
    CHECK_THAT(over.error().message, Catch::Contains("100 bytes"));

    Result<Bytes> missing = read_file(dir / "missing", 100);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == Errc::not_found);
    CHECK_THAT(missing.error().message, Catch::Contains("missing"));

    Result<Bytes> directory = read_file(dir.path(), 100);
    REQUIRE_FALSE(directory);
    CHECK(directory.error().code == Errc::io);

    put(dir / "empty", "");
    Result<Bytes> empty = read_file(dir / "empty", 0);
    REQUIRE(empty);
    CHECK(empty->empty());

    Result<crypto::SecretBytes> secret_over = read_secret_file(file, 10, RequireOwnerOnly::no);
    REQUIRE_FALSE(secret_over);
    CHECK(secret_over.error().code == Errc::limit_exceeded);
}

TEST_CASE("read_secret_file refuses files other users can access", "[vault][file_io]") {
    TempDir dir;
    const fs::path file = dir / "passphrase";
    put(file, "correct horse");

    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                              fs::perms::others_read);
    Result<crypto::SecretBytes> refused = read_secret_file(file, 1024, RequireOwnerOnly::yes);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::unsafe_permissions);
    CHECK(refused.error().hint == "chmod 600 " + file.string());
    CHECK_THAT(refused.error().message, Catch::Contains("0644"));

    Result<crypto::SecretBytes> allowed = read_secret_file(file, 1024, RequireOwnerOnly::no);
    REQUIRE(allowed);
    CHECK(allowed->equals(as_bytes("correct horse")));

    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
    Result<crypto::SecretBytes> ok = read_secret_file(file, 1024, RequireOwnerOnly::yes);
    REQUIRE(ok);
    CHECK(ok->equals(as_bytes("correct horse")));
}

TEST_CASE("append_file_durably appends and creates only when asked", "[vault][file_io]") {
    TempDir dir;
    const fs::path log = dir / "audit.log";
    Status missing = append_file_durably(log, as_bytes("a\n"), CreateIfMissing::no);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == Errc::not_found);
    CHECK_FALSE(exists_no_follow(log));

    REQUIRE(append_file_durably(log, as_bytes("a\n"), CreateIfMissing::yes));
    REQUIRE(append_file_durably(log, as_bytes("b\n"), CreateIfMissing::no));
    CHECK(slurp(log) == "a\nb\n");
}

TEST_CASE("remove_stale_temp_files removes only temp files and never follows links",
          "[vault][file_io]") {
    TempDir dir;
    put(dir / ".tmp-0123456789abcdef0123456789abcdef", "partial");
    put(dir / "object", k_old);
    put(dir / "keep.tmp-x", k_old);
    put(dir / "target", k_old);
    fs::create_symlink(dir / "target", dir / ".tmp-link");
    fs::create_directory(dir / ".tmp-dir");
    put(dir / ".tmp-dir" / "inside", k_old);

    REQUIRE(remove_stale_temp_files(dir.path()));
    CHECK(names_in(dir.path()) ==
          std::vector<std::string>{".tmp-dir", "keep.tmp-x", "object", "target"});
    CHECK(slurp(dir / "target") == k_old);
    CHECK(slurp(dir / ".tmp-dir" / "inside") == k_old);

    // A missing directory is fine (nothing to clean).
    REQUIRE(remove_stale_temp_files(dir / "missing"));

    SECTION("with a minimum age, young temp files stay") {
        put(dir / ".tmp-young", "x");
        put(dir / ".tmp-old", "x");
        const struct timespec times[2] = {{0, UTIME_OMIT}, {::time(nullptr) - 7200, 0}};
        REQUIRE(::utimensat(AT_FDCWD, (dir / ".tmp-old").c_str(), times, 0) == 0);
        REQUIRE(remove_stale_temp_files(dir.path(), std::chrono::hours(1)));
        CHECK(exists_no_follow(dir / ".tmp-young"));
        CHECK_FALSE(exists_no_follow(dir / ".tmp-old"));
    }
}

TEST_CASE("ensure_private_directory creates 0700 and refuses unsafe ones", "[vault][file_io]") {
    TempDir dir;
    const fs::path sub = dir / "vault";
    REQUIRE(ensure_private_directory(sub));
    CHECK(mode_of(sub) == 0700);
    REQUIRE(ensure_private_directory(sub));  // existing and private: fine

    fs::permissions(sub, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
    Status shared = ensure_private_directory(sub);
    REQUIRE_FALSE(shared);
    CHECK(shared.error().code == Errc::unsafe_permissions);
    CHECK(shared.error().hint == "chmod 700 " + sub.string());

    fs::create_directory(dir / "real");
    fs::permissions(dir / "real", fs::perms::owner_all);
    fs::create_directory_symlink(dir / "real", dir / "link");
    Status link = ensure_private_directory(dir / "link");
    REQUIRE_FALSE(link);
    CHECK(link.error().code == Errc::unsafe_permissions);
    CHECK_THAT(link.error().message, Catch::Contains("symbolic link"));

    put(dir / "file", "x");
    Status file = ensure_private_directory(dir / "file");
    REQUIRE_FALSE(file);
    CHECK(file.error().code == Errc::already_exists);

    Status no_parent = ensure_private_directory(dir / "a" / "b");
    REQUIRE_FALSE(no_parent);
    CHECK(no_parent.error().code == Errc::not_found);
}

TEST_CASE("remove_file_durably removes and reports a missing file", "[vault][file_io]") {
    TempDir dir;
    put(dir / "x", "1");
    REQUIRE(remove_file_durably(dir / "x"));
    CHECK_FALSE(exists_no_follow(dir / "x"));
    Status again = remove_file_durably(dir / "x");
    REQUIRE_FALSE(again);
    CHECK(again.error().code == Errc::not_found);
}

TEST_CASE("errno values map to specific errors that name the file", "[vault][file_io]") {
    const fs::path f = "/vault/object";
    struct Case {
        int err;
        Errc code;
        const char* text;
    };
    const Case cases[] = {
        {ENOSPC, Errc::no_space, "no space left"},
        {EDQUOT, Errc::no_space, "no space left"},
        {EROFS, Errc::read_only, "read-only"},
        {EACCES, Errc::io, "permission denied"},
        {EPERM, Errc::io, "permission denied"},
        {ENOENT, Errc::not_found, "no such file"},
        {EEXIST, Errc::already_exists, "already exists"},
        {ELOOP, Errc::unsafe_permissions, "symbolic link"},
        {EIO, Errc::io, "Input/output error"},
    };
    for (const Case& c : cases) {
        CAPTURE(c.err);
        const Error e = file_error(std::error_code(c.err, std::generic_category()), "write", f);
        CHECK(e.code == c.code);
        CHECK_THAT(e.message, Catch::Contains("/vault/object"));
        CHECK_THAT(e.message, Catch::Contains(c.text, Catch::CaseSensitive::No));
        CHECK_FALSE(e.hint.empty());
    }
}

// --- Fault injection (test hooks) ---

TEST_CASE("injected ENOSPC and EIO leave no final and no temp file (F5, F8)",
          "[vault][file_io][hooks]") {
    REQUIRE_HOOKS();
    TempDir dir;
    const fs::path object = dir / "object";

    struct Case {
        const char* fault;
        Errc code;
    };
    const Case cases[] = {
        {"enospc:write", Errc::no_space}, {"edquot:write", Errc::no_space},
        {"eio:write", Errc::io},          {"eio:fsync", Errc::io},
        {"enospc:open", Errc::no_space},  {"erofs:open", Errc::read_only},
        {"eacces:open", Errc::io},        {"eio:rename", Errc::io},
        {"eio:fsync-dir", Errc::io},      {"enospc:fsync", Errc::no_space},
    };
    for (const Case& c : cases) {
        CAPTURE(c.fault);
        SECTION(std::string("write-once with ") + c.fault) {
            EnvGuard fault("SSOESCROW_TEST_FAULT", c.fault);
            Status s =
                write_file_durably(object, as_bytes(k_new), Overwrite::no, FinalMode::read_only);
            REQUIRE_FALSE(s);
            CHECK(s.error().code == c.code);
            CHECK_THAT(s.error().message, Catch::Contains(dir.path().string()));
            CHECK(names_in(dir.path()).empty());
        }
        SECTION(std::string("replace with ") + c.fault) {
            put(object, k_old);
            EnvGuard fault("SSOESCROW_TEST_FAULT", c.fault);
            Status s =
                write_file_durably(object, as_bytes(k_new), Overwrite::yes, FinalMode::read_write);
            REQUIRE_FALSE(s);
            CHECK(s.error().code == c.code);
            CHECK(names_in(dir.path()) == std::vector<std::string>{"object"});
            // A fault after the rename (fsync of the directory) may leave the new content; any
            // earlier one leaves the old content. Never anything torn.
            const std::string now = slurp(object);
            if (std::string(c.fault) == "eio:fsync-dir") {
                CHECK(now == k_new);
            } else {
                CHECK(now == k_old);
            }
        }
        // write_secret_file_exclusive has no rename step.
        if (std::string(c.fault) == "eio:rename")
            continue;
        SECTION(std::string("secret file with ") + c.fault) {
            EnvGuard fault("SSOESCROW_TEST_FAULT", c.fault);
            Status s = write_secret_file_exclusive(object, as_bytes(k_new));
            REQUIRE_FALSE(s);
            CHECK(s.error().code == c.code);
            CHECK(names_in(dir.path()).empty());
        }
    }
}

TEST_CASE("an fsync failure is fatal and its hint says nothing was committed",
          "[vault][file_io][hooks]") {
    REQUIRE_HOOKS();
    TempDir dir;
    EnvGuard fault("SSOESCROW_TEST_FAULT", "eio:fsync");
    Status s =
        write_file_durably(dir / "object", as_bytes(k_new), Overwrite::no, FinalMode::read_only);
    REQUIRE_FALSE(s);
    CHECK(s.error().code == Errc::io);
    CHECK_THAT(s.error().message, Catch::Contains("fsync"));
    CHECK_THAT(s.error().hint, Catch::Contains("nothing was committed"));
    // The fault fires once: the next attempt succeeds (no retry loop inside the write itself).
    REQUIRE(
        write_file_durably(dir / "object", as_bytes(k_new), Overwrite::no, FinalMode::read_only));
}

TEST_CASE("EINTR on write is retried and the N-th call can be targeted",
          "[vault][file_io][hooks]") {
    REQUIRE_HOOKS();
    TempDir dir;
    {
        EnvGuard fault("SSOESCROW_TEST_FAULT", "eintr:write");
        REQUIRE(
            write_file_durably(dir / "a", as_bytes(k_new), Overwrite::no, FinalMode::read_only));
        CHECK(slurp(dir / "a") == k_new);
    }
    {
        // The second fsync of this run fails: the first write succeeds, the second does not.
        EnvGuard fault("SSOESCROW_TEST_FAULT", "eio:fsync:2");
        REQUIRE(
            write_file_durably(dir / "b", as_bytes(k_new), Overwrite::no, FinalMode::read_only));
        Status second =
            write_file_durably(dir / "c", as_bytes(k_new), Overwrite::no, FinalMode::read_only);
        REQUIRE_FALSE(second);
        CHECK_FALSE(exists_no_follow(dir / "c"));
    }
}

TEST_CASE("write-once falls back to link() where RENAME_NOREPLACE is missing",
          "[vault][file_io][hooks]") {
    REQUIRE_HOOKS();
    TempDir dir;
    EnvGuard fault("SSOESCROW_TEST_FAULT", "einval:rename-noreplace,einval:rename-noreplace:2");
    REQUIRE(
        write_file_durably(dir / "object", as_bytes(k_old), Overwrite::no, FinalMode::read_only));
    CHECK(names_in(dir.path()) == std::vector<std::string>{"object"});
    CHECK(slurp(dir / "object") == k_old);
    Status again =
        write_file_durably(dir / "object", as_bytes(k_new), Overwrite::no, FinalMode::read_only);
    REQUIRE_FALSE(again);
    CHECK(again.error().code == Errc::already_exists);
    CHECK(slurp(dir / "object") == k_old);
    CHECK(names_in(dir.path()) == std::vector<std::string>{"object"});
}

TEST_CASE("a failed append is cut back so no torn record remains (F5, F8)",
          "[vault][file_io][hooks]") {
    REQUIRE_HOOKS();
    TempDir dir;
    const fs::path log = dir / "audit.log";
    REQUIRE(append_file_durably(log, as_bytes("first\n"), CreateIfMissing::yes));
    for (const char* f : {"enospc:write", "eio:fsync"}) {
        CAPTURE(f);
        EnvGuard fault("SSOESCROW_TEST_FAULT", f);
        Status s = append_file_durably(log, as_bytes("second\n"), CreateIfMissing::no);
        REQUIRE_FALSE(s);
        CHECK(slurp(log) == "first\n");
    }
    EnvGuard fault("SSOESCROW_TEST_FAULT", "enospc:write");
    Status created = append_file_durably(dir / "new.log", as_bytes("x\n"), CreateIfMissing::yes);
    REQUIRE_FALSE(created);
    CHECK(created.error().code == Errc::no_space);
    CHECK_FALSE(exists_no_follow(dir / "new.log"));
}

TEST_CASE("injected EROFS: the write fails as read-only and reading still works (F7)",
          "[vault][file_io][hooks]") {
    REQUIRE_HOOKS();
    TempDir dir;
    put(dir / "existing", k_old);
    EnvGuard fault("SSOESCROW_TEST_FAULT", "erofs:open");
    Status s =
        write_file_durably(dir / "object", as_bytes(k_new), Overwrite::no, FinalMode::read_only);
    REQUIRE_FALSE(s);
    CHECK(s.error().code == Errc::read_only);
    CHECK_THAT(s.error().message, Catch::Contains("read-only"));
    REQUIRE(read_file(dir / "existing", 1024));
    CHECK(names_in(dir.path()) == std::vector<std::string>{"existing"});
}

// --- Crash points (F1, F3) ---

TEST_CASE("a crash at any point of a write-once commit leaves no partial file (F1)",
          "[vault][file_io][hooks]") {
    REQUIRE_HOOKS();
    struct Case {
        const char* point;
        const char* fault;  // forces the link() fallback for its crash points
        bool final_exists;
        bool temp_left;
    };
    const Case cases[] = {
        {"after-temp-create", "", false, true},
        {"after-temp-write", "", false, true},
        {"after-fsync", "", false, true},
        {"after-rename", "", true, false},
        {"after-fsync-dir", "", true, false},
        {"after-link", "einval:rename-noreplace", true, true},
        {"after-temp-unlink", "einval:rename-noreplace", true, false},
    };
    const std::string payload(100000, 'e');
    for (const Case& c : cases) {
        CAPTURE(c.point);
        TempDir dir;
        const fs::path object = dir / "envelope";
        const int code = run_in_child_crashing_at(c.point, [&] {
            if (*c.fault != '\0')
                ::setenv("SSOESCROW_TEST_FAULT", c.fault, 1);
            return write_file_durably(object, as_bytes(payload), Overwrite::no,
                                      FinalMode::read_only)
                .ok();
        });
        REQUIRE(code == 137);
        CHECK(exists_no_follow(object) == c.final_exists);
        if (c.final_exists)
            CHECK(slurp(object) == payload);  // complete, never partial
        CHECK(temp_names_in(dir.path()).size() == (c.temp_left ? 1u : 0u));

        // The next writer cleans up and can write.
        REQUIRE(remove_stale_temp_files(dir.path()));
        CHECK(temp_names_in(dir.path()).empty());
        if (!c.final_exists) {
            REQUIRE(
                write_file_durably(object, as_bytes(payload), Overwrite::no, FinalMode::read_only));
        }
        CHECK(slurp(object) == payload);
    }
}

TEST_CASE("a crash while replacing a record leaves the old or the new content (F3)",
          "[vault][file_io][hooks]") {
    REQUIRE_HOOKS();
    for (const char* point : {"after-temp-create", "after-temp-write", "after-fsync",
                              "after-rename", "after-fsync-dir"}) {
        CAPTURE(point);
        TempDir dir;
        const fs::path config = dir / "config";
        put(config, k_old);
        const int code = run_in_child_crashing_at(point, [&] {
            return write_file_durably(config, as_bytes(k_new), Overwrite::yes,
                                      FinalMode::read_write)
                .ok();
        });
        REQUIRE(code == 137);
        const std::string now = slurp(config);
        const bool renamed =
            std::string(point) == "after-rename" || std::string(point) == "after-fsync-dir";
        CHECK(now == (renamed ? k_new : k_old));
    }
}

TEST_CASE("two crashed writers leave different, unpredictable temp names",
          "[vault][file_io][hooks]") {
    REQUIRE_HOOKS();
    TempDir dir;
    for (int i = 0; i < 2; ++i) {
        REQUIRE(run_in_child_crashing_at("after-temp-write", [&] {
                    return write_file_durably(dir / "object", as_bytes(k_new), Overwrite::no,
                                              FinalMode::read_only)
                        .ok();
                }) == 137);
    }
    const auto temps = temp_names_in(dir.path());
    REQUIRE(temps.size() == 2);
    CHECK(temps[0] != temps[1]);
    for (const auto& name : temps)
        CHECK(name.size() == k_temp_prefix.size() + 32);
}

TEST_CASE("crash points count occurrences: NAME:N stops at the N-th", "[vault][file_io][hooks]") {
    REQUIRE_HOOKS();
    TempDir dir;
    const int code = run_in_child_crashing_at("after-fsync-dir:2", [&] {
        return write_file_durably(dir / "one", as_bytes(k_new), Overwrite::no, FinalMode::read_only)
                   .ok() &&
               write_file_durably(dir / "two", as_bytes(k_new), Overwrite::no, FinalMode::read_only)
                   .ok() &&
               write_file_durably(dir / "three", as_bytes(k_new), Overwrite::no,
                                  FinalMode::read_only)
                   .ok();
    });
    REQUIRE(code == 137);
    CHECK(names_in(dir.path()) == std::vector<std::string>{"one", "two"});
}

// --- Real filesystems: a 64 KiB tmpfs (ENOSPC) and a read-only remount (needs CAP_SYS_ADMIN) ---

TEST_CASE("a real full filesystem gives no_space and leaves nothing behind (F5)",
          "[vault][file_io][mount]") {
    TempDir dir;
    const fs::path mnt = dir / "small";
    fs::create_directory(mnt);
    if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=64k,mode=0700") != 0) {
        WARN("skipped: cannot mount a tmpfs here (" << std::strerror(errno) << ")");
        return;
    }
    struct Unmount {
        fs::path p;
        ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
    } unmount{mnt};

    REQUIRE(
        write_file_durably(mnt / "small", as_bytes(k_old), Overwrite::no, FinalMode::read_only));
    const std::string big(256 * 1024, 'b');
    Status s = write_file_durably(mnt / "big", as_bytes(big), Overwrite::no, FinalMode::read_only);
    REQUIRE_FALSE(s);
    CHECK(s.error().code == Errc::no_space);
    CHECK_THAT(s.error().message, Catch::Contains("no space left"));
    CHECK(names_in(mnt) == std::vector<std::string>{"small"});
    CHECK(slurp(mnt / "small") == k_old);

    Status secret = write_secret_file_exclusive(mnt / "key", as_bytes(big));
    REQUIRE_FALSE(secret);
    CHECK(secret.error().code == Errc::no_space);
    CHECK(names_in(mnt) == std::vector<std::string>{"small"});

    // Read-only remount: writes fail as read_only, reads work.
    if (::mount("tmpfs", mnt.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, "size=64k,mode=0700") != 0) {
        WARN("read-only remount not permitted here (" << std::strerror(errno) << ")");
        return;
    }
    Status ro =
        write_file_durably(mnt / "other", as_bytes(k_new), Overwrite::no, FinalMode::read_only);
    REQUIRE_FALSE(ro);
    CHECK(ro.error().code == Errc::read_only);
    Status ro_secret = write_secret_file_exclusive(mnt / "key", as_bytes(k_new));
    REQUIRE_FALSE(ro_secret);
    CHECK(ro_secret.error().code == Errc::read_only);
    Result<Bytes> readable = read_file(mnt / "small", 1024);
    REQUIRE(readable);
    CHECK(std::string(readable->begin(), readable->end()) == k_old);
    REQUIRE(remove_stale_temp_files(mnt));  // nothing to remove: no write attempted
}

// --- Syscall order (F4), checked with strace when it is available ---

TEST_CASE("durable write child for strace", "[.strace-child]") {
    const char* dir = std::getenv("SSOESCROW_STRACE_DIR");
    if (dir == nullptr)
        return;
    REQUIRE(write_file_durably(fs::path(dir) / "object", as_bytes(k_new), Overwrite::no,
                               FinalMode::read_only));
}

TEST_CASE("syscall order is write, fsync(file), rename, fsync(dir) (F4)", "[vault][file_io]") {
    if (std::system("strace -o /dev/null true >/dev/null 2>&1") != 0) {
        WARN("skipped: strace is not installed or not permitted");
        return;
    }
    TempDir dir;
    const fs::path work = dir / "vault";
    fs::create_directory(work);
    const fs::path trace = dir / "trace";
    const fs::path self = fs::read_symlink("/proc/self/exe");
    const std::string command =
        "SSOESCROW_STRACE_DIR='" + work.string() +
        "' ASAN_OPTIONS=detect_leaks=0 strace -f -qq -s 256 -o '" + trace.string() +
        "' -e trace=openat,write,fsync,fdatasync,rename,renameat,renameat2,link,linkat,close '" +
        self.string() + "' '[.strace-child]' >/dev/null 2>&1";
    REQUIRE(std::system(command.c_str()) == 0);

    std::ifstream in(trace);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    REQUIRE_FALSE(lines.empty());

    auto index_of = [&](std::size_t from, auto pred) -> std::size_t {
        for (std::size_t i = from; i < lines.size(); ++i) {
            if (pred(lines[i]))
                return i;
        }
        return lines.size();
    };
    auto has = [](const std::string& line, const std::string& text) {
        return line.find(text) != std::string::npos;
    };
    // openat(AT_FDCWD, ".../vault/.tmp-...", O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0600) =
    // 3
    const std::size_t open_temp = index_of(0, [&](const std::string& l) {
        return has(l, "openat(") && has(l, "/vault/.tmp-") && has(l, "O_EXCL") &&
               has(l, "O_NOFOLLOW");
    });
    REQUIRE(open_temp < lines.size());
    const std::string fd = lines[open_temp].substr(lines[open_temp].rfind("= ") + 2);
    const std::size_t write =
        index_of(open_temp, [&](const std::string& l) { return has(l, "write(" + fd + ","); });
    const std::size_t fsync_file =
        index_of(write, [&](const std::string& l) { return has(l, "fsync(" + fd + ")"); });
    const std::size_t rename = index_of(fsync_file, [&](const std::string& l) {
        return (has(l, "rename") || has(l, "link")) && has(l, "/vault/object");
    });
    const std::size_t open_dir = index_of(rename, [&](const std::string& l) {
        return has(l, "openat(") && has(l, "/vault\"") && has(l, "O_DIRECTORY");
    });
    REQUIRE(open_dir < lines.size());
    const std::string dir_fd = lines[open_dir].substr(lines[open_dir].rfind("= ") + 2);
    const std::size_t fsync_dir =
        index_of(open_dir, [&](const std::string& l) { return has(l, "fsync(" + dir_fd + ")"); });
    CHECK(write < fsync_file);
    CHECK(fsync_file < rename);
    CHECK(rename < open_dir);
    CHECK(fsync_dir < lines.size());
}
