// The parts of platform/file_io.hpp that behave the same on every system: file status without
// following links, bounded reads, the append-only log, private temp directories, wiping, the
// wording of file-system errors. Built on POSIX and Windows alike (system-specific cases:
// tests/unit/posix, tests/unit/windows).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

#include "platform/directories.hpp"
#include "platform/file_io.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace ssoescrow;
using namespace ssoescrow::platform;

namespace {

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

}  // namespace

TEST_CASE("platform: file status tells missing, regular and directory apart", "[platform]") {
    test_support::TempDir dir;
    auto missing = file_status(dir.path() / "none");
    REQUIRE(missing);
    CHECK(missing->kind == FileKind::missing);
    auto missing_parent = file_status(dir.path() / "none" / "deeper");
    REQUIRE(missing_parent);
    CHECK(missing_parent->kind == FileKind::missing);
    CHECK_FALSE(exists_no_follow(dir.path() / "none"));

    put(dir.path() / "f", "12345");
    auto regular = file_status(dir.path() / "f");
    REQUIRE(regular);
    CHECK(regular->kind == FileKind::regular);
    CHECK(regular->size == 5);
    CHECK(regular->owned_by_current_user);
    CHECK(regular->last_write > std::chrono::system_clock::now() - std::chrono::hours(1));
    CHECK(exists_no_follow(dir.path() / "f"));

    auto directory = file_status(dir.path());
    REQUIRE(directory);
    CHECK(directory->kind == FileKind::directory);
    CHECK_FALSE(directory->others_may_replace_entries);
}

TEST_CASE("platform: bounded read of a regular file", "[platform]") {
    test_support::TempDir dir;
    put(dir.path() / "in.json", "{\"a\": 1}");
    auto text = read_regular_file_bounded(dir.path() / "in.json", 100);
    REQUIRE(text);
    CHECK(*text == "{\"a\": 1}");

    std::uint64_t size = 0;
    auto big = read_regular_file_bounded(dir.path() / "in.json", 4, &size);
    REQUIRE_FALSE(big);
    CHECK(big.error().code == Errc::limit_exceeded);
    CHECK(size == 8);

    auto missing = read_regular_file_bounded(dir.path() / "none.json", 100);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == Errc::not_found);

    auto directory = read_regular_file_bounded(dir.path(), 100);
    REQUIRE_FALSE(directory);
    CHECK(directory.error().code == Errc::io);
    CHECK_THAT(directory.error().message, Catch::Contains("not a regular file"));
}

TEST_CASE("platform: the append-only log adds whole lines", "[platform]") {
    test_support::TempDir dir;
    const fs::path log = dir.path() / "job.log";
    {
        auto opened = AppendOnlyFile::open(log);
        REQUIRE(opened);
        REQUIRE(opened->append("one\n"));
        REQUIRE(opened->append("two\n"));
    }
    {
        auto again = AppendOnlyFile::open(log);
        REQUIRE(again);
        REQUIRE(again->append("three\n"));
    }
    CHECK(slurp(log) == "one\ntwo\nthree\n");

    auto directory = AppendOnlyFile::open(dir.path());
    REQUIRE_FALSE(directory);
    CHECK((directory.error().code == Errc::invalid_argument || directory.error().code == Errc::io));

    auto missing_dir = AppendOnlyFile::open(dir.path() / "none" / "job.log", "open the JSON log");
    REQUIRE_FALSE(missing_dir);
    CHECK(missing_dir.error().code == Errc::not_found);
    CHECK_THAT(missing_dir.error().message, Catch::Contains("cannot open the JSON log"));
}

TEST_CASE("platform: private temp directories, wiping and removal", "[platform]") {
    test_support::TempDir dir;
    auto first = create_private_temp_directory(dir.path(), "scratch-1-");
    auto second = create_private_temp_directory(dir.path(), "scratch-1-");
    REQUIRE(first);
    REQUIRE(second);
    CHECK(*first != *second);
    CHECK(first->filename().string().rfind("scratch-1-", 0) == 0);
    CHECK(fs::is_directory(*first));
    // A private directory is what ensure_private_directory accepts as it is.
    CHECK(ensure_private_directory(*first));

    const fs::path secret = *first / "entsso.bak";
    put(secret, std::string(10000, 'S'));
    REQUIRE(overwrite_and_remove_file(secret));
    CHECK_FALSE(fs::exists(secret));
    CHECK(overwrite_and_remove_file(secret));  // missing: not an error

    REQUIRE(remove_empty_directory(*first));
    CHECK_FALSE(fs::exists(*first));
    auto again = remove_empty_directory(*first);
    REQUIRE_FALSE(again);
    CHECK(again.error().code == Errc::not_found);

    auto no_parent = create_private_temp_directory(dir.path() / "none", "x-");
    REQUIRE_FALSE(no_parent);
    CHECK(no_parent.error().code == Errc::not_found);
}

TEST_CASE("platform: secret files round trip owner-only", "[platform]") {
    test_support::TempDir dir;
    const fs::path key = dir.path() / "id.key";
    REQUIRE(write_secret_file_exclusive(key, as_bytes(std::string("AGE-SECRET-KEY-1"))));
    auto read = read_secret_file(key, 100, RequireOwnerOnly::yes);
    REQUIRE(read);
    CHECK(read->size() == 16);
    auto again = write_secret_file_exclusive(key, as_bytes(std::string("other")));
    REQUIRE_FALSE(again);
    CHECK(again.error().code == Errc::already_exists);
}

TEST_CASE("platform: file-system errors are worded by their meaning", "[platform]") {
    const fs::path file = "some/file";
    struct Case {
        std::errc errc;
        Errc code;
    };
    for (const Case& c : {Case{std::errc::no_space_on_device, Errc::no_space},
                          Case{std::errc::read_only_file_system, Errc::read_only},
                          Case{std::errc::permission_denied, Errc::io},
                          Case{std::errc::no_such_file_or_directory, Errc::not_found},
                          Case{std::errc::file_exists, Errc::already_exists}}) {
        const Error e = file_error(std::make_error_code(c.errc), "list", file);
        CHECK(e.code == c.code);
        CHECK_THAT(e.message, Catch::StartsWith("cannot list some"));
        CHECK_FALSE(e.hint.empty());
    }
}

TEST_CASE("platform: well-known directories", "[platform]") {
    auto temp = temp_directory();
    REQUIRE(temp);
    CHECK(fs::is_directory(*temp));
    auto state = default_state_root();
    if (state)
        CHECK(state->filename() == "ssoescrow");
    else
        CHECK(state.error().code == Errc::not_found);
}
