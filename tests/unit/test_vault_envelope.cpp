#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "crypto/custodian_key.hpp"
#include "crypto/hash.hpp"
#include "crypto/random.hpp"
#include "test_signing_support.hpp"
#include "vault/envelope.hpp"
#include "vault/policy.hpp"

using namespace ssoescrow;
using namespace ssoescrow::vault;
using crypto::SecretBytes;

namespace {

constexpr std::int64_t k_time = 1795696496;  // 2026-11-26T12:34:56Z

struct Custodians {
    std::vector<crypto::Identity> identities;
    EscrowPolicy policy;
};

Custodians make_custodians(unsigned threshold, std::size_t count) {
    static const char* names[] = {"alice", "bob", "carol", "dave", "erin", "frank", "grace"};
    Custodians out;
    for (std::size_t i = 0; i < count; ++i) {
        std::string label = i < 7 ? names[i] : "custodian " + std::to_string(i + 1);
        out.identities.push_back(crypto::generate_identity(label));
        out.policy.recipients.push_back(out.identities.back().recipient);
    }
    out.policy.threshold = threshold;
    out.policy.allow_single_custodian = threshold == 1;
    test_support::add_test_signer(out.policy);
    return out;
}

SourceInfo make_source() {
    return SourceInfo{"BTS01", "SSODB01", "{4F1C2B7A-0D3E-4E5F-9A8B-1C2D3E4F5A6B}",
                      "{0A1B2C3D-4E5F-6A7B-8C9D-0E1F2A3B4C5D}", "nightly"};
}

Bundle make_bundle(std::size_t bak_size = 100) {
    Bundle bundle;
    bundle.bak = SecretBytes::random(bak_size);
    bundle.password = SecretBytes::copy_of(as_bytes("correct horse battery"));
    bundle.reminder = "the usual one";
    bundle.bak_sha256 = crypto::sha256(bundle.bak.view());
    return bundle;
}

Bytes seal(const Custodians& custodians, const Bundle& bundle) {
    auto sealed =
        seal_envelope(custodians.policy, test_support::test_seal(), make_source(), bundle, k_time);
    REQUIRE(sealed.ok());
    return std::move(sealed).value();
}

EnvelopeHeader header_of(ByteView file) {
    auto header = parse_envelope_header(file);
    REQUIRE(header.ok());
    return std::move(header).value();
}

std::vector<CustodianShare> open_all(const Custodians& custodians, ByteView file) {
    EnvelopeHeader header = header_of(file);
    std::vector<CustodianShare> shares;
    for (const auto& identity : custodians.identities) {
        auto share = open_stanza(header, identity);
        REQUIRE(share.ok());
        shares.push_back(std::move(share).value());
    }
    return shares;
}

std::vector<CustodianShare> clone_shares(const std::vector<CustodianShare>& shares,
                                         std::initializer_list<std::size_t> which) {
    std::vector<CustodianShare> out;
    for (std::size_t i : which) {
        out.push_back(
            CustodianShare{shares[i].recipient_fingerprint,
                           crypto::shamir::Share{shares[i].share.x, shares[i].share.y.clone()}});
    }
    return out;
}

void require_same_bundle(const Bundle& a, const Bundle& b) {
    REQUIRE(a.bak.equals(b.bak));
    REQUIRE(a.password.equals(b.password));
    REQUIRE(a.reminder == b.reminder);
    REQUIRE(a.bak_sha256 == b.bak_sha256);
}

std::string text_of(ByteView file) {
    return std::string(file.begin(), file.end());
}

std::string header_text_of(ByteView file) {
    return text_of(file.first(header_of(file).header_size));
}

Bytes replace_once(ByteView file, const std::string& from, const std::string& to) {
    std::string text = text_of(file);
    auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
    return to_bytes(text);
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// A small envelope shared by the exhaustive tests: 2 of 3, 16-byte .bak.
struct SmallEnvelope {
    Custodians custodians = make_custodians(2, 3);
    Bundle bundle = make_bundle(16);
    Bytes file;
    std::vector<CustodianShare> shares;
    SmallEnvelope() {
        file = seal(custodians, bundle);
        shares = open_all(custodians, file);
    }
};

std::vector<crypto::Identity> just(crypto::Identity identity) {
    std::vector<crypto::Identity> out;
    out.push_back(std::move(identity));
    return out;
}

// Opens `file` the way a restore does: parse, each identity opens its stanza, combine.
Result<Bundle> open_with_identities(ByteView file, const std::vector<crypto::Identity>& ids) {
    TRY_ASSIGN(EnvelopeHeader header, parse_envelope_header(file));
    std::vector<CustodianShare> shares;
    for (const auto& identity : ids) {
        TRY_ASSIGN(CustodianShare share, open_stanza(header, identity));
        shares.push_back(std::move(share));
    }
    return combine_and_open(file, shares);
}

}  // namespace

TEST_CASE("envelopes round-trip for several K-of-N", "[vault][envelope]") {
    const std::vector<std::pair<unsigned, std::size_t>> cases = {{1, 1}, {1, 3}, {2, 2},
                                                                 {2, 3}, {3, 5}, {5, 5}};
    for (auto [k, n] : cases) {
        INFO("K = " << k << ", N = " << n);
        Custodians custodians = make_custodians(k, n);
        Bundle bundle = make_bundle(1000 + n);
        Bytes file = seal(custodians, bundle);

        EnvelopeHeader header = header_of(file);
        CHECK(header.version == 2);
        CHECK(header.threshold == k);
        REQUIRE(header.stanzas.size() == n);
        CHECK(header.created == k_time);
        CHECK(header.source == make_source());
        CHECK(header.policy_fingerprint == custodians.policy.fingerprint());
        CHECK(header.payload_size == 4 + bundle.bak.size() + 4 + bundle.password.size() + 4 +
                                         bundle.reminder.size() + 32 + 16);
        CHECK(header.header_size + header.payload_size == file.size());
        std::set<std::uint8_t> xs;
        for (const auto& stanza : header.stanzas) {
            CHECK(stanza.x != 0);
            xs.insert(stanza.x);
        }
        CHECK(xs.size() == n);

        std::vector<CustodianShare> shares = open_all(custodians, file);
        // Every window of K consecutive custodians (wrapping) opens it.
        for (std::size_t start = 0; start < n; ++start) {
            std::vector<CustodianShare> subset;
            for (std::size_t j = 0; j < k; ++j) {
                const auto& s = shares[(start + j) % n];
                subset.push_back(CustodianShare{
                    s.recipient_fingerprint, crypto::shamir::Share{s.share.x, s.share.y.clone()}});
            }
            auto opened = combine_and_open(file, subset);
            REQUIRE(opened.ok());
            require_same_bundle(opened.value(), bundle);
        }
        // All N at once as well.
        auto opened = combine_and_open(file, shares);
        REQUIRE(opened.ok());
        require_same_bundle(opened.value(), bundle);
    }
}

TEST_CASE("the header is canonical: serialise(parse(x)) == x", "[vault][envelope]") {
    SmallEnvelope small;
    EnvelopeHeader header = header_of(small.file);
    CHECK(serialise_envelope_header(header) == header_text_of(small.file));
    CHECK(text_of(small.file).rfind("ssoescrow-envelope/2\nvault: ", 0) == 0);
    CHECK(contains(header_text_of(small.file), "\ncreated: 2026-11-26T12:34:56Z\n"));
    CHECK(contains(header_text_of(small.file), "\ncomputer: BTS01\nsecret-server: SSODB01\n"));

    // Empty optional fields are written as "key:" with nothing after the colon.
    Custodians custodians = make_custodians(2, 2);
    SourceInfo source = make_source();
    source.previous_msid.clear();
    source.label.clear();
    auto sealed =
        seal_envelope(custodians.policy, test_support::test_seal(), source, make_bundle(), k_time);
    REQUIRE(sealed.ok());
    const std::string text = header_text_of(sealed.value());
    CHECK(contains(text, "\nprevious-msid:\nlabel:\npolicy: sha256:"));
    EnvelopeHeader parsed = header_of(sealed.value());
    CHECK(parsed.source == source);
    CHECK(serialise_envelope_header(parsed) == text);
}

TEST_CASE("each envelope gets a fresh backup id and file name", "[vault][envelope]") {
    Custodians custodians = make_custodians(2, 2);
    Bundle bundle = make_bundle();
    EnvelopeHeader a = header_of(seal(custodians, bundle));
    EnvelopeHeader b = header_of(seal(custodians, bundle));
    CHECK(a.backup_id != b.backup_id);
    CHECK(a.payload_nonce != b.payload_nonce);
    CHECK(a.stanzas[0].commitment != b.stanzas[0].commitment);

    const std::string name = envelope_file_name(a.backup_id);
    CHECK(name.size() == 32 + 9);
    CHECK(name.substr(32) == ".envelope");
    auto id = parse_backup_id(name.substr(0, 32));
    REQUIRE(id.ok());
    CHECK(id.value() == a.backup_id);
    std::string upper = name.substr(0, 32);
    std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
    if (upper != name.substr(0, 32)) {
        CHECK_FALSE(parse_backup_id(upper).ok());
    }
    CHECK_FALSE(parse_backup_id(name.substr(0, 30)).ok());
    CHECK_FALSE(parse_backup_id(name.substr(0, 31) + "g").ok());
}

TEST_CASE("sealing refuses bad input before writing anything", "[vault][envelope]") {
    Custodians custodians = make_custodians(2, 3);
    SECTION("invalid policy") {
        EscrowPolicy policy = custodians.policy;
        policy.threshold = 4;
        auto sealed =
            seal_envelope(policy, test_support::test_seal(), make_source(), make_bundle(), k_time);
        REQUIRE_FALSE(sealed.ok());
        CHECK(sealed.error().code == Errc::invalid_argument);
    }
    SECTION("source text with a control character, or empty where required") {
        for (int field = 0; field < 5; ++field) {
            SourceInfo source = make_source();
            std::string* target[] = {&source.computer, &source.secret_server, &source.current_msid,
                                     &source.previous_msid, &source.label};
            *target[field] += "\x1b[31m";
            auto sealed = seal_envelope(custodians.policy, test_support::test_seal(), source,
                                        make_bundle(), k_time);
            REQUIRE_FALSE(sealed.ok());
            CHECK(sealed.error().code == Errc::invalid_argument);
        }
        SourceInfo source = make_source();
        source.current_msid.clear();
        auto sealed = seal_envelope(custodians.policy, test_support::test_seal(), source,
                                    make_bundle(), k_time);
        REQUIRE_FALSE(sealed.ok());
        CHECK(contains(sealed.error().message, "current MSID is empty"));
        source = make_source();
        source.computer = std::string(256, 'a');
        CHECK_FALSE(seal_envelope(custodians.policy, test_support::test_seal(), source,
                                  make_bundle(), k_time)
                        .ok());
        source.computer = " BTS01";
        CHECK_FALSE(seal_envelope(custodians.policy, test_support::test_seal(), source,
                                  make_bundle(), k_time)
                        .ok());
    }
    SECTION("bundle rules") {
        Bundle empty_bak = make_bundle();
        empty_bak.bak = SecretBytes();
        empty_bak.bak_sha256 = crypto::sha256({});
        CHECK(seal_envelope(custodians.policy, test_support::test_seal(), make_source(), empty_bak,
                            k_time)
                  .error()
                  .code == Errc::invalid_argument);

        Bundle too_big = make_bundle(k_max_bak_size + 1);
        CHECK(seal_envelope(custodians.policy, test_support::test_seal(), make_source(), too_big,
                            k_time)
                  .error()
                  .code == Errc::limit_exceeded);
        Bundle largest = make_bundle(k_max_bak_size);
        auto sealed = seal_envelope(custodians.policy, test_support::test_seal(), make_source(),
                                    largest, k_time);
        REQUIRE(sealed.ok());

        Bundle wrong_hash = make_bundle();
        wrong_hash.bak_sha256[0] ^= 1;
        auto refused = seal_envelope(custodians.policy, test_support::test_seal(), make_source(),
                                     wrong_hash, k_time);
        REQUIRE_FALSE(refused.ok());
        CHECK(contains(refused.error().message, "SHA-256"));

        Bundle no_password = make_bundle();
        no_password.password = SecretBytes();
        CHECK_FALSE(seal_envelope(custodians.policy, test_support::test_seal(), make_source(),
                                  no_password, k_time)
                        .ok());

        Bundle long_password = make_bundle();
        long_password.password = SecretBytes::random(k_max_password_size + 1);
        CHECK(seal_envelope(custodians.policy, test_support::test_seal(), make_source(),
                            long_password, k_time)
                  .error()
                  .code == Errc::limit_exceeded);

        Bundle bad_reminder = make_bundle();
        bad_reminder.reminder = "line\nbreak";
        CHECK_FALSE(seal_envelope(custodians.policy, test_support::test_seal(), make_source(),
                                  bad_reminder, k_time)
                        .ok());
        bad_reminder.reminder = std::string(k_max_reminder_size + 1, 'r');
        CHECK_FALSE(seal_envelope(custodians.policy, test_support::test_seal(), make_source(),
                                  bad_reminder, k_time)
                        .ok());
    }
    SECTION("time outside 1970..9999") {
        CHECK_FALSE(seal_envelope(custodians.policy, test_support::test_seal(), make_source(),
                                  make_bundle(), -1)
                        .ok());
        CHECK_FALSE(seal_envelope(custodians.policy, test_support::test_seal(), make_source(),
                                  make_bundle(), 253402300800)
                        .ok());
        CHECK(seal_envelope(custodians.policy, test_support::test_seal(), make_source(),
                            make_bundle(), 253402300799)
                  .ok());
    }
}

TEST_CASE("K-1 shares never open an envelope", "[vault][envelope]") {
    Custodians custodians = make_custodians(3, 5);
    Bundle bundle = make_bundle();
    Bytes file = seal(custodians, bundle);
    std::vector<CustodianShare> shares = open_all(custodians, file);

    auto opened = combine_and_open(file, clone_shares(shares, {0, 3}));
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.error().code == Errc::too_few_shares);
    CHECK(opened.error().message ==
          "backup " + backup_id_hex(header_of(file).backup_id) + ": need 3 shares, have 2");

