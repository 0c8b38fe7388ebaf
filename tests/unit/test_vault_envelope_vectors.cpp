// Envelope test vectors (vault/FORMAT.md section 3.13).
//
// "[.generate]" (hidden; run explicitly with `unit_tests "[.generate]"`) writes the vectors to
// tests/vectors/envelope/ and the fuzz seeds to tests/fuzz/corpus/fuzz_envelope/. The normal test
// reads every vector and checks its expected outcome through the real open path.
//
// The generator contains an encoder written from FORMAT.md alone (it computes commitments, wrap
// contexts, the header MAC and the AEAD from the primitives, without seal_envelope), used for the
// vectors that need a correct MAC and AEAD around a bad bundle, and checked against the reader.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "crypto/aead.hpp"
#include "crypto/custodian_key.hpp"
#include "crypto/hash.hpp"
#include "crypto/kdf.hpp"
#include "crypto/random.hpp"
#include "crypto/shamir.hpp"
#include "test_signing_support.hpp"
#include "vault/envelope.hpp"
#include "vault/policy.hpp"

using namespace ssoescrow;
using namespace ssoescrow::vault;
using crypto::SecretBytes;
namespace fs = std::filesystem;

namespace {

const fs::path k_vector_dir = fs::path(SSOESCROW_TESTS_DIR) / "vectors" / "envelope";
const fs::path k_seed_dir = fs::path(SSOESCROW_TESTS_DIR) / "fuzz" / "corpus" / "fuzz_envelope";
constexpr std::string_view k_passphrase = "ssoescrow test vector";
const std::vector<std::string> k_names = {"alice", "bob", "carol", "dave", "erin"};
constexpr std::int64_t k_created = 1795696496;  // 2026-11-26T12:34:56Z
constexpr std::string_view k_created_text = "2026-11-26T12:34:56Z";

Bytes read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.good());
    return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_file(const fs::path& path, ByteView data) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    REQUIRE(out.good());
    out.write(reinterpret_cast<const char*>(data.data()),
              static_cast<std::streamsize>(data.size()));
    REQUIRE(out.good());
}

std::string text_of(ByteView data) {
    return std::string(data.begin(), data.end());
}

std::string replace_once(const std::string& text, const std::string& from, const std::string& to) {
    auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    std::string out = text;
    out.replace(at, from.size(), to);
    return out;
}

const char* errc_name(Errc code) {
    switch (code) {
        case Errc::parse:
            return "parse";
        case Errc::unsupported_version:
            return "unsupported_version";
        case Errc::limit_exceeded:
            return "limit_exceeded";
        case Errc::auth_failed:
            return "auth_failed";
        case Errc::not_found:
            return "not_found";
        case Errc::share_x_zero:
            return "share_x_zero";
        case Errc::share_duplicate:
            return "share_duplicate";
        case Errc::share_length:
            return "share_length";
        case Errc::share_mismatch:
            return "share_mismatch";
        case Errc::too_few_shares:
            return "too_few_shares";
        case Errc::invalid_argument:
            return "invalid_argument";
        default:
            return "other";
    }
}

SecretBytes passphrase() {
    return SecretBytes::copy_of(as_bytes(k_passphrase));
}

// The test bundle: deterministic, not secret.
Bundle vector_bundle(std::string reminder = "the usual vector reminder") {
    Bundle bundle;
    Bytes bak;
    for (std::size_t i = 0; i < 300; ++i) {
        bak.push_back(static_cast<std::uint8_t>((i * 37 + 11) & 0xff));
    }
    bundle.bak = SecretBytes::copy_of(bak);
    bundle.password = SecretBytes::copy_of(as_bytes("Vector password 1!"));
    bundle.reminder = std::move(reminder);
    bundle.bak_sha256 = crypto::sha256(bundle.bak.view());
    return bundle;
}

SourceInfo vector_source() {
    return SourceInfo{"BTS01", "SSODB01", "{4F1C2B7A-0D3E-4E5F-9A8B-1C2D3E4F5A6B}",
                      "{0A1B2C3D-4E5F-6A7B-8C9D-0E1F2A3B4C5D}", "nightly"};
}

// --- An encoder written from FORMAT.md section 3 only -------------------------------------

struct CraftedRecipient {
    crypto::PublicKey public_key;
    std::string fingerprint;
    std::string label;
};

