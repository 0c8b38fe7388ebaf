#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "crypto/custodian_key.hpp"
#include "test_signing_support.hpp"
#include "vault/policy.hpp"

using namespace ssoescrow;
using namespace ssoescrow::vault;

namespace {

std::vector<crypto::Recipient> make_recipients(std::size_t count) {
    std::vector<crypto::Recipient> out;
    for (std::size_t i = 0; i < count; ++i) {
        out.push_back(crypto::generate_identity("custodian " + std::to_string(i + 1)).recipient);
    }
    return out;
}

EscrowPolicy make_policy(unsigned threshold, std::size_t count) {
    EscrowPolicy policy;
    policy.threshold = threshold;
    policy.recipients = make_recipients(count);
    test_support::add_test_signer(policy);
    return policy;
}

std::string replace_once(std::string text, const std::string& from, const std::string& to) {
    auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
    return text;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

std::string join_lines(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& line : lines) {
        out += line + "\n";
    }
    return out;
}

}  // namespace

TEST_CASE("an escrow policy serialises canonically and parses back", "[vault][policy]") {
    EscrowPolicy policy = make_policy(2, 3);
    const std::string text = policy.serialise();
    auto lines = lines_of(text);
    REQUIRE(lines.size() == 8);
    CHECK(lines[0] == "ssoescrow-policy/2");
    CHECK(lines[1] == "threshold: 2");
    CHECK(lines[2] == "recipients: 3");
    for (std::size_t i = 3; i < 6; ++i) {
        CHECK(lines[i].rfind("recipient: ssoescrow-recipient/1 x25519 ", 0) == 0);
    }
    CHECK(lines[6] == "signers: 1");
    CHECK(lines[7].rfind("signer: ssoescrow-signer/1 ed25519 ", 0) == 0);

    auto parsed = parse_policy(text, "config");
    REQUIRE(parsed.ok());
    CHECK(parsed->threshold == 2);
    CHECK_FALSE(parsed->allow_single_custodian);
    REQUIRE(parsed->recipients.size() == 3);
    CHECK(parsed->serialise() == text);
    CHECK(parsed->fingerprint() == policy.fingerprint());

    // Recipients are a set: the order they were given in does not change the block.
    EscrowPolicy reversed = policy;
    std::reverse(reversed.recipients.begin(), reversed.recipients.end());
    CHECK(reversed.serialise() == text);
    CHECK(reversed.fingerprint() == policy.fingerprint());
}

TEST_CASE("the policy fingerprint is sha256 of the block and changes with every field",
          "[vault][policy]") {
    EscrowPolicy policy = make_policy(2, 3);
    const std::string fingerprint = policy.fingerprint();
    REQUIRE(fingerprint.size() == k_policy_fingerprint_size);
    REQUIRE(fingerprint.rfind("sha256:", 0) == 0);
    CHECK(check_policy_fingerprint(fingerprint).ok());

    EscrowPolicy higher = policy;
    higher.threshold = 3;
    CHECK(higher.fingerprint() != fingerprint);

    EscrowPolicy swapped = policy;
    swapped.recipients[1] = crypto::generate_identity("intruder").recipient;
    CHECK(swapped.fingerprint() != fingerprint);

    EscrowPolicy relabelled = policy;
    relabelled.recipients[0].label = "renamed";
    CHECK(relabelled.fingerprint() != fingerprint);
}

TEST_CASE("policy fingerprints given on the command line are checked", "[vault][policy]") {
    const std::string good = make_policy(2, 2).fingerprint();
    CHECK(check_policy_fingerprint(good).ok());
    std::string upper = good;
    std::transform(upper.begin() + 7, upper.end(), upper.begin() + 7, ::toupper);
    for (const std::string& bad :
         {std::string(""), good.substr(7), "SHA256:" + good.substr(7), good.substr(0, 70),
          good + "0", upper, good.substr(0, 70) + "g"}) {
        INFO(bad);
        auto checked = check_policy_fingerprint(bad);
        REQUIRE_FALSE(checked.ok());
        CHECK(checked.error().code == Errc::usage);
    }
}