    // K = 1: no share at all is still refused (there is no Shamir arithmetic to catch it).
    Custodians single = make_custodians(1, 2);
    Bytes single_file = seal(single, bundle);
    auto nothing = combine_and_open(single_file, {});
    REQUIRE_FALSE(nothing.ok());
    CHECK(nothing.error().code == Errc::too_few_shares);
    CHECK(contains(nothing.error().message, "need 1 share, have 0"));

    auto none = combine_and_open(file, {});
    REQUIRE_FALSE(none.ok());
    CHECK(contains(none.error().message, "need 3 shares, have 0"));
}

TEST_CASE("a duplicate share is refused naming the custodian", "[vault][envelope]") {
    SmallEnvelope small;
    auto shares = clone_shares(small.shares, {1, 1});
    auto opened = combine_and_open(small.file, shares);
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.error().code == Errc::share_duplicate);
    CHECK(contains(opened.error().message, "'bob'"));
    CHECK(contains(opened.error().message, small.custodians.identities[1].recipient.fingerprint()));
}

TEST_CASE("a share of another backup is refused naming the custodian", "[vault][envelope]") {
    SmallEnvelope small;
    Bytes other = seal(small.custodians, small.bundle);  // same custodians, another backup
    std::vector<CustodianShare> other_shares = open_all(small.custodians, other);

    // Alice's share of the other backup: its x differs (random x), or its commitment does.
    auto shares = clone_shares(small.shares, {1});
    shares.push_back(CustodianShare{
        other_shares[0].recipient_fingerprint,
        crypto::shamir::Share{other_shares[0].share.x, other_shares[0].share.y.clone()}});
    auto opened = combine_and_open(small.file, shares);
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.error().code == Errc::share_mismatch);
    CHECK(contains(opened.error().message, "'alice'"));
    CHECK(contains(opened.error().message, "another backup"));

    // Same x but the other backup's y: the commitment catches it before any combining.
    shares = clone_shares(small.shares, {1});
    shares.push_back(CustodianShare{
        small.shares[0].recipient_fingerprint,
        crypto::shamir::Share{small.shares[0].share.x, other_shares[0].share.y.clone()}});
    opened = combine_and_open(small.file, shares);
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.error().code == Errc::share_mismatch);
    CHECK(contains(opened.error().message, "does not match its commitment"));
    CHECK(contains(opened.error().message, "'alice'"));

    // A share from someone who has no stanza in this backup.
    Custodians strangers = make_custodians(2, 2);
    Bytes foreign = seal(strangers, small.bundle);
    std::vector<CustodianShare> foreign_shares = open_all(strangers, foreign);
    shares = clone_shares(small.shares, {1});
    shares.push_back(std::move(foreign_shares[0]));
    opened = combine_and_open(small.file, shares);
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.error().code == Errc::share_mismatch);
    CHECK(contains(opened.error().message, "has no stanza"));
}

