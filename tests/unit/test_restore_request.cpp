#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "crypto/custodian_key.hpp"
#include "crypto/hash.hpp"
#include "src/restore/apply.hpp"
#include "src/restore/request.hpp"
#include "test_signing_support.hpp"
#include "vault/envelope.hpp"
#include "vault/policy.hpp"
#include "vault/text_format.hpp"

using namespace ssoescrow;
using namespace ssoescrow::restore;
using crypto::SecretBytes;

namespace {

constexpr std::int64_t k_now = 1795696496;  // 2026-11-26T12:34:56Z
const std::string k_vault_id = "00112233445566778899aabbccddeeff";

vault::VaultId vault_id_bytes() {
    vault::VaultId id{};
    const Bytes bytes = from_hex(k_vault_id, "vault id").value();
    std::copy(bytes.begin(), bytes.end(), id.begin());
    return id;
}

struct Fixture {
    std::vector<crypto::Identity> identities;
    vault::EscrowPolicy policy;
    vault::Bundle bundle;
    Bytes envelope;
};

vault::Bundle make_bundle() {
    vault::Bundle bundle;
    bundle.bak = SecretBytes::random(300);
    bundle.password = SecretBytes::copy_of(as_bytes("correct horse battery"));
    bundle.reminder = "ssoescrow backup";
    bundle.bak_sha256 = crypto::sha256(bundle.bak.view());
    return bundle;
}

Fixture make_fixture(unsigned threshold = 2, std::size_t count = 3) {
    static const char* names[] = {"alice", "bob", "carol", "dave", "erin"};
    Fixture out;
    for (std::size_t i = 0; i < count; ++i) {
        out.identities.push_back(crypto::generate_identity(names[i]));
        out.policy.recipients.push_back(out.identities.back().recipient);
    }
    out.policy.threshold = threshold;
    test_support::add_test_signer(out.policy);
    out.bundle = make_bundle();
    vault::SourceInfo source{"BTS01", "SSODB01", "{4F1C2B7A-0D3E-4E5F-9A8B-1C2D3E4F5A6B}", "",
                             "nightly"};
    auto sealed = vault::seal_envelope(out.policy, test_support::test_seal(vault_id_bytes()),
                                       source, out.bundle, k_now - 3600);
    REQUIRE(sealed.ok());
    out.envelope = std::move(sealed).value();
    return out;
}

NewRequest make_request(const Fixture& fixture, std::int64_t lifetime = 24 * 3600,
                        std::string reason = "server rebuilt") {
    auto made = create_request(fixture.envelope, k_vault_id, "operator@bts01", std::move(reason),
                               k_now, lifetime);
    REQUIRE(made.ok());
    return std::move(made).value();
}

RequestKey key_of(const NewRequest& made) {
    const SecretBytes text =
        serialise_request_key(made.request.id, made.request.ephemeral_key, made.secret_key);
    auto key = parse_request_key(text, "REQ.key");
    REQUIRE(key.ok());
    return std::move(key).value();
}

// Replaces the checksum line so that an edit is judged on its own (not as damage).
std::string rechecksum(std::string text) {
    const std::size_t at = text.rfind("checksum: ");
    REQUIRE(at != std::string::npos);
    text.erase(at);
    text += "checksum: " + to_hex(crypto::sha256(as_bytes(text))) + "\n";
    return text;
}

std::string replace_once(std::string text, const std::string& from, const std::string& to) {
    const std::size_t at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
    return text;
}

Approval approve(const NewRequest& made, const crypto::Identity& identity) {
    auto approval = approve_request(made.request, identity, k_now + 60);
    REQUIRE(approval.ok());
    return std::move(approval).value();
}

ApprovalInput input_of(const std::string& name, const Approval& approval) {
    return ApprovalInput{name, Result<Bytes>(to_bytes(serialise_approval(approval)))};
}

}  // namespace

TEST_CASE("restore request: serialise(parse(x)) == x and fields survive", "[restore]") {
    const Fixture fixture = make_fixture();
    const NewRequest made = make_request(fixture);
    const std::string text = serialise_request(made.request);
    auto parsed = parse_request(as_bytes(text), "REQ");
    REQUIRE(parsed.ok());
    CHECK(serialise_request(*parsed) == text);
    CHECK(parsed->id == made.request.id);
    CHECK(parsed->vault_id == k_vault_id);
    CHECK(parsed->backup_id == made.request.backup_id);
    CHECK(parsed->requester == "operator@bts01");
    CHECK(parsed->reason == "server rebuilt");
    CHECK(parsed->purpose == Purpose::restore);
    CHECK(parsed->created == k_now);
    CHECK(parsed->expires == k_now + 24 * 3600);
    CHECK(parsed->ephemeral_key == made.request.ephemeral_key);
    CHECK(parsed->header.threshold == 2);
    CHECK(parsed->header.stanzas.size() == 3);
    CHECK(request_fingerprint(*parsed) == request_fingerprint(made.request));
    CHECK(text.find("reason: server rebuilt\n") != std::string::npos);

    // An empty reason is the bare "reason:" line.
    const NewRequest quiet = make_request(fixture, 3600, "");
    const std::string quiet_text = serialise_request(quiet.request);
    CHECK(quiet_text.find("\nreason:\n") != std::string::npos);
    auto reparsed = parse_request(as_bytes(quiet_text), "REQ");
    REQUIRE(reparsed.ok());
    CHECK(serialise_request(*reparsed) == quiet_text);
}