TEST_CASE("policy validation refuses unsafe or impossible thresholds", "[vault][policy]") {
    SECTION("threshold 0") {
        auto checked = make_policy(0, 2).validate();
        REQUIRE_FALSE(checked.ok());
        CHECK(checked.error().code == Errc::invalid_argument);
    }
    SECTION("threshold 1 needs the explicit permission") {
        EscrowPolicy policy = make_policy(1, 2);
        auto checked = policy.validate();
        REQUIRE_FALSE(checked.ok());
        CHECK(checked.error().code == Errc::invalid_argument);
        CHECK(checked.error().hint.find("--allow-single-custodian") != std::string::npos);

        policy.allow_single_custodian = true;
        REQUIRE(policy.validate().ok());
        const std::string text = policy.serialise();
        CHECK(lines_of(text)[2] == "single-custodian: allowed");
        auto parsed = parse_policy(text, "config");
        REQUIRE(parsed.ok());
        CHECK(parsed->allow_single_custodian);
        CHECK(parsed->serialise() == text);
    }
    SECTION("the permission is not written for K >= 2") {
        EscrowPolicy policy = make_policy(2, 2);
        policy.allow_single_custodian = true;
        CHECK(policy.serialise().find("single-custodian") == std::string::npos);
    }
    SECTION("K > N") {
        auto checked = make_policy(4, 3).validate();
        REQUIRE_FALSE(checked.ok());
        CHECK(checked.error().code == Errc::invalid_argument);
        CHECK(checked.error().message.find("threshold 4 is larger than the 3 recipients") !=
              std::string::npos);
    }
    SECTION("no recipients") {
        auto checked = make_policy(2, 0).validate();
        REQUIRE_FALSE(checked.ok());
        CHECK(checked.error().code == Errc::invalid_argument);
    }
    SECTION("more than 255 recipients") {
        auto checked = make_policy(2, 256).validate();
        REQUIRE_FALSE(checked.ok());
        CHECK(checked.error().code == Errc::limit_exceeded);
    }
    SECTION("255 recipients are fine") {
        CHECK(make_policy(255, 255).validate().ok());
    }
}

TEST_CASE("duplicate recipients are refused, naming both", "[vault][policy]") {
    EscrowPolicy policy = make_policy(2, 3);
    crypto::Recipient copy = policy.recipients[1];
    copy.label = "second copy";
    policy.recipients.push_back(copy);
    auto checked = policy.validate();
    REQUIRE_FALSE(checked.ok());
    CHECK(checked.error().code == Errc::invalid_argument);
    CHECK(checked.error().message.find("duplicate recipient") != std::string::npos);
    CHECK(checked.error().message.find("'custodian 2'") != std::string::npos);
    CHECK(checked.error().message.find("'second copy'") != std::string::npos);
    CHECK(checked.error().message.find(copy.fingerprint()) != std::string::npos);

    // The same in a parsed block (two adjacent identical keys).
    EscrowPolicy good = make_policy(2, 2);
    auto lines = lines_of(good.serialise());
    std::string line = lines[3];
    lines.insert(lines.begin() + 4, line);
    lines[2] = "recipients: 3";
    auto parsed = parse_policy(join_lines(lines), "config");
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == Errc::invalid_argument);
    CHECK(parsed.error().message.find("duplicate recipient") != std::string::npos);
}