TEST_CASE("a corrupt share is named by custodian before combining", "[vault][envelope]") {
    SmallEnvelope small;
    for (std::size_t byte = 0; byte < 32; ++byte) {
        auto shares = clone_shares(small.shares, {0, 2});
        shares[1].share.y[byte] ^= 0x01;
        auto opened = combine_and_open(small.file, shares);
        REQUIRE_FALSE(opened.ok());
        CHECK(opened.error().code == Errc::share_mismatch);
        CHECK(contains(opened.error().message, "'carol'"));
    }
    auto shares = clone_shares(small.shares, {0, 2});
    shares[0].share.y.truncate(31);
    auto opened = combine_and_open(small.file, shares);
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.error().code == Errc::share_length);
    CHECK(contains(opened.error().message, "'alice'"));
}

TEST_CASE("an identity that is not a custodian of the backup is told so", "[vault][envelope]") {
    SmallEnvelope small;
    crypto::Identity stranger = crypto::generate_identity("mallory");
    auto share = open_stanza(header_of(small.file), stranger);
    REQUIRE_FALSE(share.ok());
    CHECK(share.error().code == Errc::not_found);
    CHECK(contains(share.error().message, "'mallory'"));
    CHECK(contains(share.error().message, stranger.recipient.fingerprint()));
}