TEST_CASE("restore request: every truncation and bit flip is refused", "[restore]") {
    const Fixture fixture = make_fixture();
    const std::string text = serialise_request(make_request(fixture).request);
    for (std::size_t size = 0; size < text.size(); ++size)
        REQUIRE_FALSE(parse_request(as_bytes(text.substr(0, size)), "REQ").ok());
    for (std::size_t i = 0; i < text.size(); i += 3) {
        for (int bit = 0; bit < 8; ++bit) {
            std::string flipped = text;
            flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
            REQUIRE_FALSE(parse_request(as_bytes(flipped), "REQ").ok());
        }
    }
    // A flip in the body is reported as damage, not as a parse error of some field.
    std::string flipped = text;
    flipped[text.find("reason: ") + 9] ^= 1;
    auto damaged = parse_request(as_bytes(flipped), "REQ");
    REQUIRE_FALSE(damaged.ok());
    CHECK(damaged.error().code == Errc::auth_failed);
    CHECK_THAT(damaged.error().message, Catch::Contains("REQ: restore request is damaged"));
}

TEST_CASE("restore request: only the canonical form, versions and ceilings", "[restore]") {
    const Fixture fixture = make_fixture();
    const std::string text = serialise_request(make_request(fixture).request);
    const auto refused = [](const std::string& bad, Errc code, const std::string& message) {
        auto parsed = parse_request(as_bytes(bad), "REQ");
        REQUIRE_FALSE(parsed.ok());
        CHECK(parsed.error().code == code);
        CHECK_THAT(parsed.error().message, Catch::Contains(message));
    };
    // Version 1 requests (no purpose, approvals not bound to the whole file) are refused.
    refused(rechecksum(
                replace_once(text, "ssoescrow-restore-request/2", "ssoescrow-restore-request/1")),
            Errc::unsupported_version, "unsupported version 1");
    refused(rechecksum(replace_once(text, "purpose: restore", "purpose: Restore")), Errc::parse,
            "purpose");
    refused(rechecksum(replace_once(text, "purpose: restore\n", "")), Errc::parse, "purpose");
    refused(rechecksum(replace_once(text, "requester: ", "requester:  ")), Errc::parse,
            "requester");
    refused(rechecksum(replace_once(text, "created: 2026", "created: 2026 ")), Errc::parse,
            "created");
    refused(rechecksum(replace_once(text, "request: ", "Request: ")), Errc::parse, "request");
    // A CR LF copy is read as the original (normalised first); a lone CR is still refused.
    refused(rechecksum(replace_once(text, "\nvault: ", "\n\rvault: ")), Errc::parse,
            "control byte");
    refused(rechecksum(replace_once(text, k_vault_id, "00112233445566778899AABBCCDDEEFF")),
            Errc::parse, "vault");
    refused(rechecksum(replace_once(text, "x25519 ", "x448 ")), Errc::parse, "ephemeral-key");
    // The header hash must be the embedded header's; the backup id the header's.
    {
        const std::size_t at = text.find("header-sha256: ") + 15;
        std::string other = text;
        other[at] = other[at] == '0' ? '1' : '0';
        refused(rechecksum(other), Errc::parse, "header-sha256 is not the hash");
    }
    {
        const std::size_t at = text.find("\nbackup: ") + 9;
        std::string other = text;
        other[at] = other[at] == '0' ? '1' : '0';
        refused(rechecksum(other), Errc::parse, "carries the header of backup");
    }
    // Lifetime: expires after created, at most 30 days.
    refused(rechecksum(replace_once(text, "expires: 2026-11-27", "expires: 2027-11-27")),
            Errc::parse, "at most 30 days");
    // Ceilings: the file, and the declared header size, before anything is allocated.
    refused(std::string(k_max_request_size + 1, 'a'), Errc::limit_exceeded, "larger than any");
    {
        const std::size_t at = text.find("envelope-header: ");
        const std::size_t end = text.find('\n', at);
        std::string big = text;
        big.replace(at, end - at, "envelope-header: 99999999999");
        refused(rechecksum(big), Errc::limit_exceeded, "header size over");
        std::string leading = text;
        leading.replace(at, 17, "envelope-header: 0");
        refused(rechecksum(leading), Errc::parse, "envelope-header");
    }
    refused("not a request\n", Errc::parse, "not an ssoescrow restore request");
}