TEST_CASE("signers are a set of at least one, in canonical order, covered by the fingerprint",
          "[vault][policy]") {
    EscrowPolicy policy = make_policy(2, 3);
    const std::string one = policy.fingerprint();
    const crypto::SigningKey node2 = crypto::generate_signing_key("node2");
    policy.signers.push_back(node2.signer);
    CHECK(policy.fingerprint() != one);
    EscrowPolicy reversed = policy;
    std::reverse(reversed.signers.begin(), reversed.signers.end());
    CHECK(reversed.serialise() == policy.serialise());
    auto parsed = parse_policy(policy.serialise(), "config");
    REQUIRE(parsed.ok());
    REQUIRE(parsed->signers.size() == 2);
    CHECK(parsed->find_signer(node2.signer.fingerprint()) != nullptr);

    EscrowPolicy twice = policy;
    twice.signers.push_back(node2.signer);
    CHECK(twice.validate().error().code == Errc::invalid_argument);
    EscrowPolicy none = policy;
    none.signers.clear();
    auto refused = none.validate();
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message.find("no signer") != std::string::npos);
}

TEST_CASE("the policy parser accepts the canonical form only", "[vault][policy]") {
    EscrowPolicy policy = make_policy(2, 3);
    const std::string text = policy.serialise();
    auto lines = lines_of(text);
    REQUIRE(parse_policy(text, "config").ok());

    struct Variant {
        const char* name;
        std::string text;
        Errc code;
    };
    std::vector<std::string> reordered = lines;
    std::swap(reordered[3], reordered[4]);
    std::vector<std::string> swapped_fields = lines;
    std::swap(swapped_fields[1], swapped_fields[2]);
    std::string crlf;
    for (const auto& line : lines) {
        crlf += line + "\r\n";
    }
    std::vector<std::string> upper = lines;
    std::transform(upper[3].begin(), upper[3].end(), upper[3].begin(), ::toupper);
    std::vector<std::string> short_count = lines;
    short_count[2] = "recipients: 2";

    const std::vector<Variant> variants = {
        {"empty", "", Errc::parse},
        {"no final newline", text.substr(0, text.size() - 1), Errc::parse},
        {"trailing data", text + "x\n", Errc::parse},
        {"trailing blank line", text + "\n", Errc::parse},
        {"CRLF", crlf, Errc::parse},
        {"two spaces", replace_once(text, "threshold: 2", "threshold:  2"), Errc::parse},
        {"no space", replace_once(text, "threshold: 2", "threshold:2"), Errc::parse},
        {"trailing space", replace_once(text, "threshold: 2", "threshold: 2 "), Errc::parse},
        {"leading zero", replace_once(text, "threshold: 2", "threshold: 02"), Errc::parse},
        {"plus sign", replace_once(text, "threshold: 2", "threshold: +2"), Errc::parse},
        {"upper-case key", replace_once(text, "threshold: 2", "Threshold: 2"), Errc::parse},
        {"upper-case recipient line", join_lines(upper), Errc::parse},
        {"recipients out of order", join_lines(reordered), Errc::parse},
        {"fields reordered", join_lines(swapped_fields), Errc::parse},
        {"count too small", join_lines(short_count), Errc::parse},
        {"count too large", replace_once(text, "recipients: 3", "recipients: 4"), Errc::parse},
        {"count above 255", replace_once(text, "recipients: 3", "recipients: 256"),
         Errc::limit_exceeded},
        {"huge count", replace_once(text, "recipients: 3", "recipients: 99999999999999999999999"),
         Errc::limit_exceeded},
        {"single-custodian line with K = 2",
         replace_once(text, "threshold: 2\n", "threshold: 2\nsingle-custodian: allowed\n"),
         Errc::parse},
        {"K = 1 without the permission", replace_once(text, "threshold: 2", "threshold: 1"),
         Errc::parse},
        {"K > N", replace_once(text, "threshold: 2", "threshold: 4"), Errc::invalid_argument},
        {"K = 0", replace_once(text, "threshold: 2", "threshold: 0"), Errc::invalid_argument},
        {"not a policy", "hello\n", Errc::parse},
        {"newer version", replace_once(text, "ssoescrow-policy/2", "ssoescrow-policy/3"),
         Errc::unsupported_version},
        {"version 1 (no signers)", replace_once(text, "ssoescrow-policy/2", "ssoescrow-policy/1"),
         Errc::unsupported_version},
        {"no signer", replace_once(text, "signers: 1", "signers: 0"), Errc::parse},
        {"signers missing", text.substr(0, text.find("signers: ")), Errc::parse},
        {"signer count too large", replace_once(text, "signers: 1", "signers: 2"), Errc::parse},
        {"signer count above 255", replace_once(text, "signers: 1", "signers: 256"),
         Errc::limit_exceeded},
        {"long line", replace_once(text, "threshold: 2", "threshold: 2" + std::string(700, '0')),
         Errc::limit_exceeded},
    };
    for (const auto& variant : variants) {
        INFO(variant.name);
        auto parsed = parse_policy(variant.text, "config");
        REQUIRE_FALSE(parsed.ok());
        CHECK(parsed.error().code == variant.code);
        CHECK(parsed.error().message.rfind("config: escrow policy", 0) == 0);
    }

    auto newer = parse_policy(replace_once(text, "ssoescrow-policy/2", "ssoescrow-policy/3"), "c");
    REQUIRE_FALSE(newer.ok());
    CHECK(newer.error().message.find("unsupported version 3") != std::string::npos);

    // A 44-character key field without padding decodes to 33 bytes: refused as such.
    const std::string key_field = lines[3].substr(40, 44);
    REQUIRE(key_field.back() == '=');
    auto unpadded = parse_policy(replace_once(text, key_field, key_field.substr(0, 43) + "A"), "c");
    REQUIRE_FALSE(unpadded.ok());
    CHECK(unpadded.error().code == Errc::parse);
    CHECK(unpadded.error().message.find("not the base64 of 32 bytes") != std::string::npos);

    auto altered_key = parse_policy(replace_once(text, lines[3].substr(40, 4), "AAAA"), "c");
    REQUIRE_FALSE(altered_key.ok());
    CHECK(altered_key.error().code == Errc::parse);
}