TEST_CASE("swapped or transplanted stanzas are detected and named", "[vault][envelope]") {
    SmallEnvelope small;
    const std::string text = text_of(small.file);
    EnvelopeHeader header = header_of(small.file);
    auto line_of = [&](std::size_t i) {
        const Stanza& s = header.stanzas[i];
        return "share: x25519 " + s.recipient_fingerprint + " " + to_hex(ByteView(&s.x, 1)) + " " +
               to_hex(s.commitment) + " " + to_base64(s.wrapped_share) + " " + s.label;
    };
    REQUIRE(contains(text, line_of(0) + "\n" + line_of(1) + "\n"));
    // A copy of the identity whose stanza is number i + 1 in the header.
    auto identity_of_stanza = [&](std::size_t i) {
        for (const auto& identity : small.custodians.identities) {
            if (identity.recipient.fingerprint() == header.stanzas[i].recipient_fingerprint) {
                return crypto::Identity{identity.recipient, identity.secret_key.clone()};
            }
        }
        FAIL("no identity for stanza");
        return crypto::Identity{};
    };

    SECTION("two stanza lines swapped") {
        Bytes swapped = replace_once(small.file, line_of(0) + "\n" + line_of(1) + "\n",
                                     line_of(1) + "\n" + line_of(0) + "\n");
        auto parsed = parse_envelope_header(swapped);
        REQUIRE_FALSE(parsed.ok());
        CHECK(parsed.error().code == Errc::parse);
        CHECK(contains(parsed.error().message, "stanza 2"));
        CHECK(contains(parsed.error().message, "ascending fingerprint order"));
    }
    SECTION("wrapped shares swapped between two stanzas") {
        std::string a = to_base64(header.stanzas[0].wrapped_share);
        std::string b = to_base64(header.stanzas[1].wrapped_share);
        std::string altered = text;
        altered.replace(altered.find(a), a.size(), std::string(a.size(), '#'));
        altered.replace(altered.find(b), b.size(), a);
        altered.replace(altered.find(std::string(a.size(), '#')), a.size(), b);
        auto opened = open_with_identities(to_bytes(altered), just(identity_of_stanza(0)));
        REQUIRE_FALSE(opened.ok());
        CHECK(opened.error().code == Errc::auth_failed);
        CHECK(contains(opened.error().message, "stanza 1"));
        CHECK(contains(opened.error().message, "'" + header.stanzas[0].label + "'"));
        auto second = open_with_identities(to_bytes(altered), just(identity_of_stanza(1)));
        REQUIRE_FALSE(second.ok());
        CHECK(contains(second.error().message, "stanza 2"));
        CHECK(contains(opened.error().message, "does not open with this identity"));
    }
    SECTION("a stanza transplanted from another backup of the same custodians") {
        Bytes other = seal(small.custodians, small.bundle);
        EnvelopeHeader other_header = header_of(other);
        // Find the other envelope's stanza of the same custodian as our stanza 1.
        const Stanza* theirs =
            find_stanza(other_header, header.stanzas[0].recipient_fingerprint).value();
        std::string their_line = "share: x25519 " + theirs->recipient_fingerprint + " " +
                                 to_hex(ByteView(&theirs->x, 1)) + " " +
                                 to_hex(theirs->commitment) + " " +
                                 to_base64(theirs->wrapped_share) + " " + theirs->label;
        Bytes altered = replace_once(small.file, line_of(0), their_line);
        std::set<std::uint8_t> xs;
        for (const auto& s : header.stanzas) {
            xs.insert(s.x);
        }
        auto parsed = parse_envelope_header(altered);
        if (xs.count(theirs->x) != 0 && theirs->x != header.stanzas[0].x) {
            REQUIRE_FALSE(parsed.ok());  // x collides with another stanza: refused while parsing
            CHECK(parsed.error().code == Errc::share_duplicate);
            return;
        }
        REQUIRE(parsed.ok());
        auto opened = open_with_identities(altered, small.custodians.identities);
        REQUIRE_FALSE(opened.ok());
        CHECK(opened.error().code == Errc::auth_failed);
        CHECK(contains(opened.error().message, "stanza 1"));
        CHECK(contains(opened.error().message, "moved from another backup"));
    }
}

