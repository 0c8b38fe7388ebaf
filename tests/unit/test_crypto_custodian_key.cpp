#include <catch2/catch.hpp>

#include <sodium.h>

#include <set>
#include <string>

#include "crypto/custodian_key.hpp"

using namespace ssoescrow;
using namespace ssoescrow::crypto;

namespace {

SecretBytes passphrase_of(std::string_view text) {
    return SecretBytes::copy_of(as_bytes(text));
}

Bytes sealed_identity(const Identity& identity, std::string_view passphrase) {
    auto sealed = seal_identity(identity, passphrase_of(passphrase), KdfParams::minimum_for_tests(),
                                KdfFloor::below_floor_for_tests);
    REQUIRE(sealed.ok());
    return sealed.value();
}

// Rewrites the trailing checksum line so that a deliberate edit passes the damage check and
// reaches the cryptographic checks behind it.
Bytes with_fixed_checksum(Bytes file) {
    std::string text(file.begin(), file.end());
    auto at = text.rfind("checksum: ");
    REQUIRE(at != std::string::npos);
    text.resize(at);
    std::array<std::uint8_t, 32> digest{};
    crypto_generichash(digest.data(), digest.size(),
                       reinterpret_cast<const unsigned char*>(text.data()), text.size(), nullptr,
                       0);
    text += "checksum: " + to_hex(digest) + "\n";
    return to_bytes(text);
}

Bytes replace_text(const Bytes& file, const std::string& from, const std::string& to) {
    std::string text(file.begin(), file.end());
    auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
    return to_bytes(text);
}

}  // namespace

TEST_CASE("recipient lines round-trip and carry a checked fingerprint", "[keys]") {
    Identity identity = generate_identity("Alice Example");
    std::string line = identity.recipient.to_line();
    REQUIRE(line.rfind("ssoescrow-recipient/1 x25519 ", 0) == 0);

    auto parsed = parse_recipient(line + "\n", "alice.pub");
    REQUIRE(parsed.ok());
    REQUIRE(parsed->public_key == identity.recipient.public_key);
    REQUIRE(parsed->label == "Alice Example");
    REQUIRE(parsed->fingerprint() == identity.recipient.fingerprint());
    REQUIRE(parsed->to_line() == line);
    REQUIRE(parsed->fingerprint().size() == 39);  // 8 groups of 4 hex digits
}

TEST_CASE("recipient lines that are altered or malformed are refused", "[keys]") {
    Identity identity = generate_identity("bob");
    const std::string line = identity.recipient.to_line();
    const std::string fpr = identity.recipient.fingerprint();

    SECTION("fingerprint does not match the key") {
        std::string bad = line;
        bad[bad.find(fpr)] = fpr[0] == '0' ? '1' : '0';
        auto parsed = parse_recipient(bad, "bob.pub");
        REQUIRE_FALSE(parsed.ok());
        REQUIRE(parsed.error().code == Errc::parse);
        REQUIRE_THAT(parsed.error().message, Catch::Contains("fingerprint"));
    }
    SECTION("newer version") {
        std::string bad = "ssoescrow-recipient/2" + line.substr(line.find(' '));
        auto parsed = parse_recipient(bad, "bob.pub");
        REQUIRE(parsed.error().code == Errc::unsupported_version);
        REQUIRE_THAT(parsed.error().message, Catch::Contains("unsupported version 2"));
    }
    SECTION("other recipient type") {
        std::string bad = line;
        bad.replace(bad.find("x25519"), 6, "rsa");
        REQUIRE(parse_recipient(bad, "bob.pub").error().code == Errc::parse);
    }
    SECTION("CRLF, control characters, empty label, not a recipient") {
        REQUIRE_FALSE(parse_recipient(line + "\r\n", "bob.pub").ok());
        REQUIRE_FALSE(parse_recipient(line + "\x01", "bob.pub").ok());
        REQUIRE_FALSE(parse_recipient(line.substr(0, line.size() - 3), "bob.pub").ok());
        REQUIRE_FALSE(parse_recipient("hello world", "bob.pub").ok());
        REQUIRE_FALSE(parse_recipient("", "bob.pub").ok());
    }
    SECTION("44 base64 characters that decode to 33 bytes") {
        std::string bad = line;
        auto key_at = bad.find(' ', bad.find("x25519")) + 1;
        bad.replace(key_at, 44, std::string(44, 'A'));
        auto parsed = parse_recipient(bad, "bob.pub");
        REQUIRE(parsed.error().code == Errc::parse);
        REQUIRE_THAT(parsed.error().message, Catch::Contains("wrong length"));
    }
    SECTION("mangled base64 key") {
        std::string bad = line;
        auto key_at = bad.find(' ', bad.find("x25519")) + 1;
        bad[key_at] = '!';
        REQUIRE(parse_recipient(bad, "bob.pub").error().code == Errc::parse);
    }
}