TEST_CASE("restore approval: round trip, canonical form, truncations and flips", "[restore]") {
    const Fixture fixture = make_fixture();
    const NewRequest made = make_request(fixture);
    const Approval approval = approve(made, fixture.identities[0]);
    const std::string text = serialise_approval(approval);
    auto parsed = parse_approval(as_bytes(text), "A");
    REQUIRE(parsed.ok());
    CHECK(serialise_approval(*parsed) == text);
    CHECK(parsed->custodian == fixture.identities[0].recipient.fingerprint());
    CHECK(parsed->label == "alice");
    CHECK(parsed->approved == k_now + 60);
    CHECK(parsed->wrapped.size() == vault::k_wrapped_share_size);
    // No plaintext share in the approval: the share does not appear in the file.
    auto share = vault::open_stanza(made.request.header, fixture.identities[0]);
    REQUIRE(share.ok());
    const std::string share_hex = to_hex(share->share.y.view());
    CHECK(text.find(share_hex) == std::string::npos);
    CHECK(text.find(to_base64(share->share.y.view())) == std::string::npos);

    for (std::size_t size = 0; size < text.size(); ++size)
        REQUIRE_FALSE(parse_approval(as_bytes(text.substr(0, size)), "A").ok());
    for (std::size_t i = 0; i < text.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            std::string flipped = text;
            flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
            REQUIRE_FALSE(parse_approval(as_bytes(flipped), "A").ok());
        }
    }
    const auto refused = [](const std::string& bad, Errc code, const std::string& message) {
        auto again = parse_approval(as_bytes(bad), "A");
        REQUIRE_FALSE(again.ok());
        CHECK(again.error().code == code);
        CHECK_THAT(again.error().message, Catch::Contains(message));
    };
    refused(rechecksum(
                replace_once(text, "ssoescrow-restore-approval/2", "ssoescrow-restore-approval/7")),
            Errc::unsupported_version, "unsupported version 7");
    refused(rechecksum(
                replace_once(text, "ssoescrow-restore-approval/2", "ssoescrow-restore-approval/1")),
            Errc::unsupported_version, "unsupported version 1");
    refused(rechecksum(replace_once(text, "purpose: restore", "purpose: extract ")), Errc::parse,
            "purpose");
    refused(rechecksum(replace_once(text, "label: alice", "label: alice ")), Errc::parse, "label");
    refused(rechecksum(replace_once(text, "\nx: ", "\nx:  ")), Errc::parse, "x");
    {
        const std::size_t at = text.find("\nx: ") + 4;
        std::string zero = text;
        zero.replace(at, 2, "00");
        refused(rechecksum(zero), Errc::share_x_zero, "x = 00");
    }
    refused(rechecksum(replace_once(text, "custodian: ", "custodian: X")), Errc::parse,
            "custodian");
    refused(std::string(k_max_approval_size + 1, 'a'), Errc::limit_exceeded, "larger than any");
}

TEST_CASE("restore approval: bound to its request, backup, custodian and key", "[restore]") {
    const Fixture fixture = make_fixture();
    const NewRequest first = make_request(fixture);
    const NewRequest second = make_request(fixture);
    const RequestKey first_key = key_of(first);
    const RequestKey second_key = key_of(second);
    const Approval alice = approve(first, fixture.identities[0]);
    const Approval bob = approve(first, fixture.identities[1]);

    auto opened = open_approval(first.request, first_key, alice, "alice.approval");
    REQUIRE(opened.ok());
    CHECK(opened->recipient_fingerprint == fixture.identities[0].recipient.fingerprint());

    // Request A's approval presented for request B.
    auto foreign = open_approval(second.request, second_key, alice, "alice.approval");
    REQUIRE_FALSE(foreign.ok());
    CHECK(foreign.error().code == Errc::share_mismatch);
    CHECK_THAT(foreign.error().message, Catch::Contains("alice.approval (custodian 'alice'"));
    CHECK_THAT(foreign.error().message, Catch::Contains("approves another request"));

    // Relabelled for B (id and request hash copied): the context differs, so it does not open.
    Approval relabelled = alice;
    relabelled.request = second.request.id;
    relabelled.request_sha256 = request_digest(second.request);
    auto forged = open_approval(second.request, second_key, relabelled, "alice.approval");
    REQUIRE_FALSE(forged.ok());
    CHECK(forged.error().code == Errc::auth_failed);
    CHECK_THAT(forged.error().message, Catch::Contains("is corrupt"));

    // Another backup of the same custodians.
    vault::SourceInfo source{"BTS01", "SSODB01", "{4F1C2B7A-0D3E-4E5F-9A8B-1C2D3E4F5A6B}", "", ""};
    const vault::Bundle bundle = make_bundle();
    auto sealed = vault::seal_envelope(fixture.policy, test_support::test_seal(vault_id_bytes()),
                                       source, bundle, k_now);
    REQUIRE(sealed.ok());
    auto made_other = create_request(*sealed, k_vault_id, "operator@bts01", "", k_now, 3600);
    REQUIRE(made_other.ok());
    Approval moved = alice;
    moved.request = made_other->request.id;
    auto other_backup_result =
        open_approval(made_other->request, key_of(*made_other), moved, "alice.approval");
    REQUIRE_FALSE(other_backup_result.ok());
    CHECK(other_backup_result.error().code == Errc::share_mismatch);
    CHECK_THAT(other_backup_result.error().message, Catch::Contains("is for backup"));

    // Swapped custodian: Bob's wrapped share under Alice's name (and x).
    Approval swapped = bob;
    swapped.custodian = alice.custodian;
    swapped.label = alice.label;
    swapped.x = alice.x;
    auto swapped_result = open_approval(first.request, first_key, swapped, "swapped.approval");
    REQUIRE_FALSE(swapped_result.ok());
    CHECK(swapped_result.error().code == Errc::auth_failed);
    // Mismatched x for the named custodian.
    Approval wrong_x = alice;
    wrong_x.x = bob.x;
    auto wrong_x_result = open_approval(first.request, first_key, wrong_x, "x.approval");
    REQUIRE_FALSE(wrong_x_result.ok());
    CHECK_THAT(wrong_x_result.error().message, Catch::Contains("the custodian's stanza has x"));
    // Another vault id.
    Approval vault_moved = alice;
    vault_moved.vault_id = "ffeeddccbbaa99887766554433221100";
    auto vault_result = open_approval(first.request, first_key, vault_moved, "v.approval");
    REQUIRE_FALSE(vault_result.ok());
    CHECK_THAT(vault_result.error().message, Catch::Contains("is for vault"));
    // The wrong request key.
    auto wrong_key = open_approval(first.request, second_key, alice, "alice.approval");
    REQUIRE_FALSE(wrong_key.ok());
    CHECK(wrong_key.error().code == Errc::auth_failed);
    CHECK_FALSE(check_request_key(first.request, second_key, "B.key").ok());
    CHECK(check_request_key(first.request, first_key, "A.key").ok());
}