TEST_CASE("header changes after sealing fail the header MAC: payload damage fails the AEAD",
          "[vault][envelope]") {
    SmallEnvelope small;
    SECTION("metadata edited") {
        Bytes edited = replace_once(small.file, "\nlabel: nightly\n", "\nlabel: nightlz\n");
        auto opened = open_with_identities(edited, small.custodians.identities);
        REQUIRE_FALSE(opened.ok());
        CHECK(opened.error().code == Errc::auth_failed);
        CHECK(contains(opened.error().message, "header MAC does not verify"));
    }
    SECTION("a custodian label edited") {
        Bytes edited = replace_once(small.file, " carol\n", " carl0\n");
        auto opened = open_with_identities(edited, small.custodians.identities);
        REQUIRE_FALSE(opened.ok());
        CHECK(opened.error().code == Errc::auth_failed);
        CHECK(contains(opened.error().message, "header MAC"));
    }
    SECTION("the policy fingerprint replaced") {
        EnvelopeHeader header = header_of(small.file);
        Bytes edited = replace_once(small.file, header.policy_fingerprint,
                                    make_custodians(2, 2).policy.fingerprint());
        auto opened = combine_and_open(edited, small.shares);
        REQUIRE_FALSE(opened.ok());
        CHECK(opened.error().code == Errc::auth_failed);
        CHECK(contains(opened.error().message, "header MAC"));
    }
    SECTION("payload byte flipped") {
        Bytes edited = small.file;
        edited.back() ^= 0x80;
        auto opened = combine_and_open(edited, small.shares);
        REQUIRE_FALSE(opened.ok());
        CHECK(opened.error().code == Errc::auth_failed);
        CHECK(contains(opened.error().message, "payload authentication failed"));
    }
}

TEST_CASE("every truncation of an envelope is refused without plaintext", "[vault][envelope]") {
    SmallEnvelope small;
    const std::size_t header_size = header_of(small.file).header_size;
    for (std::size_t length = 0; length < small.file.size(); ++length) {
        INFO("length " << length);
        ByteView cut(small.file.data(), length);
        auto parsed = parse_envelope_header(cut);
        REQUIRE_FALSE(parsed.ok());
        CHECK(parsed.error().code == Errc::parse);
        if (length >= header_size) {
            CHECK(contains(parsed.error().message, "envelope truncated"));
        } else if (length > 0) {
            CHECK(contains(parsed.error().message, "truncated"));
        }
        auto opened = combine_and_open(cut, small.shares);
        REQUIRE_FALSE(opened.ok());
    }
}

