// Backups are named by their id or, as git names commits, by a unique prefix of it.
#include <catch2/catch.hpp>

#include <string>

#include "src/restore/backup_choice.hpp"

using namespace ssoescrow;

namespace {

vault::Catalog catalog_of(std::initializer_list<std::string> ids) {
    vault::Catalog catalog;
    vault::UnixTime created = 1795000000;
    for (const std::string& id : ids) {
        vault::CatalogEntry entry;
        entry.backup_id = id;
        entry.created = created += 86400;
        entry.state = vault::BackupState::verified;
        catalog.entries.push_back(entry);
    }
    return catalog;
}

}  // namespace

TEST_CASE("backups by id prefix: unique prefixes, ambiguity lists the candidates", "[restore]") {
    const std::string first = "6f1c0d3e9a8b4c2d1e0f5a6b7c8d9e0f";
    const std::string second = "6f1c77aa9a8b4c2d1e0f5a6b7c8d9e01";
    const std::string third = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
    const vault::Catalog catalog = catalog_of({first, second, third});

    auto full = restore::find_backup(catalog, first, "V");
    REQUIRE(full.ok());
    CHECK((*full)->backup_id == first);
    auto prefix = restore::find_backup(catalog, "0a1b", "V");
    REQUIRE(prefix.ok());
    CHECK((*prefix)->backup_id == third);
    auto upper = restore::find_backup(catalog, "6F1C0D", "V");
    REQUIRE(upper.ok());
    CHECK((*upper)->backup_id == first);

    auto ambiguous = restore::find_backup(catalog, "6f1c", "V");
    REQUIRE_FALSE(ambiguous.ok());
    CHECK(ambiguous.error().code == Errc::usage);
    CHECK_THAT(ambiguous.error().message, Catch::Contains("backup id prefix 6f1c is ambiguous"));
    CHECK_THAT(ambiguous.error().message, Catch::Contains(first));
    CHECK_THAT(ambiguous.error().message, Catch::Contains(second));
    CHECK_THAT(ambiguous.error().hint, Catch::Contains("more digits"));

    auto none = restore::find_backup(catalog, "ffff", "V");
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().code == Errc::not_found);
    CHECK_THAT(none.error().message,
               Catch::Contains("no backup of vault V has an id starting with ffff"));

    // Fewer than 4 digits, or not hex: not a prefix, refused as a malformed id.
    CHECK_FALSE(restore::find_backup(catalog, "6f1", "V").ok());
    CHECK_FALSE(restore::find_backup(catalog, "latest-ish", "V").ok());
    auto missing = restore::find_backup(catalog, std::string(32, 'e'), "V");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == Errc::not_found);
}