TEST_CASE("restore request: expiry, clock skew and identities without a stanza", "[restore]") {
    const Fixture fixture = make_fixture();
    const NewRequest made = make_request(fixture, 3600);
    CHECK(check_request_current(made.request, k_now).ok());
    CHECK(check_request_current(made.request, k_now + 3599).ok());
    auto expired = approve_request(made.request, fixture.identities[0], k_now + 3600);
    REQUIRE_FALSE(expired.ok());
    CHECK(expired.error().code == Errc::precondition);
    CHECK_THAT(expired.error().message, Catch::Contains("expired at 2026-11-26T13:34:56Z"));
    auto future = check_request_current(made.request, k_now - 301);
    REQUIRE_FALSE(future.ok());
    CHECK_THAT(future.error().message, Catch::Contains("in the future"));

    const crypto::Identity stranger = crypto::generate_identity("mallory");
    auto no_stanza = approve_request(made.request, stranger, k_now);
    REQUIRE_FALSE(no_stanza.ok());
    CHECK(no_stanza.error().code == Errc::not_found);
    CHECK_THAT(no_stanza.error().message, Catch::Contains(stranger.recipient.fingerprint()));

    CHECK_FALSE(create_request(fixture.envelope, k_vault_id, "op@h", "", k_now, 0).ok());
    CHECK_FALSE(
        create_request(fixture.envelope, k_vault_id, "op@h", "", k_now, 31 * 24 * 3600).ok());
    CHECK_FALSE(
        create_request(fixture.envelope, k_vault_id, "op@h", "bad\nreason", k_now, 60).ok());
}

TEST_CASE("restore request key: round trip, owner binding, damage", "[restore]") {
    const Fixture fixture = make_fixture();
    const NewRequest made = make_request(fixture);
    const SecretBytes text =
        serialise_request_key(made.request.id, made.request.ephemeral_key, made.secret_key);
    auto key = parse_request_key(text, "REQ.key");
    REQUIRE(key.ok());
    CHECK(key->secret_key.equals(made.secret_key));
    CHECK(check_request_key(made.request, *key, "REQ.key").ok());
    // One flipped secret digit: still well-formed, but not the request's key.
    SecretBytes flipped = text.clone();
    flipped[flipped.size() - 2] = flipped[flipped.size() - 2] == '0' ? '1' : '0';
    auto other = parse_request_key(flipped, "REQ.key");
    REQUIRE(other.ok());
    auto mismatch = check_request_key(made.request, *other, "REQ.key");
    REQUIRE_FALSE(mismatch.ok());
    CHECK(mismatch.error().code == Errc::auth_failed);
    // Upper-case hex, truncation, another version.
    SecretBytes upper = text.clone();
    upper[upper.size() - 2] = 'A';
    CHECK_FALSE(parse_request_key(upper, "REQ.key").ok());
    SecretBytes cut = text.clone();
    cut.truncate(cut.size() - 1);
    CHECK_FALSE(parse_request_key(cut, "REQ.key").ok());
    SecretBytes newer = text.clone();
    newer[std::string_view("ssoescrow-restore-key/").size()] = '2';
    auto version = parse_request_key(newer, "REQ.key");
    REQUIRE_FALSE(version.ok());
    CHECK(version.error().code == Errc::unsupported_version);
}