std::string encode_uint_le32(std::size_t n) {
    std::string out(4, '\0');
    for (int i = 0; i < 4; ++i) {
        out[static_cast<std::size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xff);
    }
    return out;
}

// The bundle bytes of FORMAT.md 3.5 (test data: not secret).
std::string bundle_bytes(const std::string& bak, const std::string& password,
                         const std::string& reminder, const crypto::Digest& bak_sha256) {
    return encode_uint_le32(bak.size()) + bak + encode_uint_le32(password.size()) + password +
           encode_uint_le32(reminder.size()) + reminder +
           std::string(bak_sha256.begin(), bak_sha256.end());
}

Bytes craft_envelope(const EscrowPolicy& policy, const std::string& plaintext) {
    std::vector<CraftedRecipient> recipients;
    for (const auto& r : policy.recipients) {
        recipients.push_back({r.public_key, crypto::fingerprint_of(r.public_key), r.label});
    }
    std::sort(recipients.begin(), recipients.end(),
              [](const auto& a, const auto& b) { return a.fingerprint < b.fingerprint; });
    const unsigned k = policy.threshold;
    const std::size_t n = recipients.size();

    Bytes backup_id = crypto::random_bytes(16);
    SecretBytes file_key = SecretBytes::random(32);
    auto shares = crypto::shamir::split(file_key, k, static_cast<unsigned>(n));
    REQUIRE(shares.ok());

    const crypto::SigningKey& signer = test_support::test_signing_key();
    std::string body = "ssoescrow-envelope/2\n";
    body += "vault: " + std::string(32, '0') + "\n";
    body += "backup: " + to_hex(backup_id) + "\n";
    body += "created: " + std::string(k_created_text) + "\n";
    body += "computer: BTS01\nsecret-server: SSODB01\n";
    body += "current-msid: {4F1C2B7A-0D3E-4E5F-9A8B-1C2D3E4F5A6B}\n";
    body += "previous-msid: {0A1B2C3D-4E5F-6A7B-8C9D-0E1F2A3B4C5D}\n";
    body += "label: nightly\n";
    body += "policy: sha256:" + to_hex(crypto::sha256(as_bytes(policy.serialise()))) + "\n";
    body += "signer: ed25519 " + signer.signer.fingerprint() + " " +
            to_base64(signer.signer.public_key) + "\n";
    body += "threshold: " + std::to_string(k) + "\n";
    body += "shares: " + std::to_string(n) + "\n";
    for (std::size_t i = 0; i < n; ++i) {
        const auto& share = shares.value()[i];
        const std::uint8_t k_x[2] = {static_cast<std::uint8_t>(k), share.x};
        Bytes commitment_input = to_bytes("ssoescrow/1 share-commitment");
        commitment_input.insert(commitment_input.end(), backup_id.begin(), backup_id.end());
        commitment_input.insert(commitment_input.end(), k_x, k_x + 2);
        commitment_input.insert(commitment_input.end(), share.y.data(),
                                share.y.data() + share.y.size());
        const crypto::Digest commitment = crypto::blake2b_256({commitment_input});
        Bytes context = to_bytes("ssoescrow/1 envelope-share");
        context.push_back(0x00);
        context.push_back(0x02);
        context.insert(context.end(), backup_id.begin(), backup_id.end());
        context.insert(context.end(), k_x, k_x + 2);
        Bytes fingerprint = to_bytes(recipients[i].fingerprint);
        context.insert(context.end(), fingerprint.begin(), fingerprint.end());
        auto wrapped = crypto::wrap_to_recipient(recipients[i].public_key, share.y, context);
        REQUIRE(wrapped.ok());
        body += "share: x25519 " + recipients[i].fingerprint + " " + to_hex(ByteView(&share.x, 1)) +
                " " + to_hex(commitment) + " " + to_base64(wrapped.value()) + " " +
                recipients[i].label + "\n";
    }
    Bytes nonce = crypto::random_bytes(24);
    body += "payload: xchacha20poly1305 " + to_hex(nonce) + " " +
            std::to_string(plaintext.size() + 16) + "\n";

    auto mac_key = crypto::hkdf_sha256(file_key.view(), {}, as_bytes("ssoescrow/1 header-mac"), 32);
    auto payload_key =
        crypto::hkdf_sha256(file_key.view(), {}, as_bytes("ssoescrow/1 payload"), 32);
    REQUIRE(mac_key.ok());
    REQUIRE(payload_key.ok());
    const std::string header =
        body + "mac: " + to_hex(crypto::hmac_sha256(mac_key.value(), as_bytes(body))) + "\n";
    auto ciphertext =
        crypto::aead_seal(payload_key.value(), nonce, as_bytes(plaintext), as_bytes(header));
    REQUIRE(ciphertext.ok());
    const crypto::Digest payload_sha256 = crypto::sha256(ciphertext.value());
    Bytes signed_message = to_bytes("ssoescrow/2 envelope-signature");
    signed_message.push_back(0x00);
    signed_message.insert(signed_message.end(), header.begin(), header.end());
    signed_message.insert(signed_message.end(), payload_sha256.begin(), payload_sha256.end());
    const crypto::Signature signature = signer.sign(signed_message);
    Bytes file = to_bytes(header + "signature: ed25519 " + to_hex(payload_sha256) + " " +
                          to_base64(signature) + "\n");
    file.insert(file.end(), ciphertext->begin(), ciphertext->end());
    return file;
}