TEST_CASE("labels are checked", "[keys]") {
    REQUIRE(check_label("ops team 1").ok());
    REQUIRE_FALSE(check_label("").ok());
    REQUIRE_FALSE(check_label(std::string(65, 'a')).ok());
    REQUIRE_FALSE(check_label("tab\there").ok());
    REQUIRE_FALSE(check_label(" leading").ok());
    REQUIRE_FALSE(check_label("trailing ").ok());
}

TEST_CASE("identity files open with the right passphrase only", "[keys]") {
    Identity identity = generate_identity("carol");
    Bytes file = sealed_identity(identity, "correct horse battery staple");

    auto opened = open_identity(file, passphrase_of("correct horse battery staple"), "carol.key");
    REQUIRE(opened.ok());
    REQUIRE(opened->secret_key.equals(identity.secret_key));
    REQUIRE(opened->recipient.public_key == identity.recipient.public_key);
    REQUIRE(opened->recipient.label == "carol");

    auto wrong = open_identity(file, passphrase_of("correct horse battery stapler"), "carol.key");
    REQUIRE_FALSE(wrong.ok());
    REQUIRE(wrong.error().code == Errc::wrong_passphrase);
    REQUIRE_THAT(wrong.error().message, Catch::Contains("carol.key"));

    auto recipient = identity_recipient(file, "carol.key");
    REQUIRE(recipient.ok());
    REQUIRE(recipient->public_key == identity.recipient.public_key);

    // Two seals of the same identity differ (fresh salt and nonce).
    REQUIRE(sealed_identity(identity, "correct horse battery staple") != file);
}

TEST_CASE("identity files never hold the secret key or passphrase in clear", "[keys]") {
    Identity identity = generate_identity("dave");
    Bytes file = sealed_identity(identity, "canary-passphrase-4711");
    std::string text(file.begin(), file.end());
    REQUIRE(text.find("canary-passphrase-4711") == std::string::npos);
    std::string secret(reinterpret_cast<const char*>(identity.secret_key.data()),
                       identity.secret_key.size());
    REQUIRE(text.find(secret) == std::string::npos);
    REQUIRE(text.find(to_base64(identity.secret_key.view())) == std::string::npos);
    REQUIRE(text.find(to_hex(identity.secret_key.view())) == std::string::npos);
}

TEST_CASE("empty passphrases are refused when sealing", "[keys]") {
    Identity identity = generate_identity("erin");
    auto sealed = seal_identity(identity, SecretBytes(), KdfParams::minimum_for_tests(),
                                KdfFloor::below_floor_for_tests);
    REQUIRE(sealed.error().code == Errc::invalid_argument);
}

TEST_CASE("every truncation of an identity file is refused", "[keys]") {
    Identity identity = generate_identity("frank");
    Bytes file = sealed_identity(identity, "pass");
    for (std::size_t size = 0; size < file.size(); ++size) {
        Bytes cut(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(size));
        auto opened = open_identity(cut, passphrase_of("pass"), "frank.key");
        INFO("truncated to " << size << " bytes");
        REQUIRE_FALSE(opened.ok());
        REQUIRE(opened.error().code != Errc::wrong_passphrase);
    }
}