TEST_CASE("check_approvals: duplicates, too few, corrupt ones named, then the backup opens",
          "[restore]") {
    const Fixture fixture = make_fixture(2, 3);
    const NewRequest made = make_request(fixture);
    const RequestKey key = key_of(made);
    const Approval alice = approve(made, fixture.identities[0]);
    const Approval alice_again = approve(made, fixture.identities[0]);
    const Approval carol = approve(made, fixture.identities[2]);

    {
        std::vector<ApprovalInput> inputs;
        inputs.push_back(input_of("alice.approval", alice));
        inputs.push_back(input_of("alice2.approval", alice_again));
        auto checked = check_approvals(made.request, key, inputs, k_now + 120);
        REQUIRE_FALSE(checked.ok());
        CHECK(checked.error().code == Errc::too_few_shares);
        CHECK_THAT(checked.error().message, Catch::Contains("need 2 approvals, have 1"));
        CHECK_THAT(checked.error().hint, Catch::Contains("'bob'"));
        CHECK_THAT(checked.error().hint, Catch::Contains("'carol'"));
    }
    {
        std::vector<ApprovalInput> inputs;
        inputs.push_back(input_of("alice.approval", alice));
        std::string damaged = serialise_approval(carol);
        damaged[damaged.find("wrapped: ") + 12] ^= 0x01;
        inputs.push_back(ApprovalInput{"carol.approval", Result<Bytes>(to_bytes(damaged))});
        auto checked = check_approvals(made.request, key, inputs, k_now + 120);
        REQUIRE_FALSE(checked.ok());
        CHECK_THAT(checked.error().message, Catch::Contains("1 of 2 approval(s) refused"));
        CHECK_THAT(checked.error().message, Catch::Contains("carol.approval"));
        CHECK_THAT(checked.error().hint, Catch::Contains("stay usable: alice.approval"));
    }
    {
        // Forged with a recomputed checksum: the AEAD names it as corrupt.
        std::string forged = serialise_approval(carol);
        const std::size_t at = forged.find("wrapped: ") + 12;
        forged[at] = forged[at] == 'A' ? 'B' : 'A';
        forged = rechecksum(forged);
        std::vector<ApprovalInput> inputs;
        inputs.push_back(input_of("alice.approval", alice));
        inputs.push_back(ApprovalInput{"carol.approval", Result<Bytes>(to_bytes(forged))});
        auto checked = check_approvals(made.request, key, inputs, k_now + 120);
        REQUIRE_FALSE(checked.ok());
        CHECK(checked.error().code == Errc::auth_failed);
        CHECK_THAT(checked.error().message, Catch::Contains("carol.approval (custodian 'carol'"));
        CHECK_THAT(checked.error().message, Catch::Contains("is corrupt"));
    }
    {
        std::vector<ApprovalInput> inputs;
        inputs.push_back(input_of("alice.approval", alice));
        inputs.push_back(input_of("alice2.approval", alice_again));
        inputs.push_back(input_of("carol.approval", carol));
        auto expired = check_approvals(made.request, key, inputs, k_now + 24 * 3600);
        REQUIRE_FALSE(expired.ok());
        CHECK(expired.error().code == Errc::precondition);
        auto checked = check_approvals(made.request, key, inputs, k_now + 120);
        REQUIRE(checked.ok());
        CHECK(checked->shares.size() == 2);
        REQUIRE(checked->duplicates.size() == 1);
        CHECK_THAT(checked->duplicates[0], Catch::Contains("alice2.approval"));
        CHECK_THAT(checked->duplicates[0], Catch::Contains("counted once"));
        auto bundle = vault::combine_and_open(fixture.envelope, checked->shares);
        REQUIRE(bundle.ok());
        CHECK(bundle->bak.equals(fixture.bundle.bak));
        CHECK(bundle->password.equals(fixture.bundle.password));
    }
}

