// The rekey ceremony's files (src/rekey/ceremony.hpp, FORMAT.md 4.10): the request round trip,
// approvals bound to the ceremony, shares that recombine to each backup's file key, and the
// refusals: too few approvals, a stale ceremony (another nonce), an edited request, a custodian
// who is not in the old policy, and restore and rekey approvals never standing in for each other.
#include <catch2/catch.hpp>

#include <algorithm>

#include "src/rekey/ceremony.hpp"
#include "src/restore/request.hpp"
#include "test_vault_layout_support.hpp"

using namespace vault_test;
using ssoescrow::rekey::ApprovalFile;
using ssoescrow::rekey::RekeyRequest;

namespace {

struct Ceremony {
    TempDir dir;
    Custodians old_set = make_custodians(2, 3, "old");  // A, B, C
    crypto::Identity dave = crypto::generate_identity("dave");
    EscrowPolicy new_policy;  // B, C, D; 2 of 3
    Vault vault = make_vault(dir.path() / "v", old_set.policy);
    std::vector<Bytes> envelopes;

    Ceremony() {
        new_policy = old_set.policy;
        new_policy.recipients = {old_set.identities[1].recipient, old_set.identities[2].recipient,
                                 dave.recipient};
        envelopes.push_back(seal_at(vault, old_set.policy, k_t0 + 10));
        envelopes.push_back(seal_at(vault, old_set.policy, k_t0 + 20));
    }

    rekey::NewRekeyRequest request(std::int64_t now = k_t0 + 100) const {
        auto made =
            rekey::create_rekey_request(envelopes, vault.vault_id(), old_set.policy.fingerprint(),
                                        new_policy, "operator@host", "alice left", now, 86400);
        REQUIRE(made.ok());
        return std::move(made).value();
    }
};

restore::RequestKey key_of(rekey::NewRekeyRequest& made) {
    return restore::RequestKey{made.request.id, made.request.ephemeral_key,
                               crypto::SecretBytes::copy_of(made.secret_key.view())};
}

ApprovalFile approval_file(const RekeyRequest& request, const crypto::Identity& identity,
                           const std::string& name, std::int64_t now = k_t0 + 200) {
    auto approval = rekey::approve_rekey(request, identity, now);
    REQUIRE(approval.ok());
    const std::string text = rekey::serialise_rekey_approval(*approval);
    return ApprovalFile{name, Bytes(text.begin(), text.end())};
}

}  // namespace

TEST_CASE("rekey request: canonical round trip, checksum, other kinds named", "[rekey]") {
    Ceremony c;
    auto made = c.request();
    const std::string text = rekey::serialise_rekey_request(made.request);
    auto parsed = rekey::parse_rekey_request(as_bytes(text), "rkreq");
    REQUIRE(parsed.ok());
    CHECK(rekey::serialise_rekey_request(*parsed) == text);
    CHECK(parsed->headers.size() == 2);
    CHECK(parsed->new_policy_fingerprint() == c.new_policy.normalised()->fingerprint());
    CHECK(rekey::rekey_fingerprint(*parsed).size() == 39);

    std::string damaged = text;
    damaged[text.find("alice left")] = 'A';
    auto refused = rekey::parse_rekey_request(as_bytes(damaged), "rkreq");
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message.find("damaged") != std::string::npos);

    auto restore_request = restore::create_request(c.envelopes[0], c.vault.vault_id(), "op@host",
                                                   "", k_t0 + 100, 3600);
    REQUIRE(restore_request.ok());
    const std::string restore_text = restore::serialise_request(restore_request->request);
    auto other_kind = rekey::parse_rekey_request(as_bytes(restore_text), "req");
    REQUIRE_FALSE(other_kind.ok());
    CHECK(other_kind.error().message.find("is a restore request, not a rekey request") !=
          std::string::npos);

    // The new policy must differ from the old one.
    auto same =
        rekey::create_rekey_request(c.envelopes, c.vault.vault_id(), c.old_set.policy.fingerprint(),
                                    c.old_set.policy, "op@host", "", k_t0, 3600);
    REQUIRE_FALSE(same.ok());
    CHECK(same.error().message.find("nothing to rekey") != std::string::npos);
}