// --- Running a vector ----------------------------------------------------------------------

using Identities = std::map<std::string, crypto::Identity>;

Identities load_identities() {
    Identities out;
    for (const auto& name : k_names) {
        Bytes file = read_file(k_vector_dir / "identities" / (name + ".key"));
        auto identity = crypto::open_identity(file, passphrase(), name + ".key");
        REQUIRE(identity.ok());
        out.emplace(name, std::move(identity).value());
    }
    return out;
}

// The real open path: parse, each listed custodian opens their stanza, combine.
Result<Bundle> open_as(ByteView file, const std::vector<std::string>& names,
                       const Identities& identities) {
    TRY_ASSIGN(EnvelopeHeader header, parse_envelope_header(file));
    std::vector<CustodianShare> shares;
    for (const auto& name : names) {
        TRY_ASSIGN(CustodianShare share, open_stanza(header, identities.at(name)));
        shares.push_back(std::move(share));
    }
    return combine_and_open(file, shares);
}

std::map<std::string, std::string> read_expect(const fs::path& path) {
    std::map<std::string, std::string> fields;
    std::istringstream in(text_of(read_file(path)));
    std::string line;
    while (std::getline(in, line)) {
        auto colon = line.find(": ");
        REQUIRE(colon != std::string::npos);
        fields[line.substr(0, colon)] = line.substr(colon + 2);
    }
    return fields;
}

std::vector<std::string> words_of(const std::string& text) {
    std::istringstream in(text);
    return {std::istream_iterator<std::string>(in), std::istream_iterator<std::string>()};
}

// --- Generation ----------------------------------------------------------------------------

struct Vector {
    std::string name;
    Bytes envelope;
    std::string expect;
    std::string errc;
    std::string message;
    std::string identities;
    std::string comment;
    const Bundle* bundle = nullptr;  // for ok
};

void write_vector(const Vector& v) {
    write_file(k_vector_dir / (v.name + ".envelope"), v.envelope);
    std::string expect = "expect: " + v.expect + "\n" + "errc: " + v.errc + "\n";
    if (!v.message.empty()) {
        expect += "message: " + v.message + "\n";
    }
    expect += "identities: " + v.identities + "\n";
    if (v.bundle != nullptr) {
        expect += "bak-sha256: " + to_hex(v.bundle->bak_sha256) + "\n";
        expect += "password: " + text_of(v.bundle->password.view()) + "\n";
        expect += "reminder: " + v.bundle->reminder + "\n";
    }
    expect += "comment: " + v.comment + "\n";
    write_file(k_vector_dir / (v.name + ".expect"), as_bytes(expect));
    write_file(k_seed_dir / v.name, v.envelope);
}

std::string stanza_line(const Stanza& s) {
    return "share: " + s.type + " " + s.recipient_fingerprint + " " + to_hex(ByteView(&s.x, 1)) +
           " " + to_hex(s.commitment) + " " + to_base64(s.wrapped_share) + " " + s.label;
}

}  // namespace