TEST_CASE("restore receipts: round trip, canonical, audit schema", "[restore]") {
    Receipt receipt;
    receipt.vault_id = k_vault_id;
    receipt.time = k_now;
    receipt.actor = "operator@bts01";
    receipt.backup_id = "6f1c0d3e9a8b4c2d1e0f5a6b7c8d9e0f";
    receipt.request_id = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    receipt.node = "N1";
    receipt.msid = "{4F1C2B7A-0D3E-4E5F-9A8B-1C2D3E4F5A6B}";
    receipt.custodians = {"1a2b-3c4d-5e6f-7a8b-9c0d-1e2f-3a4b-5c6d",
                          "7f00-12ab-0000-1111-2222-3333-4444-e3e3"};
    const std::string text = serialise_receipt(receipt);
    auto parsed = parse_receipt(as_bytes(text), "R");
    REQUIRE(parsed.ok());
    CHECK(serialise_receipt(*parsed) == text);
    CHECK_FALSE(parsed->drill);
    CHECK(parsed->purpose == Purpose::restore);
    CHECK_FALSE(parsed->password_proven);
    CHECK(parsed->to_record().type == vault::AuditType::restore);
    CHECK(parsed->to_record().field("purpose") == "restore");
    CHECK(parsed->to_record().field("password") == "not-proven");
    CHECK_FALSE(vault::receipt_proves_password(parsed->to_record()));
    {
        Receipt proven = receipt;
        proven.drill = true;
        proven.purpose = Purpose::extract;
        proven.password_proven = true;
        auto again = parse_receipt(as_bytes(serialise_receipt(proven)), "R");
        REQUIRE(again.ok());
        CHECK(again->drill);
        CHECK(again->purpose == Purpose::extract);
        CHECK(again->password_proven);
        CHECK(vault::receipt_proves_password(again->to_record()));
    }
    // Records written before the purpose and password fields: a restore of a node proves the
    // password (ENTSSO accepted it), an extraction and a drill do not.
    {
        vault::AuditRecord old = receipt.to_record();
        std::erase_if(old.fields, [](const vault::AuditField& field) {
            return field.key == "purpose" || field.key == "password";
        });
        old.seq = 2;
        old.prev = std::string(64, '0');
        REQUIRE(vault::sign_audit_record(old, crypto::generate_signing_key("host1")));
        CHECK(old.validate().ok());
        CHECK(vault::receipt_proves_password(old));
        old.fields[2].value = "extract@host1";  // node
        CHECK_FALSE(vault::receipt_proves_password(old));
        old.type = vault::AuditType::drill;
        old.fields[2].value = "N1";
        CHECK_FALSE(vault::receipt_proves_password(old));
    }
    for (std::size_t size = 0; size < text.size(); ++size)
        REQUIRE_FALSE(parse_receipt(as_bytes(text.substr(0, size)), "R").ok());
    std::string flipped = text;
    flipped[text.find("node: ") + 6] ^= 0x20;
    auto damaged = parse_receipt(as_bytes(flipped), "R");
    REQUIRE_FALSE(damaged.ok());
    CHECK(damaged.error().code == Errc::auth_failed);
    // A receipt without custodians is not a valid restore record.
    Receipt none = receipt;
    none.custodians.clear();
    CHECK_FALSE(parse_receipt(as_bytes(serialise_receipt(none)), "R").ok());
}

TEST_CASE("restore receipts, version 2: the run's id is written, read and recorded", "[restore]") {
    Receipt receipt;
    receipt.id = "5f0c2a9e7b3d41c6a8e9f1d2b4c6a8e0";
    receipt.vault_id = k_vault_id;
    receipt.time = k_now;
    receipt.actor = "operator@bts01";
    receipt.drill = true;
    receipt.backup_id = "6f1c0d3e9a8b4c2d1e0f5a6b7c8d9e0f";
    receipt.request_id = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    receipt.purpose = Purpose::drill;
    receipt.node = "N1";
    receipt.msid = "{4F1C2B7A-0D3E-4E5F-9A8B-1C2D3E4F5A6B}";
    receipt.custodians = {"1a2b-3c4d-5e6f-7a8b-9c0d-1e2f-3a4b-5c6d"};
    const std::string text = serialise_receipt(receipt);
    CHECK(text.starts_with("ssoescrow-restore-receipt/2\nreceipt: " + receipt.id + "\nvault: "));
    auto parsed = parse_receipt(as_bytes(text), "R");
    REQUIRE(parsed.ok());
    CHECK(parsed->id == receipt.id);
    CHECK(serialise_receipt(*parsed) == text);
    CHECK(parsed->to_record().field("receipt") == receipt.id);

    // Two runs within one second differ only by their ids: two receipts, two records.
    Receipt other = receipt;
    other.id = "0123456789abcdef0123456789abcdef";
    CHECK(serialise_receipt(other) != text);
    CHECK_FALSE(parsed->to_record().fields == other.to_record().fields);

    // Version 1 (no id line) is still read, and recorded without the field.
    Receipt v1 = receipt;
    v1.id.clear();
    const std::string v1_text = serialise_receipt(v1);
    CHECK(v1_text.starts_with("ssoescrow-restore-receipt/1\nvault: "));
    auto old = parse_receipt(as_bytes(v1_text), "R");
    REQUIRE(old.ok());
    CHECK(old->id.empty());
    CHECK(old->to_record().field("receipt").empty());

    // The magic decides the layout: a version 1 magic over a version 2 body, a bad id, an
    // unknown version are refused.
    std::string mixed = text;
    mixed.replace(0, 27, "ssoescrow-restore-receipt/1");
    CHECK_FALSE(parse_receipt(as_bytes(mixed), "R").ok());
    Receipt bad = receipt;
    bad.id = "not-hex-not-hex-not-hex-not-hex!";
    auto bad_parsed = parse_receipt(as_bytes(serialise_receipt(bad)), "R");
    REQUIRE_FALSE(bad_parsed.ok());
    CHECK(bad_parsed.error().message.find("receipt") != std::string::npos);
    std::string v3 = text;
    v3[26] = '3';
    auto future = parse_receipt(as_bytes(v3), "R");
    REQUIRE_FALSE(future.ok());
    CHECK(future.error().code == Errc::unsupported_version);
}