TEST_CASE("every single-bit flip of an identity file is detected", "[keys]") {
    Identity identity = generate_identity("grace");
    Bytes file = sealed_identity(identity, "pass");
    std::set<Errc> seen;
    for (std::size_t byte = 0; byte < file.size(); ++byte) {
        for (int bit = 0; bit < 8; ++bit) {
            Bytes flipped = file;
            flipped[byte] ^= static_cast<std::uint8_t>(1u << bit);
            auto opened = open_identity(flipped, passphrase_of("pass"), "grace.key");
            INFO("byte " << byte << " bit " << bit);
            REQUIRE_FALSE(opened.ok());
            // Damage is reported as damage, never as a wrong passphrase.
            REQUIRE(opened.error().code != Errc::wrong_passphrase);
            seen.insert(opened.error().code);
        }
    }
    REQUIRE(seen.count(Errc::auth_failed) == 1);  // the checksum catches most flips
}

TEST_CASE("edits that recompute the checksum are still caught", "[keys]") {
    Identity identity = generate_identity("heidi");
    Identity other = generate_identity("ivan");
    Bytes file = sealed_identity(identity, "pass");

    SECTION("label changed") {
        Bytes edited = with_fixed_checksum(
            replace_text(file, identity.recipient.to_line(),
                         Recipient{"x25519", identity.recipient.public_key, "mallory"}.to_line()));
        auto opened = open_identity(edited, passphrase_of("pass"), "heidi.key");
        REQUIRE(opened.error().code == Errc::auth_failed);
    }
    SECTION("recipient swapped for another key") {
        Recipient swapped = other.recipient;
        swapped.label = "heidi";
        Bytes edited = with_fixed_checksum(
            replace_text(file, identity.recipient.to_line(), swapped.to_line()));
        auto opened = open_identity(edited, passphrase_of("pass"), "heidi.key");
        REQUIRE(opened.error().code == Errc::auth_failed);
    }
}

TEST_CASE("KDF parameters above the ceiling are refused before any work", "[keys]") {
    Identity identity = generate_identity("judy");
    Bytes file = sealed_identity(identity, "pass");
    std::string text(file.begin(), file.end());
    auto m_at = text.find(" m=") + 3;
    auto m_end = text.find(' ', m_at);
    std::string huge = std::to_string(64ull << 30);  // 64 GiB
    Bytes edited = with_fixed_checksum(
        replace_text(file, text.substr(m_at - 3, m_end - m_at + 3), " m=" + huge));
    auto opened = open_identity(edited, passphrase_of("pass"), "judy.key");
    REQUIRE(opened.error().code == Errc::limit_exceeded);

    auto t_at = text.find(" t=") + 3;
    auto t_end = text.find(' ', t_at);
    Bytes edited_t = with_fixed_checksum(
        replace_text(file, text.substr(t_at - 3, t_end - t_at + 3), " t=4000000000"));
    REQUIRE(open_identity(edited_t, passphrase_of("pass"), "judy.key").error().code ==
            Errc::limit_exceeded);
}

TEST_CASE("identity files of another version or kind are named as such", "[keys]") {
    Identity identity = generate_identity("ken");
    Bytes file = sealed_identity(identity, "pass");
    Bytes newer = replace_text(file, "ssoescrow-identity/1", "ssoescrow-identity/7");
    auto opened = open_identity(newer, passphrase_of("pass"), "ken.key");
    REQUIRE(opened.error().code == Errc::unsupported_version);
    REQUIRE_THAT(opened.error().message, Catch::Contains("unsupported version 7"));

    REQUIRE(open_identity(as_bytes("hello\n"), passphrase_of("pass"), "x").error().code ==
            Errc::parse);
    Bytes big(5000, 'a');
    REQUIRE(open_identity(big, passphrase_of("pass"), "x").error().code == Errc::limit_exceeded);
}