TEST_CASE("rekey approvals: K old custodians give every backup's file key", "[rekey]") {
    Ceremony c;
    auto made = c.request();
    const restore::RequestKey key = key_of(made);
    const std::vector<ApprovalFile> approvals{
        approval_file(made.request, c.old_set.identities[0], "alice.rkapproval"),
        approval_file(made.request, c.old_set.identities[1], "bob.rkapproval")};
    auto parsed = rekey::parse_rekey_approval(approvals[0].bytes, "alice.rkapproval");
    REQUIRE(parsed.ok());
    CHECK(parsed->shares.size() == 2);
    CHECK(rekey::serialise_rekey_approval(*parsed) ==
          std::string(approvals[0].bytes.begin(), approvals[0].bytes.end()));

    auto shares = rekey::open_rekey_approvals(made.request, key, approvals, k_t0 + 300);
    REQUIRE(shares.ok());
    REQUIRE(shares->size() == 2);
    for (std::size_t i = 0; i < 2; ++i) {
        // The result is in the request's order (ascending backup id).
        auto header = parse_envelope_header(c.envelopes[i]);
        REQUIRE(header.ok());
        const auto of_backup = std::find_if(
            shares->begin(), shares->end(),
            [&](const rekey::BackupShares& b) { return b.backup_id == header->backup_id; });
        REQUIRE(of_backup != shares->end());
        auto rekeyed = combine_and_open(c.envelopes[i], of_backup->shares);
        INFO((rekeyed.ok() ? std::string() : rekeyed.error().message));
        REQUIRE(rekeyed.ok());
        // The same bundle as the custodians' own stanzas give.
        std::vector<CustodianShare> direct;
        for (std::size_t j = 1; j < 3; ++j) {
            auto share = open_stanza(*header, c.old_set.identities[j]);
            REQUIRE(share.ok());
            direct.push_back(std::move(share).value());
        }
        auto original = combine_and_open(c.envelopes[i], direct);
        REQUIRE(original.ok());
        CHECK(rekeyed->bak_sha256 == original->bak_sha256);
        CHECK(rekeyed->bak.view().size() == original->bak.view().size());
    }
}

TEST_CASE("rekey approvals: the refusals", "[rekey]") {
    Ceremony c;
    auto made = c.request();
    const restore::RequestKey key = key_of(made);
    const ApprovalFile alice = approval_file(made.request, c.old_set.identities[0], "alice");
    const ApprovalFile bob = approval_file(made.request, c.old_set.identities[1], "bob");

    SECTION("too few approvals") {
        auto one = rekey::open_rekey_approvals(made.request, key, std::vector{alice}, k_t0 + 300);
        REQUIRE_FALSE(one.ok());
        CHECK(one.error().code == Errc::too_few_shares);
        CHECK(one.error().message.find("need 2 approvals for backup") != std::string::npos);
        // The same custodian twice counts once.
        auto twice =
            rekey::open_rekey_approvals(made.request, key, std::vector{alice, alice}, k_t0 + 300);
        REQUIRE_FALSE(twice.ok());
        CHECK(twice.error().code == Errc::too_few_shares);
    }
    SECTION("a stale ceremony: an approval of another request (another nonce)") {
        auto other = c.request(k_t0 + 150);
        const ApprovalFile stale = approval_file(other.request, c.old_set.identities[2], "carol");
        auto refused =
            rekey::open_rekey_approvals(made.request, key, std::vector{alice, stale}, k_t0 + 300);
        REQUIRE_FALSE(refused.ok());
        CHECK(refused.error().code == Errc::share_mismatch);
        CHECK(refused.error().message.find("approves another rekey request") != std::string::npos);
        CHECK(refused.error().hint.find("alice") != std::string::npos);
    }
    SECTION("an edited request voids its approvals") {
        RekeyRequest edited = made.request;
        edited.reason = "nothing to see";
        auto refused =
            rekey::open_rekey_approvals(edited, key, std::vector{alice, bob}, k_t0 + 300);
        REQUIRE_FALSE(refused.ok());
        CHECK(refused.error().message.find("edited after it was approved") != std::string::npos);
    }
    SECTION("a custodian who is not in the old policy has nothing to approve") {
        auto refused = rekey::approve_rekey(made.request, c.dave, k_t0 + 200);
        REQUIRE_FALSE(refused.ok());
        CHECK(refused.error().code == Errc::not_found);
    }
    SECTION("an expired request is refused on both sides") {
        CHECK_FALSE(
            rekey::approve_rekey(made.request, c.old_set.identities[0], k_t0 + 100 + 86400).ok());
        auto late = rekey::open_rekey_approvals(made.request, key, std::vector{alice, bob},
                                                k_t0 + 100 + 86400);
        REQUIRE_FALSE(late.ok());
        CHECK(late.error().code == Errc::precondition);
    }
    SECTION("a share re-wrapped under another label does not open") {
        auto approval = rekey::parse_rekey_approval(bob.bytes, "bob");
        REQUIRE(approval.ok());
        // Bob's genuine share of the approval's first backup (the request's first header).
        REQUIRE(approval->shares[0].backup_id == made.request.headers[0].backup_id);
        auto share = open_stanza(made.request.headers[0], c.old_set.identities[1]);
        REQUIRE(share.ok());
        // What a restore approval of the same share would carry (its own context).
        auto wrapped = crypto::wrap_to_recipient(made.request.ephemeral_key, share->share.y.view(),
                                                 to_bytes("ssoescrow/1 restore-approval"));
        REQUIRE(wrapped.ok());
        approval->shares[0].wrapped = *wrapped;
        const std::string text = rekey::serialise_rekey_approval(*approval);
        const ApprovalFile forged{"bob-forged", Bytes(text.begin(), text.end())};
        auto refused =
            rekey::open_rekey_approvals(made.request, key, std::vector{alice, forged}, k_t0 + 300);
        REQUIRE_FALSE(refused.ok());
        CHECK(refused.error().code == Errc::auth_failed);
    }
}