TEST_CASE("a policy block embedded in a larger file reports its extent", "[vault][policy]") {
    EscrowPolicy policy = make_policy(3, 4);
    const std::string block = policy.serialise();
    const std::string file = block + "freshness: 7d\n";
    auto parsed = parse_policy_prefix(file, "vault.conf");
    REQUIRE(parsed.ok());
    CHECK(parsed->consumed == block.size());
    CHECK(parsed->policy.serialise() == block);

    auto whole = parse_policy(file, "vault.conf");
    REQUIRE_FALSE(whole.ok());
    CHECK(whole.error().code == Errc::parse);

    auto cut = parse_policy_prefix(block.substr(0, block.size() - 10), "vault.conf");
    REQUIRE_FALSE(cut.ok());
    CHECK(cut.error().code == Errc::parse);
    CHECK(cut.error().message.find("truncated") != std::string::npos);
}

TEST_CASE("policy validation checks each recipient's type and label", "[vault][policy]") {
    EscrowPolicy policy = make_policy(2, 3);
    EscrowPolicy bad_type = policy;
    bad_type.recipients[1].type = "x448";
    auto checked = bad_type.validate();
    REQUIRE_FALSE(checked.ok());
    CHECK(checked.error().code == Errc::invalid_argument);
    CHECK(checked.error().message.find("unsupported type 'x448'") != std::string::npos);

    for (const std::string& label :
         {std::string(), std::string(65, 'a'), std::string(" lead"), std::string("bell\x07")}) {
        EscrowPolicy bad_label = policy;
        bad_label.recipients[2].label = label;
        auto result = bad_label.validate();
        REQUIRE_FALSE(result.ok());
        CHECK(result.error().code == Errc::invalid_argument);
        CHECK(result.error().message.find(bad_label.recipients[2].fingerprint()) !=
              std::string::npos);
    }
    CHECK_THROWS_AS(bad_type.serialise(), std::logic_error);
}