TEST_CASE("restore approval: binds the whole request, every edit voids it", "[restore]") {
    const Fixture fixture = make_fixture();
    const NewRequest made = make_request(fixture, 3600);
    const RequestKey key = key_of(made);
    const Approval alice = approve(made, fixture.identities[0]);
    const std::string text = serialise_request(made.request);
    REQUIRE(open_approval(made.request, key, alice, "alice.approval").ok());
    CHECK(alice.request_sha256 == request_digest(made.request));
    CHECK(alice.purpose == Purpose::restore);
    // The fingerprint custodians compare by phone is a prefix of the hash the approval binds.
    CHECK(request_fingerprint(made.request).substr(0, 4) ==
          to_hex(ByteView(alice.request_sha256.data(), 2)));

    const std::string expires = vault::format_time(made.request.expires);
    const std::string created = vault::format_time(made.request.created);
    const std::string later = vault::format_time(made.request.expires + 7 * 24 * 3600);
    const std::string earlier = vault::format_time(made.request.created - 60);
    const std::vector<std::pair<std::string, std::string>> edits = {
        {"purpose: restore", "purpose: extract"},
        {"purpose: restore", "purpose: drill"},
        {"expires: " + expires, "expires: " + later},  // attack 5: expiry pushed out
        {"created: " + created, "created: " + earlier},
        {"requester: operator@bts01", "requester: mallory@evil"},
        {"reason: server rebuilt", "reason: server rebuilt twice"},
        {"reason: server rebuilt", "reason:"},
    };
    for (const auto& [from, to] : edits) {
        INFO(from << " -> " << to);
        auto edited = parse_request(as_bytes(rechecksum(replace_once(text, from, to))), "REQ");
        REQUIRE(edited.ok());
        CHECK(request_fingerprint(*edited) != request_fingerprint(made.request));
        auto opened = open_approval(*edited, key, alice, "alice.approval");
        REQUIRE_FALSE(opened.ok());
        CHECK(opened.error().code == Errc::share_mismatch);
        CHECK_THAT(opened.error().message, Catch::Contains("edited after it was approved"));
        // Rewriting the approval's copy of the hash (and purpose) too does not help: the hash
        // is in the share's associated data, so the share does not open.
        Approval forged = alice;
        forged.request_sha256 = request_digest(*edited);
        forged.purpose = edited->purpose;
        auto forged_open = open_approval(*edited, key, forged, "alice.approval");
        REQUIRE_FALSE(forged_open.ok());
        CHECK(forged_open.error().code == Errc::auth_failed);
        CHECK_THAT(forged_open.error().message, Catch::Contains("is corrupt"));
    }
    // The ephemeral key swapped (with the attacker's own key file): voided the same way.
    {
        NewRequest other = make_request(fixture, 3600);
        RestoreRequest swapped = made.request;
        swapped.ephemeral_key = other.request.ephemeral_key;
        Approval forged = alice;
        forged.request_sha256 = request_digest(swapped);
        RequestKey other_key = key_of(other);
        other_key.request = swapped.id;
        auto opened = open_approval(swapped, other_key, forged, "alice.approval");
        REQUIRE_FALSE(opened.ok());
        CHECK(opened.error().code == Errc::auth_failed);
    }
    // check_approvals applies it to every approval, naming each.
    const std::vector<ApprovalInput> inputs{
        input_of("alice.approval", alice),
        input_of("bob.approval", approve(made, fixture.identities[1]))};
    auto edited = parse_request(
        as_bytes(rechecksum(replace_once(text, "expires: " + expires, "expires: " + later))),
        "REQ");
    REQUIRE(edited.ok());
    auto checked = check_approvals(*edited, key, inputs, k_now + 120);
    REQUIRE_FALSE(checked.ok());
    CHECK_THAT(checked.error().message, Catch::Contains("2 of 2 approval(s) refused"));
    CHECK_THAT(checked.error().message, Catch::Contains("bob.approval"));
    CHECK(check_approvals(made.request, key, inputs, k_now + 120).ok());
}