TEST_CASE("rekey and restore approvals never stand in for each other", "[rekey]") {
    Ceremony c;
    auto made = c.request();
    auto restore_request = restore::create_request(c.envelopes[0], c.vault.vault_id(), "op@host",
                                                   "", k_t0 + 100, 3600);
    REQUIRE(restore_request.ok());
    auto restore_approval =
        restore::approve_request(restore_request->request, c.old_set.identities[0], k_t0 + 200);
    REQUIRE(restore_approval.ok());
    const std::string restore_text = restore::serialise_approval(*restore_approval);

    // A restore approval offered to a rekey.
    auto as_rekey = rekey::parse_rekey_approval(as_bytes(restore_text), "alice.approval");
    REQUIRE_FALSE(as_rekey.ok());
    CHECK(as_rekey.error().message.find("is a restore approval, not a rekey approval") !=
          std::string::npos);

    // A rekey approval offered to a restore.
    auto rekey_approval = rekey::approve_rekey(made.request, c.old_set.identities[0], k_t0 + 200);
    REQUIRE(rekey_approval.ok());
    const std::string rekey_text = rekey::serialise_rekey_approval(*rekey_approval);
    auto as_restore = restore::parse_approval(as_bytes(rekey_text), "alice.rkapproval");
    REQUIRE_FALSE(as_restore.ok());
    CHECK(as_restore.error().code == Errc::precondition);
    CHECK(as_restore.error().message.find("is a rekey approval, not a restore approval") !=
          std::string::npos);
    // And a rekey request offered as a restore request.
    const std::string rekey_request = rekey::serialise_rekey_request(made.request);
    auto request_as_restore = restore::parse_request(as_bytes(rekey_request), "rkreq");
    REQUIRE_FALSE(request_as_restore.ok());
    CHECK(request_as_restore.error().message.find("is a rekey request, not a restore request") !=
          std::string::npos);
}

namespace {

ApprovalFile as_file(const std::string& name, const std::string& text) {
    return ApprovalFile{name, Bytes(text.begin(), text.end())};
}

// Rewrites a proof as an approval (version line, time field, checksum recomputed): what an
// attacker who swaps the kinds would make.
std::string proof_as_approval(std::string text) {
    text.replace(0, rekey::k_rekey_proof_magic.size(), rekey::k_rekey_approval_magic);
    text.replace(text.find("\nproved: "), 9, "\napproved: ");
    text.erase(text.rfind("checksum: "));
    return restore::with_checksum(std::move(text));
}

}  // namespace