TEST_CASE("every single-bit flip of an envelope is detected with a specific error",
          "[vault][envelope]") {
    SmallEnvelope small;
    const EnvelopeHeader header = header_of(small.file);
    const std::size_t mac_line_start = header.header_size - (5 + 64 + 1);
    const std::set<Errc> header_errors = {Errc::parse, Errc::unsupported_version,
                                          Errc::limit_exceeded, Errc::share_x_zero,
                                          Errc::share_duplicate};
    std::vector<crypto::Identity> first_two;
    for (std::size_t i = 0; i < 2; ++i) {
        const auto& identity = small.custodians.identities[i];
        first_two.push_back(crypto::Identity{identity.recipient, identity.secret_key.clone()});
    }
    std::size_t by_parse = 0;
    std::size_t by_share = 0;
    std::size_t by_mac = 0;
    std::size_t by_payload = 0;
    for (std::size_t bit = 0; bit < small.file.size() * 8; ++bit) {
        Bytes flipped = small.file;
        flipped[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
        INFO("bit " << bit << " (byte " << bit / 8 << ")");
        const bool in_payload = bit / 8 >= header.header_size;
        // The signature line is outside the MAC and the payload's associated data: what catches
        // a change there is the signature check every keyless reader runs (3.14).
        if (bit / 8 >= header.signed_size && !in_payload) {
            auto reparsed = parse_envelope_header(flipped);
            if (reparsed.ok())
                CHECK_FALSE(check_envelope_signature(reparsed.value(), flipped).ok());
            continue;
        }

        // Shares obtained from the intact file, presented with the damaged one.
        auto opened = combine_and_open(flipped, small.shares);
        REQUIRE_FALSE(opened.ok());
        const Error& error = opened.error();
        if (in_payload) {
            CHECK(error.code == Errc::auth_failed);
            CHECK(contains(error.message, "payload authentication failed"));
            ++by_payload;
        } else if (header_errors.count(error.code) != 0) {
            ++by_parse;
        } else if (error.code == Errc::share_mismatch) {
            CHECK(contains(error.message, "custodian"));
            ++by_share;
        } else {
            CHECK(error.code == Errc::auth_failed);
            CHECK(contains(error.message, "header MAC does not verify"));
            ++by_mac;
        }
        if (bit / 8 >= mac_line_start + 5 && bit / 8 < mac_line_start + 5 + 64 &&
            header_errors.count(error.code) == 0) {
            CHECK(contains(error.message, "header MAC"));
        }

        // The real path: each custodian opens their own stanza of the damaged file.
        if (in_payload) {
            continue;  // the shares do not depend on the payload: covered above
        }
        auto real = open_with_identities(flipped, first_two);
        REQUIRE_FALSE(real.ok());
        CHECK_FALSE(real.error().message.empty());
    }
    CHECK(by_parse > 0);
    CHECK(by_share > 0);
    CHECK(by_mac > 0);
    CHECK(by_payload == (small.file.size() - header.header_size) * 8);
}

TEST_CASE("non-canonical envelope headers are refused", "[vault][envelope]") {
    SmallEnvelope small;
    const std::string text = text_of(small.file);
    const std::string header_text = header_text_of(small.file);
    const std::string payload = text.substr(header_text.size());
    EnvelopeHeader header = header_of(small.file);
    const std::string id = backup_id_hex(header.backup_id);
    std::string upper_id = id;
    std::transform(upper_id.begin(), upper_id.end(), upper_id.begin(), ::toupper);

    std::string upper_fpr = header.stanzas[0].recipient_fingerprint;
    std::transform(upper_fpr.begin(), upper_fpr.end(), upper_fpr.begin(), ::toupper);
    if (upper_fpr == header.stanzas[0].recipient_fingerprint) {
        upper_fpr[0] = 'G';  // no letter in it: still not lower-case hex
    }
    const std::string x_hex = to_hex(ByteView(&header.stanzas[0].x, 1));
    std::string upper_x = x_hex;
    std::transform(upper_x.begin(), upper_x.end(), upper_x.begin(), ::toupper);
    if (upper_x == x_hex) {
        upper_x = "0x";
    }
    std::string crlf;
    for (std::size_t start = 0; start < header_text.size();) {
        auto end = header_text.find('\n', start);
        crlf += header_text.substr(start, end - start) + "\r\n";
        start = end + 1;
    }
    struct Variant {
        const char* name;
        std::string from;
        std::string to;
        std::string message = "envelope header line";
    };
    const std::vector<Variant> variants = {
        {"extra space after colon", "\nthreshold: 2\n", "\nthreshold:  2\n"},
        {"no space after colon", "\nthreshold: 2\n", "\nthreshold:2\n"},
        {"trailing space", "\nthreshold: 2\n", "\nthreshold: 2 \n"},
        {"leading zero", "\nthreshold: 2\n", "\nthreshold: 02\n"},
        {"upper-case key", "\nthreshold: 2\n", "\nThreshold: 2\n"},
        {"reordered lines", "\ncomputer: BTS01\nsecret-server: SSODB01\n",
         "\nsecret-server: SSODB01\ncomputer: BTS01\n"},
        {"missing line", "\nlabel: nightly\n", "\n"},
        {"extra line", "\nlabel: nightly\n", "\nlabel: nightly\ncomment: hi\n"},
        {"blank line", "\nlabel: nightly\n", "\nlabel: nightly\n\n"},
        {"empty value written with a space", "\nlabel: nightly\n", "\nlabel: \n"},
        {"required value empty", "\ncomputer: BTS01\n", "\ncomputer:\n"},
        {"upper-case hex backup id", id, upper_id},
        {"short backup id", "backup: " + id, "backup: " + id.substr(2)},
        {"time with fraction", "2026-11-26T12:34:56Z", "2026-11-26T12:34:56.0Z"},
        {"time with offset", "2026-11-26T12:34:56Z", "2026-11-26T12:34:56+00"},
        {"impossible date", "2026-11-26T12:34:56Z", "2026-02-30T12:34:56Z"},
        {"upper-case policy hex", header.policy_fingerprint, "sha256:" + std::string(64, 'A')},
        {"policy without prefix", header.policy_fingerprint,
         "blake2:" + header.policy_fingerprint.substr(7)},
        {"shares count larger", "\nshares: 3\n", "\nshares: 4\n", "(stanza 4 of 4)"},
        {"shares count smaller", "\nshares: 3\n", "\nshares: 2\n"},
        {"shares below threshold", "\nthreshold: 2\n", "\nthreshold: 4\n",
         "3 shares but threshold 4"},
        {"threshold 0", "\nthreshold: 2\n", "\nthreshold: 0\n", "threshold 0"},
        {"other recipient type", "share: x25519 ", "share: x448 "},
        {"payload algorithm", "payload: xchacha20poly1305 ", "payload: aes256gcm "},
        {"mac line upper-case", "\nmac: " + to_hex(header.mac), "\nMAC: " + to_hex(header.mac)},
        {"payload size too small",
         "\npayload: xchacha20poly1305 " + to_hex(header.payload_nonce) + " " +
             std::to_string(header.payload_size) + "\n",
         "\npayload: xchacha20poly1305 " + to_hex(header.payload_nonce) + " 61\n",
         "smaller than any valid payload"},
        {"control character in a text field", "\nlabel: nightly\n", "\nlabel: night\x1bly\n",
         "(label): label contains a control character"},
        {"NUL byte", "\nlabel: nightly\n", std::string("\nlabel: night\0ly\n", 17), "NUL byte"},
        {"leading space in a value", "\ncomputer: BTS01\n", "\ncomputer:  BTS01\n",
         "exactly one space"},
        {"fingerprint with upper-case hex", " " + header.stanzas[0].recipient_fingerprint + " ",
         " " + upper_fpr + " ", "malformed recipient fingerprint"},
        {"x with upper-case hex", " " + header.stanzas[0].recipient_fingerprint + " " + x_hex,
         " " + header.stanzas[0].recipient_fingerprint + " " + upper_x, "(stanza 1): x:"},
        {"custodian label missing",
         " " + header.stanzas[2].label + "\npayload:", "\npayload:", "stanza 3"},
        {"not an envelope", "ssoescrow-envelope/2", "ssoescrow-envelope-2",
         "not an ssoescrow envelope"},
    };
    for (const auto& variant : variants) {
        INFO(variant.name);
        auto at = text.find(variant.from);
        REQUIRE(at != std::string::npos);
        std::string altered = text;
        altered.replace(at, variant.from.size(), variant.to);
        auto parsed = parse_envelope_header(to_bytes(altered));
        REQUIRE_FALSE(parsed.ok());
        CHECK(parsed.error().code == Errc::parse);
        CHECK(contains(parsed.error().message, variant.message));
    }

    auto with_crlf = parse_envelope_header(to_bytes(crlf + payload));
    REQUIRE_FALSE(with_crlf.ok());
    CHECK(with_crlf.error().code == Errc::parse);
    CHECK(contains(with_crlf.error().message, "CR character"));

    auto trailing = parse_envelope_header(to_bytes(text + "x"));
    REQUIRE_FALSE(trailing.ok());
    CHECK(trailing.error().code == Errc::parse);
    CHECK(contains(trailing.error().message, "unexpected data after the payload"));

    // Non-canonical base64 in a wrapped share (a different last character that decodes to the
    // same bytes is impossible for 104 bytes: 104 = 3*34 + 2, so the last char carries 2 unused
    // bits; set them).
    std::string wrapped = to_base64(header.stanzas[0].wrapped_share);
    REQUIRE(wrapped.back() == '=');
    std::string sloppy = wrapped;
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    auto index = alphabet.find(sloppy[sloppy.size() - 2]);
    sloppy[sloppy.size() - 2] = alphabet[(index & ~3u) | ((index & 3u) ^ 1u)];
    std::string altered = text;
    altered.replace(altered.find(wrapped), wrapped.size(), sloppy);
    auto parsed = parse_envelope_header(to_bytes(altered));
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == Errc::parse);
    CHECK(contains(parsed.error().message, "stanza 1"));
}