TEST_CASE("restore request: the purpose decides which apply modes are allowed", "[restore]") {
    const Fixture fixture = make_fixture();
    const auto request_for = [&](Purpose purpose) {
        auto made = create_request(fixture.envelope, k_vault_id, "operator@bts01", "", k_now, 3600,
                                   purpose);
        REQUIRE(made.ok());
        auto parsed = parse_request(as_bytes(serialise_request(made->request)), "REQ");
        REQUIRE(parsed.ok());
        CHECK(parsed->purpose == purpose);
        return std::move(made).value();
    };
    const NewRequest restore_request = request_for(Purpose::restore);
    const NewRequest drill_request = request_for(Purpose::drill);
    const NewRequest extract_request = request_for(Purpose::extract);
    // A plain drill: every purpose.
    for (const NewRequest* made : {&restore_request, &drill_request, &extract_request})
        CHECK(check_purpose(made->request, ApplyMode::drill, false).ok());
    // A restore, and a drill that restores on a drill server: restore and extract.
    CHECK(check_purpose(restore_request.request, ApplyMode::restore, false).ok());
    CHECK(check_purpose(extract_request.request, ApplyMode::restore, false).ok());
    CHECK(check_purpose(restore_request.request, ApplyMode::drill, true).ok());
    CHECK(check_purpose(extract_request.request, ApplyMode::drill, true).ok());
    // An extraction: extract only.
    CHECK(check_purpose(extract_request.request, ApplyMode::extract, false).ok());
    const auto refused = [](const NewRequest& made, ApplyMode mode, bool drill_server,
                            const std::string& purpose, const std::string& what) {
        auto status = check_purpose(made.request, mode, drill_server);
        REQUIRE_FALSE(status.ok());
        CHECK(status.error().code == Errc::precondition);
        CHECK_THAT(status.error().message, Catch::Contains("made for the purpose " + purpose));
        CHECK_THAT(status.error().message, Catch::Contains(what));
    };
    refused(drill_request, ApplyMode::extract, false, "drill", "an extraction (--extract)");
    refused(restore_request, ApplyMode::extract, false, "restore", "an extraction (--extract)");
    refused(drill_request, ApplyMode::restore, false, "drill", "a restore (--bridge)");
    refused(drill_request, ApplyMode::drill, true, "drill", "--drill-server");
    CHECK_THAT(check_purpose(drill_request.request, ApplyMode::extract, false).error().hint,
               Catch::Contains("--purpose extract"));
    CHECK(parse_purpose("restore").ok());
    CHECK_FALSE(parse_purpose("Restore").ok());
    CHECK_FALSE(parse_purpose("").ok());
}

namespace {

// What Notepad or a mail program makes of a file: a byte order mark, CR LF, blank lines at the end.
std::string windows_copy(const std::string& text) {
    std::string out = "\xEF\xBB\xBF";
    for (char c : text) {
        if (c == '\n')
            out += '\r';
        out += c;
    }
    return out + "\r\n\r\n";
}

}  // namespace

TEST_CASE("exchanged files: a Windows copy of a request, approval or receipt reads as the original",
          "[restore]") {
    const Fixture fixture = make_fixture();
    const NewRequest made = make_request(fixture);
    const RequestKey key = key_of(made);
    const std::string text = serialise_request(made.request);

    // The request: same fields, and the same digest, which every approval binds.
    auto copied = parse_request(as_bytes(windows_copy(text)), "REQ.txt");
    REQUIRE(copied.ok());
    CHECK(serialise_request(*copied) == text);
    CHECK(request_digest(*copied) == request_digest(made.request));
    CHECK(request_fingerprint(*copied) == request_fingerprint(made.request));

    // An approval made from the Windows copy opens with the original, and a Windows copy of an
    // approval made from the original opens too: both bind the canonical request.
    auto approved_copy = approve_request(*copied, fixture.identities[0], k_now + 60);
    REQUIRE(approved_copy.ok());
    const Approval from_copy = std::move(approved_copy).value();
    const Approval from_original = approve(made, fixture.identities[1]);
    CHECK(from_copy.request_sha256 == from_original.request_sha256);
    const std::vector<ApprovalInput> inputs = {
        input_of("alice.approval", from_copy),
        ApprovalInput{"bob.approval",
                      Result<Bytes>(to_bytes(windows_copy(serialise_approval(from_original))))}};
    auto checked = check_approvals(made.request, key, inputs, k_now + 120);
    REQUIRE(checked.ok());
    CHECK(checked->custodians.size() == 2);
    REQUIRE(vault::combine_and_open(fixture.envelope, checked->shares).ok());

    // A receipt.
    Receipt receipt;
    receipt.vault_id = k_vault_id;
    receipt.time = k_now;
    receipt.actor = "operator@bts01";
    receipt.backup_id = "6f1c0d3e9a8b4c2d1e0f5a6b7c8d9e0f";
    receipt.request_id = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    receipt.node = "N1";
    receipt.msid = "{4F1C2B7A-0D3E-4E5F-9A8B-1C2D3E4F5A6B}";
    receipt.custodians = {"1a2b-3c4d-5e6f-7a8b-9c0d-1e2f-3a4b-5c6d"};
    const std::string receipt_text = serialise_receipt(receipt);
    auto receipt_copy = parse_receipt(as_bytes(windows_copy(receipt_text)), "R.txt");
    REQUIRE(receipt_copy.ok());
    CHECK(serialise_receipt(*receipt_copy) == receipt_text);

    // The request key stays strict, and says why.
    const SecretBytes key_text =
        serialise_request_key(made.request.id, made.request.ephemeral_key, made.secret_key);
    const std::string key_copy =
        windows_copy(std::string(reinterpret_cast<const char*>(key_text.data()), key_text.size()))
            .substr(3);
    auto strict = parse_request_key(SecretBytes::copy_of(as_bytes(key_copy)), "REQ.key");
    REQUIRE_FALSE(strict.ok());
    CHECK_THAT(strict.error().message, Catch::Contains("Windows line ends (CR LF)"));
    CHECK(strict.error().code == Errc::parse);
}