TEST_CASE("rekey proofs: K2 new custodians open every pending envelope", "[rekey]") {
    Ceremony c;
    auto made = c.request();
    const restore::RequestKey key = key_of(made);
    std::vector<Bytes> pending_files{seal_at(c.vault, c.new_policy, k_t0 + 10),
                                     seal_at(c.vault, c.new_policy, k_t0 + 20)};
    auto pending = rekey::pending_headers(pending_files);
    REQUIRE(pending.ok());
    REQUIRE(pending->headers.size() == 2);
    CHECK(pending->headers[0].backup_id < pending->headers[1].backup_id);

    auto dave = rekey::prove_rekey(made.request, *pending, c.dave, k_t0 + 300);
    REQUIRE(dave.ok());
    CHECK(dave->shares.size() == 2);
    const std::string dave_text = rekey::serialise_rekey_proof(*dave);
    auto parsed = rekey::parse_rekey_proof(as_bytes(dave_text), "dave.rkproof");
    REQUIRE(parsed.ok());
    CHECK(rekey::serialise_rekey_proof(*parsed) == dave_text);
    auto bob = rekey::prove_rekey(made.request, *pending, c.old_set.identities[1], k_t0 + 300);
    REQUIRE(bob.ok());
    const std::string bob_text = rekey::serialise_rekey_proof(*bob);

    // Alice is not in the new policy: no stanza of any pending envelope.
    auto alice = rekey::prove_rekey(made.request, *pending, c.old_set.identities[0], k_t0 + 300);
    REQUIRE_FALSE(alice.ok());
    CHECK(alice.error().code == Errc::not_found);

    auto shares = rekey::open_rekey_proofs(
        made.request, key, *pending,
        std::vector{as_file("dave", dave_text), as_file("bob", bob_text)}, k_t0 + 400);
    REQUIRE(shares.ok());
    REQUIRE(shares->size() == 2);
    for (std::size_t i = 0; i < shares->size(); ++i) {
        // pending_headers sorted the headers; the files were sealed in creation order.
        const Bytes& file =
            pending->headers[i].created == k_t0 + 10 ? pending_files[0] : pending_files[1];
        CHECK(combine_and_open(file, (*shares)[i].shares).ok());
    }

    auto one = rekey::open_rekey_proofs(made.request, key, *pending,
                                        std::vector{as_file("dave", dave_text)}, k_t0 + 400);
    REQUIRE_FALSE(one.ok());
    CHECK(one.error().code == Errc::too_few_shares);
    CHECK(one.error().message.find("need 2 proofs for backup") != std::string::npos);

    // Proofs of other pending envelopes (a ceremony prepared again) prove nothing here.
    std::vector<Bytes> again{seal_at(c.vault, c.new_policy, k_t0 + 10)};
    auto other = rekey::pending_headers(again);
    REQUIRE(other.ok());
    auto stale = rekey::open_rekey_proofs(
        made.request, key, *other,
        std::vector{as_file("dave", dave_text), as_file("bob", bob_text)}, k_t0 + 400);
    REQUIRE_FALSE(stale.ok());
    CHECK(stale.error().code == Errc::too_few_shares);
}

TEST_CASE("rekey proofs and approvals never stand in for each other", "[rekey]") {
    Ceremony c;
    auto made = c.request();
    const restore::RequestKey key = key_of(made);
    const ApprovalFile alice = approval_file(made.request, c.old_set.identities[0], "alice");
    std::vector<Bytes> pending_files{seal_at(c.vault, c.new_policy, k_t0 + 10)};
    auto pending = rekey::pending_headers(pending_files);
    REQUIRE(pending.ok());
    auto dave = rekey::prove_rekey(made.request, *pending, c.dave, k_t0 + 300);
    REQUIRE(dave.ok());
    const std::string dave_text = rekey::serialise_rekey_proof(*dave);

    auto proof_as_approval_file = rekey::parse_rekey_approval(as_bytes(dave_text), "dave");
    REQUIRE_FALSE(proof_as_approval_file.ok());
    CHECK(proof_as_approval_file.error().message.find("is a rekey proof") != std::string::npos);
    auto approval_as_proof = rekey::parse_rekey_proof(alice.bytes, "alice");
    REQUIRE_FALSE(approval_as_proof.ok());
    CHECK(approval_as_proof.error().message.find("is a rekey approval") != std::string::npos);
    auto restore_parse = restore::parse_approval(as_bytes(dave_text), "dave");
    CHECK_FALSE(restore_parse.ok());

    // Bob holds a share in the old and the new policy. A "proof" of the covered backups,
    // rewritten as an approval, does not open: the associated data's label differs.
    rekey::PendingHeaders covered{made.request.envelope_headers, made.request.headers};
    auto bob = rekey::prove_rekey(made.request, covered, c.old_set.identities[1], k_t0 + 300);
    REQUIRE(bob.ok());
    const std::string forged = proof_as_approval(rekey::serialise_rekey_proof(*bob));
    REQUIRE(rekey::parse_rekey_approval(as_bytes(forged), "bob").ok());
    auto opened = rekey::open_rekey_approvals(
        made.request, key, std::vector{alice, as_file("bob", forged)}, k_t0 + 400);
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.error().code == Errc::auth_failed);
    CHECK(opened.error().message.find("is corrupt") != std::string::npos);
}