TEST_CASE("generate the envelope test vectors", "[.generate]") {
    fs::create_directories(k_vector_dir / "identities");
    fs::create_directories(k_seed_dir);
    for (const auto& entry : fs::directory_iterator(k_vector_dir)) {
        if (entry.is_regular_file()) {
            fs::remove(entry.path());
        }
    }
    for (const auto& entry : fs::directory_iterator(k_seed_dir)) {
        fs::remove(entry.path());
    }

    std::map<std::string, crypto::Recipient> recipients;
    for (const auto& name : k_names) {
        crypto::Identity identity = crypto::generate_identity(name);
        auto sealed =
            crypto::seal_identity(identity, passphrase(), crypto::KdfParams::minimum_for_tests(),
                                  crypto::KdfFloor::below_floor_for_tests);
        REQUIRE(sealed.ok());
        write_file(k_vector_dir / "identities" / (name + ".key"), sealed.value());
        write_file(k_vector_dir / "identities" / (name + ".pub"),
                   as_bytes(identity.recipient.to_line() + "\n"));
        recipients[name] = identity.recipient;
    }
    auto policy_of = [&](unsigned k, const std::vector<std::string>& names) {
        EscrowPolicy policy;
        policy.threshold = k;
        policy.allow_single_custodian = k == 1;
        for (const auto& name : names) {
            policy.recipients.push_back(recipients[name]);
        }
        test_support::add_test_signer(policy);
        return policy;
    };
    const EscrowPolicy p23 = policy_of(2, {"alice", "bob", "carol"});
    const EscrowPolicy p35 = policy_of(3, k_names);
    const EscrowPolicy p11 = policy_of(1, {"alice"});
    write_file(k_vector_dir / "policy-2of3.txt", as_bytes(p23.serialise()));
    write_file(k_vector_dir / "policy-3of5.txt", as_bytes(p35.serialise()));
    write_file(k_vector_dir / "policy-1of1.txt", as_bytes(p11.serialise()));

    const Bundle bundle = vector_bundle();
    const Bundle bundle_empty_reminder = vector_bundle("");
    auto seal = [&](const EscrowPolicy& policy, const SourceInfo& source, const Bundle& b) {
        auto sealed = seal_envelope(policy, test_support::test_seal(), source, b, k_created);
        REQUIRE(sealed.ok());
        return std::move(sealed).value();
    };
    const Bytes base = seal(p23, vector_source(), bundle);
    const std::string text = text_of(base);
    const EnvelopeHeader header = parse_envelope_header(base).value();
    const std::string header_text = text.substr(0, header.header_size);
    const std::string payload = text.substr(header.header_size);
    auto name_of_stanza = [&](std::size_t i) {
        for (const auto& [name, recipient] : recipients) {
            if (recipient.fingerprint() == header.stanzas[i].recipient_fingerprint) {
                return name;
            }
        }
        FAIL("no recipient for stanza");
        return std::string();
    };

    std::vector<Vector> vectors;
    auto add = [&](std::string name, Bytes envelope, std::string expect, std::string errc,
                   std::string message, std::string identities, std::string comment,
                   const Bundle* b = nullptr) {
        vectors.push_back(Vector{std::move(name), std::move(envelope), std::move(expect),
                                 std::move(errc), std::move(message), std::move(identities),
                                 std::move(comment), b});
    };
    auto edited = [&](const std::string& from, const std::string& to) {
        return to_bytes(replace_once(text, from, to));
    };

    add("ok_2of3", base, "ok", "ok", "", "alice bob", "2 of 3, opened by alice and bob", &bundle);
    add("ok_2of3_other_pair", base, "ok", "ok", "", "carol bob",
        "the same envelope as ok_2of3, opened by carol and bob", &bundle);
    add("ok_3of5", seal(p35, vector_source(), bundle), "ok", "ok", "", "erin alice carol", "3 of 5",
        &bundle);
    add("ok_1of1", seal(p11, vector_source(), bundle), "ok", "ok", "", "alice",
        "1 of 1 with single-custodian: allowed in the policy", &bundle);
    SourceInfo sparse = vector_source();
    sparse.previous_msid.clear();
    sparse.label.clear();
    add("ok_empty_optional_fields", seal(p23, sparse, bundle_empty_reminder), "ok", "ok", "",
        "carol alice", "empty previous-msid, label and reminder", &bundle_empty_reminder);

    add("unsupported_version", edited("ssoescrow-envelope/2\n", "ssoescrow-envelope/3\n"),
        "unsupported version", "unsupported_version", "unsupported version 3", "alice bob",
        "version line ssoescrow-envelope/3");
    add("not_an_envelope", to_bytes("hello, world\n"), "header failure", "parse",
        "not an ssoescrow envelope", "alice bob", "not an envelope at all");
    add("truncated_header", to_bytes(text.substr(0, header.header_size / 2)), "header failure",
        "parse", "truncated", "alice bob", "cut in the middle of the header");
    add("truncated_payload", to_bytes(text.substr(0, text.size() - 1)), "header failure", "parse",
        "envelope truncated", "alice bob", "the last payload byte is missing");
    add("trailing_data", to_bytes(text + "\n"), "header failure", "parse",
        "unexpected data after the payload", "alice bob", "one byte after the payload");
    std::string crlf;
    for (std::size_t start = 0; start < header_text.size();) {
        auto end = header_text.find('\n', start);
        crlf += header_text.substr(start, end - start) + "\r\n";
        start = end + 1;
    }
    add("crlf", to_bytes(crlf + payload), "header failure", "parse", "CR character", "alice bob",
        "header lines end in CRLF");
    std::string commitment_hex = to_hex(header.stanzas[0].commitment);
    std::string upper = commitment_hex;
    std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
    REQUIRE(upper != commitment_hex);
    add("uppercase_hex", edited(commitment_hex, upper), "header failure", "parse",
        "expected 64 lower-case hex digits", "alice bob", "upper-case hex in a commitment");
    add("extra_space", edited("\nthreshold: 2\n", "\nthreshold:  2\n"), "header failure", "parse",
        "exactly one space", "alice bob", "two spaces after 'threshold:'");
    add("reordered_lines",
        edited("\ncomputer: BTS01\nsecret-server: SSODB01\n",
               "\nsecret-server: SSODB01\ncomputer: BTS01\n"),
        "header failure", "parse", "expected the field 'computer'", "alice bob",
        "computer and secret-server lines swapped");
    const std::string line1 = stanza_line(header.stanzas[0]);
    const std::string line2 = stanza_line(header.stanzas[1]);
    add("stanzas_out_of_order", edited(line1 + "\n" + line2 + "\n", line2 + "\n" + line1 + "\n"),
        "header failure", "parse", "ascending fingerprint order", "alice bob",
        "stanzas 1 and 2 swapped");
    {
        Stanza zero = header.stanzas[0];
        zero.x = 0;
        add("x_zero", edited(line1, stanza_line(zero)), "header failure", "share_x_zero", "x = 00",
            "alice bob", "stanza 1 has x = 00");
        Stanza same = header.stanzas[1];
        same.x = header.stanzas[0].x;
        add("duplicate_x", edited(line2, stanza_line(same)), "header failure", "share_duplicate",
            "appears in an earlier stanza", "alice bob", "stanza 2 repeats stanza 1's x");
    }
    const std::string payload_line = "payload: xchacha20poly1305 " + to_hex(header.payload_nonce) +
                                     " " + std::to_string(header.payload_size) + "\n";
    add("payload_size_over_ceiling",
        edited(payload_line,
               "payload: xchacha20poly1305 " + to_hex(header.payload_nonce) + " 99999999\n"),
        "limit exceeded", "limit_exceeded", "above the ceiling", "alice bob",
        "declared payload size 99999999, above the ceiling");
    add("shares_over_ceiling", edited("\nshares: 3\n", "\nshares: 300\n"), "limit exceeded",
        "limit_exceeded", "above the ceiling", "alice bob", "shares: 300");
    add("line_too_long", edited("\nlabel: nightly\n", "\nlabel: " + std::string(2000, 'n') + "\n"),
        "limit exceeded", "limit_exceeded", "longer than 1024 bytes", "alice bob",
        "a 2007-byte label line");

    add("not_a_custodian", base, "no match", "not_found", "has no stanza for custodian 'dave'",
        "dave", "dave is not a custodian of this backup");
    add("too_few_shares", base, "too few shares", "too_few_shares", "need 2 shares, have 1",
        "alice", "one share of a 2-of-3 envelope");
    add("duplicate_custodian", base, "duplicate share", "share_duplicate",
        "supplied more than one share", "bob bob", "bob's share given twice");
    {
        // Bob's commitment changed (last hex digit): bob's unwrapped share no longer matches.
        std::size_t bob = 0;
        while (name_of_stanza(bob) != "bob") {
            ++bob;
        }
        Stanza altered = header.stanzas[bob];
        altered.commitment[31] ^= 0x01;
        add("commitment_mismatch", edited(stanza_line(header.stanzas[bob]), stanza_line(altered)),
            "commitment failure", "share_mismatch",
            "custodian 'bob' (" + recipients["bob"].fingerprint() +
                ")) does not match its commitment",
            "alice bob", "bob's commitment altered: bob is named");
    }
    {
        Stanza first = header.stanzas[0];
        Stanza second = header.stanzas[1];
        std::swap(first.wrapped_share, second.wrapped_share);
        add("wrapped_shares_swapped",
            edited(line1 + "\n" + line2 + "\n",
                   stanza_line(first) + "\n" + stanza_line(second) + "\n"),
            "unwrap failure", "auth_failed", "stanza 1 (custodian '" + name_of_stanza(0) + "'",
            name_of_stanza(0), "the wrapped shares of stanzas 1 and 2 swapped");
    }
    {
        // Alice's stanza from another backup of the same custodians (x must not collide).
        for (int attempt = 0;; ++attempt) {
            REQUIRE(attempt < 100);
            Bytes other = seal(p23, vector_source(), bundle);
            EnvelopeHeader other_header = parse_envelope_header(other).value();
            const std::string fpr = recipients["alice"].fingerprint();
            const Stanza* theirs = find_stanza(other_header, fpr).value();
            const Stanza* ours = find_stanza(header, fpr).value();
            bool collides = std::any_of(header.stanzas.begin(), header.stanzas.end(),
                                        [&](const Stanza& s) { return s.x == theirs->x; });
            if (collides) {
                continue;
            }
            add("stanza_from_other_backup", edited(stanza_line(*ours), stanza_line(*theirs)),
                "unwrap failure", "auth_failed",
                "(custodian 'alice' (" + fpr + ")) of backup " + backup_id_hex(header.backup_id) +
                    ": the wrapped share does not open",
                "alice bob", "alice's stanza copied from another backup sealed to the same policy");
            break;
        }
    }
    add("threshold_changed", edited("\nthreshold: 2\n", "\nthreshold: 3\n"), "unwrap failure",
        "auth_failed", "does not open with this identity", "alice bob",
        "threshold 2 changed to 3: K is in every wrap context");
    add("mac_failure_metadata", edited("\nlabel: nightly\n", "\nlabel: nightlz\n"), "mac failure",
        "auth_failed", "header MAC does not verify", "alice bob",
        "the backup label edited after sealing");
    {
        std::string mac_hex = to_hex(header.mac);
        std::string altered = mac_hex;
        altered.back() = altered.back() == '0' ? '1' : '0';
        add("mac_failure_mac_value", edited("\nmac: " + mac_hex, "\nmac: " + altered),
            "mac failure", "auth_failed", "header MAC does not verify", "alice bob",
            "last hex digit of the MAC changed");
    }
    {
        Bytes damaged = base;
        damaged[header.header_size + header.payload_size / 2] ^= 0x01;
        add("payload_failure", damaged, "payload failure", "auth_failed",
            "payload authentication failed", "alice bob", "one payload bit flipped");
    }
    {
        const std::string bak(reinterpret_cast<const char*>(bundle.bak.data()), bundle.bak.size());
        const std::string good =
            bundle_bytes(bak, "Vector password 1!", bundle.reminder, bundle.bak_sha256);
        crypto::Digest wrong = bundle.bak_sha256;
        wrong[0] ^= 0x01;
        add("bundle_trailing_bytes", craft_envelope(p23, good + "x"), "bundle failure", "parse",
            "wrong size after the reminder", "alice bob",
            "one extra byte in the plaintext bundle (valid MAC and AEAD)");
        add("bak_sha256_mismatch",
            craft_envelope(p23, bundle_bytes(bak, "Vector password 1!", bundle.reminder, wrong)),
            "bundle failure", "auth_failed", "does not match its SHA-256", "alice bob",
            "the bundle's .bak SHA-256 is wrong (valid MAC and AEAD)");
    }

    for (const auto& v : vectors) {
        write_vector(v);
    }
    // Extra fuzz seeds: the policy blocks (the fuzz target parses both formats).
    write_file(k_seed_dir / "policy-2of3", as_bytes(p23.serialise()));
    write_file(k_seed_dir / "policy-1of1", as_bytes(p11.serialise()));
    SUCCEED("wrote " << vectors.size() << " vectors to " << k_vector_dir.string());
}

