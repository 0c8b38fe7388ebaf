// POSIX-only behaviour of platform/file_io.hpp: FIFOs refused without blocking, symbolic links
// reported as themselves, modes 0700/0400 of a new vault, world-writable directories.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "platform/file_io.hpp"
#include "platform/secret_input.hpp"
#include "test_support.hpp"
#include "test_vault_layout_support.hpp"

namespace fs = std::filesystem;
using namespace ssoescrow;

namespace {

unsigned mode_of(const fs::path& p) {
    struct stat st {};
    REQUIRE(::lstat(p.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("platform posix: a FIFO is refused, never waited on", "[platform][posix]") {
    test_support::TempDir dir;
    const fs::path fifo = dir.path() / "fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    // Every reader of an input file says the same thing (Errc::io, exit 5), naming the file.
    const std::string what = fifo.string() + " is a FIFO (named pipe), not a regular file";
    auto read = platform::read_regular_file_bounded(fifo, 100);
    REQUIRE_FALSE(read);
    CHECK(read.error().code == Errc::io);
    CHECK(read.error().message == what);
    CHECK(read.error().hint == "give the path of a regular file");
    auto bytes = platform::read_file(fifo, 100);
    REQUIRE_FALSE(bytes);
    CHECK(bytes.error().code == Errc::io);
    CHECK(bytes.error().message == what);
    auto secret = platform::read_secret_file(fifo, 100, platform::RequireOwnerOnly::yes);
    REQUIRE_FALSE(secret);
    CHECK(secret.error().message == what);
    // The passphrase and password files (--passphrase-file, --password-file) too: no writer
    // ever comes, so a blocking open would never return.
    auto passphrase = platform::read_owner_only_secret_file(fifo.string(), 100);
    REQUIRE_FALSE(passphrase);
    CHECK(passphrase.error().code == Errc::io);
    CHECK(passphrase.error().message == what);
    auto log = platform::AppendOnlyFile::open(fifo);
    REQUIRE_FALSE(log);
    // No reader: O_NONBLOCK makes the open fail at once (ENXIO) instead of blocking.
    CHECK(log.error().code == Errc::io);
    auto status = platform::file_status(fifo);
    REQUIRE(status);
    CHECK(status->kind == platform::FileKind::other);
}

TEST_CASE("platform posix: a directory as an input file is the same refusal everywhere",
          "[platform][posix]") {
    test_support::TempDir dir;
    const std::string what = dir.path().string() + " is a directory, not a regular file";
    auto bytes = platform::read_file(dir.path(), 100);
    REQUIRE_FALSE(bytes);
    CHECK(bytes.error().code == Errc::io);
    CHECK(bytes.error().message == what);
    auto passphrase = platform::read_owner_only_secret_file(dir.path().string(), 100);
    REQUIRE_FALSE(passphrase);
    CHECK(passphrase.error().code == Errc::io);
    CHECK(passphrase.error().message == what);
    auto inventory = platform::read_regular_file_bounded(dir.path(), 100);
    REQUIRE_FALSE(inventory);
    CHECK(inventory.error().message == what);
}

TEST_CASE("platform posix: symbolic links are reported, not followed", "[platform][posix]") {
    test_support::TempDir dir;
    const fs::path target = dir.path() / "target";
    std::ofstream(target) << "x";
    REQUIRE(::symlink(target.c_str(), (dir.path() / "link").c_str()) == 0);
    REQUIRE(::symlink((dir.path() / "nowhere").c_str(), (dir.path() / "dangling").c_str()) == 0);
    auto link = platform::file_status(dir.path() / "link");
    REQUIRE(link);
    CHECK(link->kind == platform::FileKind::symlink);
    CHECK(platform::exists_no_follow(dir.path() / "dangling"));
    auto log = platform::AppendOnlyFile::open(dir.path() / "link");
    REQUIRE_FALSE(log);
    CHECK(log.error().code == Errc::unsafe_permissions);
    // Wiping a link removes the link only.
    REQUIRE(platform::overwrite_and_remove_file(dir.path() / "link"));
    CHECK_FALSE(platform::exists_no_follow(dir.path() / "link"));
    CHECK(fs::file_size(target) == 1);
}

TEST_CASE("platform posix: world-writable directories without the sticky bit",
          "[platform][posix]") {
    test_support::TempDir dir;
    const fs::path open_dir = dir.path() / "open";
    fs::create_directory(open_dir);
    REQUIRE(::chmod(open_dir.c_str(), 0777) == 0);
    auto status = platform::file_status(open_dir);
    REQUIRE(status);
    CHECK(status->others_may_replace_entries);
    REQUIRE(::chmod(open_dir.c_str(), 01777) == 0);
    status = platform::file_status(open_dir);
    REQUIRE(status);
    CHECK_FALSE(status->others_may_replace_entries);
}

TEST_CASE("platform posix: private temp directories are mode 0700", "[platform][posix]") {
    test_support::TempDir dir;
    const mode_t old = ::umask(0);
    auto created = platform::create_private_temp_directory(dir.path(), "p-");
    ::umask(old);
    REQUIRE(created);
    CHECK(mode_of(*created) == 0700);
}

TEST_CASE("vault init gives the vault mode 0700 and its config 0400", "[vault][layout][posix]") {
    vault_test::TempDir tmp;
    const vault_test::Custodians custodians = vault_test::make_custodians(2, 3);
    const fs::path dir = tmp.path() / "vault";
    (void)vault_test::make_vault(dir, custodians.policy);
    CHECK(mode_of(dir) == 0700);
    CHECK(mode_of(dir / "config") == 0400);
}