TEST_CASE("unknown envelope versions are refused by number", "[vault][envelope]") {
    SmallEnvelope small;
    for (std::string version : {"1", "3", "10", "0"}) {
        Bytes newer = replace_once(small.file, "ssoescrow-envelope/2\n",
                                   "ssoescrow-envelope/" + version + "\n");
        auto parsed = parse_envelope_header(newer);
        REQUIRE_FALSE(parsed.ok());
        CHECK(parsed.error().code == Errc::unsupported_version);
        CHECK(contains(parsed.error().message, "unsupported version " + version));
    }
}

TEST_CASE("oversized declared lengths are refused before allocating", "[vault][envelope]") {
    SmallEnvelope small;
    EnvelopeHeader header = header_of(small.file);
    const std::string payload_line = "\npayload: xchacha20poly1305 " +
                                     to_hex(header.payload_nonce) + " " +
                                     std::to_string(header.payload_size) + "\n";
    auto with_size = [&](const std::string& size) {
        return replace_once(
            small.file, payload_line,
            "\npayload: xchacha20poly1305 " + to_hex(header.payload_nonce) + " " + size + "\n");
    };
    for (const std::string& size : {std::to_string(k_max_payload_size + 1),
                                    std::string("18446744073709551616"), std::string(200, '9')}) {
        INFO(size.substr(0, 30));
        auto parsed = parse_envelope_header(with_size(size));
        REQUIRE_FALSE(parsed.ok());
        CHECK(parsed.error().code == Errc::limit_exceeded);
    }
    // The largest allowed size is accepted by the length check and then found truncated.
    auto largest = parse_envelope_header(with_size(std::to_string(k_max_payload_size)));
    REQUIRE_FALSE(largest.ok());
    CHECK(largest.error().code == Errc::parse);
    CHECK(contains(largest.error().message, "envelope truncated"));

    for (std::string count : {"256", "1000000", "99999999999999999999999"}) {
        auto parsed = parse_envelope_header(
            replace_once(small.file, "\nshares: 3\n", "\nshares: " + count + "\n"));
        REQUIRE_FALSE(parsed.ok());
        CHECK(parsed.error().code == Errc::limit_exceeded);
    }
    auto threshold =
        parse_envelope_header(replace_once(small.file, "\nthreshold: 2\n", "\nthreshold: 256\n"));
    REQUIRE_FALSE(threshold.ok());
    CHECK(threshold.error().code == Errc::limit_exceeded);

    auto long_line = parse_envelope_header(replace_once(
        small.file, "\nlabel: nightly\n", "\nlabel: " + std::string(2000, 'n') + "\n"));
    REQUIRE_FALSE(long_line.ok());
    CHECK(long_line.error().code == Errc::limit_exceeded);

    auto long_field = parse_envelope_header(
        replace_once(small.file, "\nlabel: nightly\n", "\nlabel: " + std::string(256, 'n') + "\n"));
    REQUIRE_FALSE(long_field.ok());
    CHECK(long_field.error().code == Errc::parse);

    Bytes huge(k_max_header_size + k_max_payload_size + 1, 'a');
    auto too_big = parse_envelope_header(huge);
    REQUIRE_FALSE(too_big.ok());
    CHECK(too_big.error().code == Errc::limit_exceeded);

    // A line with no newline at all, longer than the line ceiling.
    Bytes endless(5000, 'a');
    auto no_newline = parse_envelope_header(endless);
    REQUIRE_FALSE(no_newline.ok());
    CHECK(no_newline.error().code == Errc::limit_exceeded);
}