TEST_CASE("envelope test vectors give their expected outcome", "[vault][envelope][vectors]") {
    REQUIRE(fs::is_directory(k_vector_dir));
    Identities identities = load_identities();
    std::vector<fs::path> expects;
    for (const auto& entry : fs::directory_iterator(k_vector_dir)) {
        if (entry.path().extension() == ".expect") {
            expects.push_back(entry.path());
        }
    }
    std::sort(expects.begin(), expects.end());
    REQUIRE(expects.size() >= 32);

    std::size_t ok = 0;
    for (const auto& path : expects) {
        const std::string name = path.stem().string();
        INFO("vector " << name);
        auto fields = read_expect(path);
        REQUIRE(fields.count("expect") == 1);
        REQUIRE(fields.count("errc") == 1);
        const Bytes envelope = read_file(k_vector_dir / (name + ".envelope"));
        auto opened = open_as(envelope, words_of(fields["identities"]), identities);

        if (fields["expect"] == "ok") {
            REQUIRE(opened.ok());
            CHECK(to_hex(opened->bak_sha256) == fields["bak-sha256"]);
            CHECK(to_hex(crypto::sha256(opened->bak.view())) == fields["bak-sha256"]);
            CHECK(opened->password.equals(as_bytes(fields["password"])));
            CHECK(opened->reminder == fields["reminder"]);
            // Signed by a signer of the policy the vector names (FORMAT.md 3.14).
            auto parsed = parse_envelope_header(envelope);
            REQUIRE(parsed.ok());
            CHECK(check_envelope_signature(parsed.value(), envelope).ok());
            bool policy_found = false;
            for (const char* file : {"policy-2of3.txt", "policy-3of5.txt", "policy-1of1.txt"}) {
                auto policy = parse_policy(text_of(read_file(k_vector_dir / file)), file);
                REQUIRE(policy.ok());
                if (policy->fingerprint() == parsed->policy_fingerprint) {
                    policy_found = true;
                    CHECK(check_envelope_policy(parsed.value(), policy.value()).ok());
                }
            }
            CHECK(policy_found);
            ++ok;
        } else {
            REQUIRE_FALSE(opened.ok());
            INFO("error: " << opened.error().message);
            CHECK(errc_name(opened.error().code) == fields["errc"]);
            REQUIRE(fields.count("message") == 1);
            CHECK(opened.error().message.find(fields["message"]) != std::string::npos);
        }

        // Whatever parses is canonical.
        auto header = parse_envelope_header(envelope);
        if (header.ok()) {
            CHECK(serialise_envelope_header(header.value()) ==
                  text_of(ByteView(envelope).first(header->header_size)));
        }
    }
    CHECK(ok == 5);

    // The policies stored with the vectors parse and re-serialise to the same bytes.
    for (const char* file : {"policy-2of3.txt", "policy-3of5.txt", "policy-1of1.txt"}) {
        const std::string policy_text = text_of(read_file(k_vector_dir / file));
        auto policy = parse_policy(policy_text, file);
        REQUIRE(policy.ok());
        CHECK(policy->serialise() == policy_text);
    }
}

TEST_CASE("an encoder written from FORMAT.md alone produces envelopes the reader opens",
          "[vault][envelope][vectors]") {
    // Fresh identities (no KDF needed): the point is the byte format, not the key files.
    std::vector<crypto::Identity> ids;
    EscrowPolicy policy;
    policy.threshold = 2;
    for (const char* name : {"alice", "bob", "carol"}) {
        ids.push_back(crypto::generate_identity(name));
        policy.recipients.push_back(ids.back().recipient);
    }
    test_support::add_test_signer(policy);
    const Bundle bundle = vector_bundle();
    const std::string bak(reinterpret_cast<const char*>(bundle.bak.data()), bundle.bak.size());
    Bytes file = craft_envelope(
        policy, bundle_bytes(bak, "Vector password 1!", bundle.reminder, bundle.bak_sha256));

    auto header = parse_envelope_header(file);
    REQUIRE(header.ok());
    CHECK(header->policy_fingerprint == policy.fingerprint());
    CHECK(serialise_envelope_header(header.value()) ==
          text_of(ByteView(file).first(header->header_size)));
    CHECK(check_envelope_signature(header.value(), file).ok());
    CHECK(check_envelope_policy(header.value(), policy).ok());
    std::vector<CustodianShare> shares;
    for (std::size_t i : {2u, 0u}) {
        auto share = open_stanza(header.value(), ids[i]);
        REQUIRE(share.ok());
        shares.push_back(std::move(share).value());
    }
    auto opened = combine_and_open(file, shares);
    REQUIRE(opened.ok());
    CHECK(opened->bak.equals(bundle.bak));
    CHECK(opened->password.equals(bundle.password));
    CHECK(opened->reminder == bundle.reminder);
}