TEST_CASE("share commitments and wrap contexts bind backup, threshold and x", "[vault][envelope]") {
    BackupId id{};
    id[0] = 1;
    SecretBytes y = SecretBytes::random(32);
    const Commitment base = share_commitment(id, 2, 7, y);
    BackupId other_id = id;
    other_id[15] = 9;
    CHECK(share_commitment(other_id, 2, 7, y) != base);
    CHECK(share_commitment(id, 3, 7, y) != base);
    CHECK(share_commitment(id, 2, 8, y) != base);
    SecretBytes y2 = y.clone();
    y2[31] ^= 1;
    CHECK(share_commitment(id, 2, 7, y2) != base);
    CHECK(share_commitment(id, 2, 7, y) == base);

    // Commitment = BLAKE2b-256(label || id || K || x || y): recomputed independently.
    Bytes input = to_bytes("ssoescrow/1 share-commitment");
    input.insert(input.end(), id.begin(), id.end());
    input.push_back(2);
    input.push_back(7);
    input.insert(input.end(), y.data(), y.data() + y.size());
    CHECK(crypto::blake2b_256({input}) == base);

    EnvelopeHeader header;
    header.backup_id = id;
    header.threshold = 2;
    Stanza stanza;
    stanza.x = 7;
    stanza.recipient_fingerprint = "0123-4567-89ab-cdef-0123-4567-89ab-cdef";
    Bytes context = share_wrap_context(header, stanza);
    Bytes expected = to_bytes("ssoescrow/1 envelope-share");
    expected.push_back(0);
    expected.push_back(2);
    expected.insert(expected.end(), id.begin(), id.end());
    expected.push_back(2);
    expected.push_back(7);
    Bytes fpr = to_bytes(stanza.recipient_fingerprint);
    expected.insert(expected.end(), fpr.begin(), fpr.end());
    CHECK(context == expected);
}

TEST_CASE("an envelope can be checked against the vault's policy without keys",
          "[vault][envelope]") {
    SmallEnvelope small;
    EnvelopeHeader header = header_of(small.file);
    CHECK(check_envelope_policy(header, small.custodians.policy).ok());

    Custodians others = make_custodians(2, 3);
    auto foreign = check_envelope_policy(header, others.policy);
    REQUIRE_FALSE(foreign.ok());
    CHECK(foreign.error().code == Errc::policy_mismatch);
    CHECK(contains(foreign.error().message, "was sealed to policy " + header.policy_fingerprint));

    // A header that claims the right fingerprint but whose stanzas differ.
    EnvelopeHeader relabelled = header;
    relabelled.stanzas[1].label = "mallory";
    auto stanza = check_envelope_policy(relabelled, small.custodians.policy);
    REQUIRE_FALSE(stanza.ok());
    CHECK(stanza.error().code == Errc::policy_mismatch);
    CHECK(contains(stanza.error().message, "stanza 2"));

    EnvelopeHeader fewer = header;
    fewer.stanzas.pop_back();
    auto count = check_envelope_policy(fewer, small.custodians.policy);
    REQUIRE_FALSE(count.ok());
    CHECK(contains(count.error().message, "2 of 2 stanzas, the policy 2 of 3"));
}