TEST_CASE("bundles that break the rules are refused even with a valid MAC and AEAD",
          "[vault][envelope]") {
    std::vector<crypto::Identity> ids;
    EscrowPolicy policy;
    policy.threshold = 2;
    for (const char* name : {"alice", "bob"}) {
        ids.push_back(crypto::generate_identity(name));
        policy.recipients.push_back(ids.back().recipient);
    }
    test_support::add_test_signer(policy);
    const std::string bak(300, 'b');
    const crypto::Digest sha = crypto::sha256(as_bytes(bak));
    const std::string good = bundle_bytes(bak, "pw-1234", "hint", sha);
    struct Case {
        const char* name;
        std::string plaintext;
        Errc code;
        std::string message;
    };
    const std::vector<Case> cases = {
        {"good", good, Errc::internal, ""},
        {"bak length above the ceiling",
         encode_uint_le32(k_max_bak_size + 1) + std::string(60, 'x'), Errc::limit_exceeded,
         ".bak length above the ceiling"},
        {"bak longer than the bundle", encode_uint_le32(1000) + std::string(60, 'x'), Errc::parse,
         ".bak is truncated"},
        {"password length above the ceiling",
         encode_uint_le32(1) + "b" + encode_uint_le32(k_max_password_size + 1) +
             std::string(60, 'x'),
         Errc::limit_exceeded, "password length above the ceiling"},
        {"reminder length above the ceiling",
         encode_uint_le32(1) + "b" + encode_uint_le32(1) + "p" +
             encode_uint_le32(k_max_reminder_size + 1) + std::string(60, 'x'),
         Errc::limit_exceeded, "reminder length above the ceiling"},
        {"password longer than the bundle",
         encode_uint_le32(1) + "b" + encode_uint_le32(100) + std::string(50, 'p'), Errc::parse,
         "password is truncated"},
        {"hash missing", good.substr(0, good.size() - 1), Errc::parse,
         "wrong size after the reminder"},
        {"empty .bak", bundle_bytes("", "pw-1234", "hint", crypto::sha256({})) + "0123456789abcd",
         Errc::parse, "wrong size after the reminder"},
        {"empty .bak, exact",
         bundle_bytes("", "pw-1234", "hint-hint-hint-hint", crypto::sha256({})), Errc::parse,
         "the .bak is empty"},
        {"empty password", bundle_bytes(bak, "", "hint-hint", sha), Errc::parse,
         "password is empty"},
        {"control character in the reminder", bundle_bytes(bak, "pw-1234", "a\x07z", sha),
         Errc::parse, "reminder contains a control character"},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        Bytes file = craft_envelope(policy, c.plaintext);
        auto header = parse_envelope_header(file);
        REQUIRE(header.ok());
        std::vector<CustodianShare> shares;
        for (const auto& identity : ids) {
            auto share = open_stanza(header.value(), identity);
            REQUIRE(share.ok());
            shares.push_back(std::move(share).value());
        }
        auto opened = combine_and_open(file, shares);
        if (c.message.empty()) {
            REQUIRE(opened.ok());
            CHECK(opened->reminder == "hint");
            continue;
        }
        REQUIRE_FALSE(opened.ok());
        CHECK(opened.error().code == c.code);
        CHECK(opened.error().message.find(c.message) != std::string::npos);
        CHECK(opened.error().message.find("payload bundle") != std::string::npos);
    }
}
