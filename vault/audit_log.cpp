#include "vault/audit_log.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <stdexcept>
#include <system_error>

#include "crypto/bytes.hpp"
#include "crypto/hash.hpp"
#include "crypto/sign.hpp"
#include "platform/directories.hpp"
#include "platform/file_io.hpp"
#include "platform/path_text.hpp"
#include "platform/process_info.hpp"
#include "platform/test_hooks.hpp"

namespace ssoescrow::vault {

namespace fs = std::filesystem;

namespace {

enum class Kind {
    id,
    hash,
    policy,
    fingerprint,
    integer,
    time,
    text,
    purpose,
    password,
    signer,
    signature
};

constexpr std::string_view k_record_signature_label = "ssoescrow/1 audit-record-signature";
enum class Count { one, optional, some, many };

struct FieldSpec {
    std::string_view key;
    Kind kind;
    Count count;
};

struct TypeSpec {
    AuditType type;
    std::string_view name;
    std::vector<FieldSpec> fields;
};

const std::vector<FieldSpec>& sealed_fields() {
    static const std::vector<FieldSpec> fields{
        {"backup", Kind::id, Count::one},         {"envelope", Kind::hash, Count::one},
        {"created", Kind::time, Count::one},      {"computer", Kind::text, Count::one},
        {"current-msid", Kind::text, Count::one}, {"previous-msid", Kind::text, Count::optional},
        {"label", Kind::text, Count::optional},   {"policy", Kind::policy, Count::one},
        {"signer", Kind::signer, Count::one},     {"signature", Kind::signature, Count::one},
    };
    return fields;
}

const std::vector<FieldSpec>& rekey_fields() {
    static const std::vector<FieldSpec> fields{
        {"backup", Kind::id, Count::one},           {"envelope", Kind::hash, Count::one},
        {"created", Kind::time, Count::one},        {"computer", Kind::text, Count::one},
        {"current-msid", Kind::text, Count::one},   {"previous-msid", Kind::text, Count::optional},
        {"label", Kind::text, Count::optional},     {"policy", Kind::policy, Count::one},
        {"old-backup", Kind::id, Count::one},       {"signer", Kind::signer, Count::one},
        {"signature", Kind::signature, Count::one},
    };
    return fields;
}

const std::vector<FieldSpec>& receipt_fields() {
    static const std::vector<FieldSpec> fields{
        {"backup", Kind::id, Count::one},
        {"request", Kind::id, Count::one},
        // Optional only so that records written before they existed still read; every writer
        // writes both (a missing purpose reads as unknown, a missing password as not proven
        // except on a restore record of a node, which ENTSSO accepted).
        {"purpose", Kind::purpose, Count::optional},
        {"node", Kind::text, Count::one},
        {"msid", Kind::text, Count::one},
        {"password", Kind::password, Count::optional},
        // The receipt's random id (FORMAT.md 4.9); absent in records written before it existed.
        {"receipt", Kind::id, Count::optional},
        {"custodian", Kind::fingerprint, Count::some},
        {"signer", Kind::signer, Count::one},
        {"signature", Kind::signature, Count::one},
    };
    return fields;
}

const std::vector<FieldSpec>& custodian_fields() {
    static const std::vector<FieldSpec> fields{
        {"custodian", Kind::fingerprint, Count::one},
        {"reason", Kind::text, Count::one},
    };
    return fields;
}

const std::vector<TypeSpec>& type_specs() {
    static const std::vector<TypeSpec> specs{
        {AuditType::vault_init,
         "vault-init",
         {{"config", Kind::hash, Count::one},
          {"policy", Kind::policy, Count::one},
          {"threshold", Kind::integer, Count::one},
          {"custodian", Kind::fingerprint, Count::some},
          {"policy-signer", Kind::fingerprint, Count::some}}},
        {AuditType::backup, "backup", sealed_fields()},
        {AuditType::rotate, "rotate", sealed_fields()},
        {AuditType::import, "import", sealed_fields()},
        {AuditType::adopt, "adopt", sealed_fields()},
        {AuditType::prune,
         "prune",
         {{"backup", Kind::id, Count::one},
          {"envelope", Kind::hash, Count::one},
          {"reason", Kind::text, Count::one}}},
        {AuditType::drill, "drill", receipt_fields()},
        {AuditType::restore, "restore", receipt_fields()},
        // The sealing record of a backup moved to a new policy by a rekey: the fields of every
        // sealing record, plus the backup it replaces (its successor keeps `created`).
        {AuditType::rekey, "rekey", rekey_fields()},
        {AuditType::policy_change,
         "policy-change",
         {{"old-config", Kind::hash, Count::one},
          {"new-config", Kind::hash, Count::one},
          {"policy", Kind::policy, Count::one},
          {"threshold", Kind::integer, Count::one},
          {"custodian", Kind::fingerprint, Count::some},
          {"policy-signer", Kind::fingerprint, Count::some},
          // The rekey request whose ceremony this record commits (FORMAT.md 4.10).
          {"rekey", Kind::id, Count::optional},
          // The new custodians whose proofs opened every new envelope before this commit
          // (`rekey apply --proof`).
          {"proven", Kind::fingerprint, Count::many}}},
        // A change of the vault's non-security settings (`vault config set`): the settings
        // changed, each as "KEY VALUE" with the new canonical value, are enough to rebuild the
        // new config from the old one, so an interrupted change can be finished (FORMAT.md 4.6).
        {AuditType::config_change,
         "config-change",
         {{"old-config", Kind::hash, Count::one},
          {"new-config", Kind::hash, Count::one},
          {"policy", Kind::policy, Count::one},
          {"setting", Kind::text, Count::some},
          {"reason", Kind::text, Count::optional}}},
        {AuditType::lock_override,
         "lock-override",
         {{"holder-host", Kind::text, Count::one},
          {"holder-pid", Kind::integer, Count::one},
          {"holder-started", Kind::time, Count::one},
          {"reason", Kind::text, Count::one}}},
        {AuditType::custodian_departed, "custodian-departed", custodian_fields()},
        {AuditType::custodian_reinstated, "custodian-reinstated", custodian_fields()},
        {AuditType::rollback_accepted,
         "rollback-accepted",
         {{"seen-seq", Kind::integer, Count::one},
          {"seen-record", Kind::hash, Count::one},
          {"reason", Kind::text, Count::one}}},
    };
    return specs;
}

const TypeSpec& spec_of(AuditType type) {
    for (const TypeSpec& spec : type_specs()) {
        if (spec.type == type)
            return spec;
    }
    throw std::logic_error("audit type without schema");
}

Status check_value(Kind kind, std::string_view value, const std::string& what) {
    switch (kind) {
        case Kind::id:
            return check_hex(value, 16, what);
        case Kind::hash:
            return check_hex(value, 32, what);
        case Kind::policy:
            if (value.substr(0, 7) != "sha256:") {
                return make_error(Errc::parse, what + ": expected sha256:<64 hex>");
            }
            return check_hex(value.substr(7), 32, what);
        case Kind::fingerprint:
            if (!is_fingerprint_text(value)) {
                return make_error(Errc::parse,
                                  what +
                                      ": expected a recipient fingerprint (8 groups of 4 "
                                      "lower-case hex digits joined by '-')");
            }
            return {};
        case Kind::integer: {
            TRY(parse_integer(value, what));
            return {};
        }
        case Kind::time: {
            TRY(parse_time(value, what));
            return {};
        }
        case Kind::text:
            return check_text(value, what);
        case Kind::purpose:
            if (value != "restore" && value != "drill" && value != "extract")
                return make_error(Errc::parse, what + ": expected restore, drill or extract");
            return {};
        case Kind::password:
            if (value != k_password_proven && value != k_password_not_proven)
                return make_error(Errc::parse, what + ": expected proven or not-proven");
            return {};
        case Kind::signer: {
            // "<fingerprint> <public key, base64 of 32 bytes>": the fingerprint is recomputed.
            const std::size_t space = value.find(' ');
            const std::string_view key_text =
                space == std::string_view::npos ? std::string_view() : value.substr(space + 1);
            if (space == std::string_view::npos || key_text.size() != 44 || key_text[42] == '=' ||
                key_text[43] != '=') {
                return make_error(Errc::parse,
                                  what + ": expected '<signer fingerprint> <public key>'");
            }
            TRY_ASSIGN(const Bytes key, from_base64(key_text, what));
            crypto::SignerPublicKey public_key{};
            if (key.size() != public_key.size()) {
                return make_error(Errc::parse, what + ": the public key is not 32 bytes");
            }
            std::copy(key.begin(), key.end(), public_key.begin());
            if (value.substr(0, space) != crypto::signer_fingerprint_of(public_key)) {
                return make_error(Errc::parse,
                                  what + ": the fingerprint does not match the public key");
            }
            return {};
        }
        case Kind::signature: {
            if (value.size() != 88 || value[85] == '=' || value.substr(86) != "==") {
                return make_error(Errc::parse, what + ": expected the base64 of 64 bytes");
            }
            TRY_ASSIGN(const Bytes signature, from_base64(value, what));
            if (signature.size() != crypto::k_ed25519_signature_size) {
                return make_error(Errc::parse, what + ": expected the base64 of 64 bytes");
            }
            return {};
        }
    }
    return make_error(Errc::internal, what + ": unknown kind");
}

// Checks `fields` against the schema: keys in schema order, multiplicities, value kinds.
Status check_fields(const TypeSpec& spec, const std::vector<AuditField>& fields,
                    const std::string& what) {
    if (fields.size() > k_max_audit_fields) {
        return make_error(Errc::limit_exceeded,
                          what + ": more than " + std::to_string(k_max_audit_fields) + " fields");
    }
    std::size_t i = 0;
    for (const FieldSpec& field : spec.fields) {
        std::size_t seen = 0;
        while (i < fields.size() && fields[i].key == field.key) {
            if ((field.count == Count::one || field.count == Count::optional) && seen == 1) {
                return make_error(Errc::parse,
                                  what + ": field '" + std::string(field.key) + "' repeated");
            }
            TRY(check_value(field.kind, fields[i].value, what + ": " + std::string(field.key)));
            ++seen;
            ++i;
        }
        if (seen == 0 && (field.count == Count::one || field.count == Count::some)) {
            const std::string found =
                i < fields.size() ? "found '" + fields[i].key + "'" : "found the end";
            return make_error(Errc::parse, what + ": " + std::string(spec.name) +
                                               " record needs field '" + std::string(field.key) +
                                               "' here, " + found);
        }
    }
    if (i < fields.size()) {
        return make_error(Errc::parse, what + ": unexpected field '" + fields[i].key + "' in a " +
                                           std::string(spec.name) + " record");
    }
    return {};
}

bool is_known_key_char(char c) {
    return (c >= 'a' && c <= 'z') || c == '-';
}

}  // namespace

std::string_view severity_name(Severity severity) noexcept {
    switch (severity) {
        case Severity::info:
            return "info";
        case Severity::warning:
            return "warning";
        case Severity::damaged:
            return "damaged";
    }
    return "warning";
}

bool has_damage(const Findings& findings) noexcept {
    return std::any_of(findings.begin(), findings.end(),
                       [](const Finding& f) { return f.severity == Severity::damaged; });
}

bool has_problem(const Findings& findings) noexcept {
    return std::any_of(findings.begin(), findings.end(),
                       [](const Finding& f) { return f.severity != Severity::info; });
}

std::string_view audit_type_name(AuditType type) noexcept {
    for (const TypeSpec& spec : type_specs()) {
        if (spec.type == type)
            return spec.name;
    }
    return "unknown";
}

std::optional<AuditType> audit_type_from_name(std::string_view name) noexcept {
    for (const TypeSpec& spec : type_specs()) {
        if (spec.name == name)
            return spec.type;
    }
    return std::nullopt;
}

std::string_view AuditRecord::field(std::string_view key) const {
    for (const AuditField& f : fields) {
        if (f.key == key)
            return f.value;
    }
    return {};
}

std::vector<std::string> AuditRecord::fields_named(std::string_view key) const {
    std::vector<std::string> out;
    for (const AuditField& f : fields) {
        if (f.key == key)
            out.push_back(f.value);
    }
    return out;
}

Status AuditRecord::validate() const {
    const std::string what = "audit record " + std::to_string(seq);
    if (seq == 0)
        return make_error(Errc::invalid_argument, what + ": seq must start at 1");
    if (seq == 1) {
        if (!prev.empty())
            return make_error(Errc::parse, what + ": the first record has no prev");
    } else {
        TRY(check_hex(prev, 32, what + ": prev"));
    }
    if (time < 0 || time > k_max_time) {
        return make_error(Errc::invalid_argument, what + ": time out of range");
    }
    TRY(check_hex(vault_id, 16, what + ": vault"));
    TRY(check_token(actor, what + ": actor"));
    if ((seq == 1) != (type == AuditType::vault_init)) {
        return make_error(Errc::parse, what + ": the first record, and only it, is vault-init");
    }
    return check_fields(spec_of(type), fields, what);
}

std::string AuditRecord::serialise() const {
    if (!validate())
        throw std::logic_error("AuditRecord::serialise: invalid record");
    std::string out;
    out += std::string(k_audit_magic_prefix) + std::to_string(k_audit_version) + "\n";
    out += "vault: " + vault_id + "\n";
    out += "seq: " + std::to_string(seq) + "\n";
    out += "prev: " + (prev.empty() ? std::string("none") : prev) + "\n";
    out += "time: " + format_time(time) + "\n";
    out += "actor: " + actor + "\n";
    out += "type: " + std::string(audit_type_name(type)) + "\n";
    for (const AuditField& f : fields)
        out += f.key + ": " + f.value + "\n";
    out += "end: " + std::to_string(seq) + "\n";
    return out;
}

Result<AuditRecord> parse_audit_record(std::string_view text, std::string_view source) {
    const std::string what = "audit record " + std::string(source);
    if (text.size() > k_max_audit_record_size) {
        return make_error(
            Errc::limit_exceeded,
            what + " is larger than " + std::to_string(k_max_audit_record_size) + " bytes");
    }
    TRY_ASSIGN(const auto lines, split_lines(text, k_max_audit_fields + 8, what));
    const std::string_view first = lines[0];
    if (first.substr(0, k_audit_magic_prefix.size()) != k_audit_magic_prefix) {
        return make_error(Errc::parse, what + " is not an ssoescrow audit record");
    }
    TRY_ASSIGN(const std::uint64_t version,
               parse_integer(first.substr(k_audit_magic_prefix.size()), what + ": version"));
    if (version != k_audit_version) {
        return make_error(Errc::unsupported_version,
                          what + ": unsupported version " + std::to_string(version));
    }
    if (lines.size() < 8)
        return make_error(Errc::parse, what + " is truncated");
    AuditRecord record;
    TRY_ASSIGN(const std::string_view vault, expect_field(lines[1], "vault", what));
    record.vault_id = std::string(vault);
    TRY_ASSIGN(const std::string_view seq, expect_field(lines[2], "seq", what));
    TRY_ASSIGN(record.seq, parse_integer(seq, what + ": seq"));
    TRY_ASSIGN(const std::string_view prev, expect_field(lines[3], "prev", what));
    if (prev != "none")
        record.prev = std::string(prev);
    TRY_ASSIGN(const std::string_view time, expect_field(lines[4], "time", what));
    TRY_ASSIGN(record.time, parse_time(time, what + ": time"));
    TRY_ASSIGN(const std::string_view actor, expect_field(lines[5], "actor", what));
    record.actor = std::string(actor);
    TRY_ASSIGN(const std::string_view type, expect_field(lines[6], "type", what));
    const auto type_value = audit_type_from_name(type);
    if (!type_value) {
        return make_error(Errc::parse, what + ": unknown record type '" + std::string(type) + "'");
    }
    record.type = *type_value;
    // Exactly as many fields as lines: a whole audit log is held in memory by readers.
    record.fields.reserve(lines.size() > 8 ? lines.size() - 8 : 0);
    for (std::size_t i = 7; i + 1 < lines.size(); ++i) {
        const std::string_view line = lines[i];
        const std::size_t colon = line.find(": ");
        if (colon == std::string_view::npos || colon == 0 ||
            !std::all_of(line.begin(), line.begin() + static_cast<std::ptrdiff_t>(colon),
                         is_known_key_char)) {
            return make_error(Errc::parse,
                              what + ": line " + std::to_string(i + 1) + " is not 'key: value'");
        }
        record.fields.push_back(
            {std::string(line.substr(0, colon)), std::string(line.substr(colon + 2))});
    }
    TRY_ASSIGN(const std::string_view end, expect_field(lines.back(), "end", what));
    if (end != std::to_string(record.seq)) {
        return make_error(Errc::parse, what +
                                           " is truncated or damaged (end line does not "
                                           "repeat the seq)");
    }
    TRY(record.validate());
    if (record.serialise() != text) {
        return make_error(Errc::parse, what + " is not in canonical form");
    }
    return record;
}

bool is_signed_record_type(AuditType type) noexcept {
    switch (type) {
        case AuditType::backup:
        case AuditType::rotate:
        case AuditType::import:
        case AuditType::adopt:
        case AuditType::rekey:
        case AuditType::drill:
        case AuditType::restore:
            return true;
        default:
            return false;
    }
}

namespace {

// The signed message: a label, NUL, and the record's canonical bytes before the signature line.
Bytes record_signature_message(const AuditRecord& record) {
    const std::string text = record.serialise();
    const std::size_t at = text.rfind("\nsignature: ");
    Bytes message = to_bytes(k_record_signature_label);
    message.push_back(0);
    const std::string_view covered = std::string_view(text).substr(0, at + 1);
    message.insert(message.end(), covered.begin(), covered.end());
    return message;
}

}  // namespace

Status sign_audit_record(AuditRecord& record, const crypto::SigningKey& key) {
    if (!is_signed_record_type(record.type)) {
        return make_error(Errc::internal, "sign_audit_record: not a signed record type");
    }
    std::erase_if(record.fields,
                  [](const AuditField& f) { return f.key == "signer" || f.key == "signature"; });
    record.fields.push_back(
        {"signer", key.signer.fingerprint() + " " + to_base64(key.signer.public_key)});
    // A placeholder of the right form, so the record serialises; the signature does not cover it.
    record.fields.push_back({"signature", to_base64(crypto::Signature{})});
    TRY(record.validate());
    const crypto::Signature signature = key.sign(record_signature_message(record));
    record.fields.back().value = to_base64(signature);
    return {};
}

Result<RecordSigner> verify_audit_record_signature(const AuditRecord& record) {
    const std::string what = "audit record " + std::to_string(record.seq);
    const std::string_view signer = record.field("signer");
    const std::string_view signature_text = record.field("signature");
    if (signer.empty() || signature_text.empty()) {
        return make_error(Errc::auth_failed, what + " carries no signature");
    }
    RecordSigner out;
    out.fingerprint = std::string(signer.substr(0, signer.find(' ')));
    TRY_ASSIGN(const Bytes key, from_base64(signer.substr(signer.find(' ') + 1), what));
    TRY_ASSIGN(const Bytes signature, from_base64(signature_text, what));
    if (key.size() != out.public_key.size() ||
        !crypto::ed25519_verify(key, record_signature_message(record), signature)) {
        return make_error(Errc::auth_failed, what + ": the signature of signer " + out.fingerprint +
                                                 " does not verify (edited or forged)");
    }
    std::copy(key.begin(), key.end(), out.public_key.begin());
    return out;
}

std::string audit_file_name(std::uint64_t seq, std::string_view hash_hex) {
    std::string digits = std::to_string(seq);
    if (digits.size() < 10)
        digits.insert(0, 10 - digits.size(), '0');
    return digits + "-" + std::string(hash_hex) + std::string(k_audit_suffix);
}

std::optional<AuditFileName> parse_audit_file_name(std::string_view name) {
    // 10 digits, '-', 64 hex, ".rec"
    if (name.size() != 10 + 1 + 64 + k_audit_suffix.size() || name[10] != '-' ||
        name.substr(75) != k_audit_suffix) {
        return std::nullopt;
    }
    std::uint64_t seq = 0;
    for (std::size_t i = 0; i < 10; ++i) {
        if (name[i] < '0' || name[i] > '9')
            return std::nullopt;
        seq = seq * 10 + static_cast<std::uint64_t>(name[i] - '0');
    }
    const std::string_view hash = name.substr(11, 64);
    if (!check_hex(hash, 32, "name") || seq == 0)
        return std::nullopt;
    return AuditFileName{seq, std::string(hash)};
}

std::string audit_hash(std::string_view file_bytes) {
    return to_hex(crypto::sha256(as_bytes(file_bytes)));
}

std::string current_actor() {
    const std::string user = platform::user_name();
    const std::string host = platform::host_name();
    std::string actor = user + "@" + host;
    for (char& c : actor) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x21 || byte > 0x7e)
            c = '_';
    }
    if (actor.size() > k_max_token_size)
        actor.resize(k_max_token_size);
    return actor;
}

const ChainRecord* AuditChain::find(std::uint64_t seq) const noexcept {
    if (records.empty() || seq < records.front().record.seq)
        return nullptr;
    // Records are ascending and, in an intact chain, consecutive: try the direct position first.
    const std::uint64_t offset = seq - records.front().record.seq;
    if (offset < records.size() && records[offset].record.seq == seq)
        return &records[offset];
    const auto it = std::lower_bound(
        records.begin(), records.end(), seq,
        [](const ChainRecord& r, std::uint64_t wanted) { return r.record.seq < wanted; });
    return it != records.end() && it->record.seq == seq ? &*it : nullptr;
}

namespace {

struct ListedRecord {
    AuditFileName name;
    std::string file_name;
};

constexpr std::array<bool, 256> k_lower_hex = [] {
    std::array<bool, 256> table{};
    for (char c : std::string_view("0123456789abcdef"))
        table[static_cast<unsigned char>(c)] = true;
    return table;
}();

bool is_lower_hex_digit(char c) noexcept {
    return k_lower_hex[static_cast<unsigned char>(c)];
}

// The seq of a well-formed record name (parse_audit_file_name's rules), 0 for any other name;
// without allocating: a writer checks every name of audit/ on each run.
std::uint64_t record_name_seq(std::string_view name) noexcept {
    if (name.size() != 10 + 1 + 64 + k_audit_suffix.size() || name[10] != '-' ||
        name.substr(75) != k_audit_suffix) {
        return 0;
    }
    std::uint64_t seq = 0;
    for (std::size_t i = 0; i < 10; ++i) {
        if (name[i] < '0' || name[i] > '9')
            return 0;
        seq = seq * 10 + static_cast<std::uint64_t>(name[i] - '0');
    }
    for (std::size_t i = 11; i < 75; ++i) {
        if (!is_lower_hex_digit(name[i]))
            return 0;
    }
    return seq;
}

// Lists audit/: every record name goes to `on_record` (its seq and the name); temp files and
// other names become findings. Returns false in `present` when the directory is missing (a
// finding too).
Status list_audit_dir(const fs::path& dir, AuditChain& chain, bool& present,
                      const std::function<void(std::uint64_t, std::string_view)>& on_record) {
    std::error_code ec;
    present = fs::is_directory(fs::symlink_status(dir, ec));
    if (!present) {
        chain.findings.push_back({Severity::damaged, "audit-missing", std::string(k_audit_dir),
                                  "the audit directory is missing: the vault's history is gone"});
        return {};
    }
    std::size_t count = 0;
    return platform::for_each_directory_name(dir, [&](std::string_view name) -> Status {
        if (++count > k_max_audit_records) {
            return make_error(Errc::limit_exceeded,
                              "audit directory " + platform::path_to_utf8(dir) +
                                  " holds more than " + std::to_string(k_max_audit_records) +
                                  " entries");
        }
        if (platform::is_temp_name(name)) {
            chain.findings.push_back({Severity::warning, "temp-file",
                                      std::string(k_audit_dir) + "/" + std::string(name),
                                      "leftover temp file of an interrupted write; the next "
                                      "writer removes it"});
            return {};
        }
        const std::uint64_t seq = record_name_seq(name);
        if (seq == 0) {
            chain.findings.push_back({Severity::warning, "unknown-file",
                                      std::string(k_audit_dir) + "/" + std::string(name),
                                      "not an audit record name; ignored"});
            return {};
        }
        on_record(seq, name);
        return {};
    });
}

void sort_listed(std::vector<ListedRecord>& entries) {
    std::sort(entries.begin(), entries.end(), [](const ListedRecord& a, const ListedRecord& b) {
        return a.name.seq != b.name.seq ? a.name.seq < b.name.seq : a.file_name < b.file_name;
    });
}

// Reads and verifies `entries` (sorted), the first expected to be seq `expected`: content hash,
// parse, seq, vault, prev links between adjacent records, forks and gaps.
void verify_listed_records(const fs::path& dir, const std::vector<ListedRecord>& entries,
                           std::uint64_t expected, std::string_view vault_id, AuditChain& chain) {
    // Index into chain.records of the record just before, when it was readable and adjacent.
    constexpr std::size_t k_none = static_cast<std::size_t>(-1);
    std::size_t previous = k_none;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const ListedRecord& e = entries[i];
        const std::string rel = std::string(k_audit_dir) + "/" + e.file_name;
        const bool forked = (i > 0 && entries[i - 1].name.seq == e.name.seq) ||
                            (i + 1 < entries.size() && entries[i + 1].name.seq == e.name.seq);
        if (forked) {
            chain.findings.push_back({Severity::damaged, "audit-fork", rel,
                                      "two records with seq " + std::to_string(e.name.seq) +
                                          ": the log forked (a writer ran without the lock, or "
                                          "a record was forged)"});
        }
        if (e.name.seq > expected) {
            const std::uint64_t missing_to = e.name.seq - 1;
            chain.findings.push_back(
                {Severity::damaged, "audit-gap", rel,
                 "audit record" +
                     (missing_to == expected ? " " + std::to_string(expected) + " is"
                                             : "s " + std::to_string(expected) + ".." +
                                                   std::to_string(missing_to) + " are") +
                     " missing before this one (removed from the log)"});
            previous = k_none;
        }
        expected = e.name.seq + 1;
        auto bytes = platform::read_file(dir / platform::path_from_utf8(e.file_name),
                                         k_max_audit_record_size);
        if (!bytes) {
            const Errc code = bytes.error().code;
            chain.findings.push_back(
                {Severity::damaged,
                 code == Errc::limit_exceeded ? "audit-record-too-large" : "audit-unreadable", rel,
                 bytes.error().message});
            previous = k_none;
            continue;
        }
        const std::string_view text(reinterpret_cast<const char*>(bytes->data()), bytes->size());
        std::string hash = audit_hash(text);
        if (hash != e.name.hash) {
            chain.findings.push_back({Severity::damaged, "audit-record-altered", rel,
                                      "content does not match the hash in its name (edited, "
                                      "truncated or bit-flipped)"});
            previous = k_none;
            continue;
        }
        auto record = parse_audit_record(text, rel);
        if (!record) {
            chain.findings.push_back({Severity::damaged,
                                      record.error().code == Errc::unsupported_version
                                          ? "audit-unsupported-version"
                                          : "audit-record-malformed",
                                      rel, record.error().message});
            previous = k_none;
            continue;
        }
        if (record->seq != e.name.seq) {
            chain.findings.push_back({Severity::damaged, "audit-seq-mismatch", rel,
                                      "the record says seq " + std::to_string(record->seq) +
                                          " but its name says " + std::to_string(e.name.seq)});
            continue;
        }
        if (record->vault_id != vault_id) {
            chain.findings.push_back({Severity::damaged, "audit-other-vault", rel,
                                      "the record belongs to vault " + record->vault_id +
                                          ", not this vault " + std::string(vault_id)});
            continue;
        }
        const ChainRecord* before = previous != k_none ? &chain.records[previous] : nullptr;
        if (before != nullptr && before->record.seq + 1 == record->seq &&
            record->prev != before->hash) {
            chain.findings.push_back({Severity::damaged, "audit-chain-broken", rel,
                                      "prev does not match the hash of record " +
                                          std::to_string(before->record.seq) +
                                          " (a record was replaced)"});
        }
        if (before != nullptr && record->time < before->record.time) {
            chain.findings.push_back({Severity::warning, "audit-time-backwards", rel,
                                      "time " + format_time(record->time) +
                                          " is before the previous record's (clock stepped back)"});
        }
        chain.records.push_back({std::move(*record), std::move(hash), rel});
        previous = chain.records.size() - 1;
    }
    // A fork leaves two entries for a seq; keep the findings but only one record per seq in
    // `records` (the first by name) so readers see a single sequence.
    const auto duplicate = std::unique(
        chain.records.begin(), chain.records.end(),
        [](const ChainRecord& a, const ChainRecord& b) { return a.record.seq == b.record.seq; });
    chain.records.erase(duplicate, chain.records.end());
}

}  // namespace

Result<AuditChain> read_audit_chain(const fs::path& vault_dir, std::string_view vault_id) {
    const fs::path dir = vault_dir / k_audit_dir;
    AuditChain chain;
    std::vector<ListedRecord> entries;
    bool present = false;
    TRY(list_audit_dir(dir, chain, present, [&](std::uint64_t seq, std::string_view file) {
        entries.push_back({{seq, std::string(file.substr(11, 64))}, std::string(file)});
    }));
    if (!present)
        return chain;
    sort_listed(entries);
    chain.records.reserve(entries.size());
    verify_listed_records(dir, entries, 1, vault_id, chain);
    if (entries.empty()) {
        chain.findings.push_back({Severity::damaged, "audit-empty", std::string(k_audit_dir),
                                  "the audit log has no records (vault-init is missing)"});
    }
    return chain;
}

Result<AuditChain> read_audit_chain_after(const fs::path& vault_dir, std::string_view vault_id,
                                          const AuditHead& base) {
    const fs::path dir = vault_dir / k_audit_dir;
    AuditChain chain;
    chain.complete = false;
    if (base.seq == 0 || base.seq > k_max_audit_records)
        return make_error(Errc::internal, "read_audit_chain_after: no verified head");
    // Below the base only the names count: one per seq, none missing.
    std::vector<std::uint8_t> below(base.seq - 1, 0);
    std::vector<ListedRecord> after;
    bool below_forked = false;
    bool present = false;
    TRY(list_audit_dir(dir, chain, present, [&](std::uint64_t seq, std::string_view file) {
        if (seq >= base.seq) {
            after.push_back({{seq, std::string(file.substr(11, 64))}, std::string(file)});
        } else if (below[seq - 1]++ != 0) {
            below_forked = true;
        }
    }));
    if (!present)
        return chain;
    const std::string where(k_audit_dir);
    if (below_forked) {
        chain.findings.push_back(
            {Severity::damaged, "audit-fork", where,
             "two records with the same seq below the verified head " + std::to_string(base.seq)});
    }
    if (std::find(below.begin(), below.end(), 0) != below.end()) {
        chain.findings.push_back(
            {Severity::damaged, "audit-gap", where,
             "a record below the verified head " + std::to_string(base.seq) + " is missing"});
    }
    sort_listed(after);
    if (after.empty() || after.front().name.seq != base.seq ||
        after.front().name.hash != base.hash) {
        chain.findings.push_back({Severity::damaged, "audit-history-rewritten", where,
                                  "the verified head, record " + std::to_string(base.seq) +
                                      ", is not in the audit log under its name"});
        return chain;
    }
    verify_listed_records(dir, after, base.seq, vault_id, chain);
    return chain;
}

std::string serialise_audit_head(const AuditHeadFile& head) {
    std::string out = "ssoescrow-audit-head/1\n";
    out += "vault: " + head.vault_id + "\n";
    out += "seq: " + std::to_string(head.head.seq) + "\n";
    out += "record: " + head.head.hash + "\n";
    return out;
}

Result<AuditHeadFile> parse_audit_head(std::string_view text, std::string_view source) {
    const std::string what = "audit head " + std::string(source);
    if (text.size() > k_max_audit_head_size)
        return make_error(Errc::limit_exceeded, what + " is too large");
    TRY_ASSIGN(const auto lines, split_lines(text, 6, what));
    constexpr std::string_view magic = "ssoescrow-audit-head/";
    if (lines[0].substr(0, magic.size()) == magic && lines[0] != "ssoescrow-audit-head/1") {
        return make_error(
            Errc::unsupported_version,
            what + ": unsupported version " + std::string(lines[0].substr(magic.size())));
    }
    if (lines.size() != 4 || lines[0] != "ssoescrow-audit-head/1")
        return make_error(Errc::parse, what + " is malformed");
    AuditHeadFile head;
    TRY_ASSIGN(const std::string_view vault, expect_field(lines[1], "vault", what));
    TRY(check_hex(vault, 16, what + ": vault"));
    head.vault_id = std::string(vault);
    TRY_ASSIGN(const std::string_view seq, expect_field(lines[2], "seq", what));
    TRY_ASSIGN(head.head.seq, parse_integer(seq, what + ": seq"));
    if (head.head.seq == 0 || head.head.seq > k_max_audit_records)
        return make_error(Errc::parse, what + ": seq out of range");
    TRY_ASSIGN(const std::string_view record, expect_field(lines[3], "record", what));
    TRY(check_hex(record, 32, what + ": record"));
    head.head.hash = std::string(record);
    if (serialise_audit_head(head) != text)
        return make_error(Errc::parse, what + " is not in canonical form");
    return head;
}

Result<std::optional<AuditHeadFile>> read_audit_head(const fs::path& vault_dir) {
    return read_optional_text_file(vault_dir / k_audit_head_file, k_max_audit_head_size,
                                   &parse_audit_head);
}

Status write_audit_head(const fs::path& vault_dir, const AuditHeadFile& head) {
    return platform::write_file_durably(vault_dir / k_audit_head_file,
                                        as_bytes(serialise_audit_head(head)),
                                        platform::Overwrite::yes, platform::FinalMode::read_write);
}

std::optional<AuditChain> read_audit_chain_from_head(const fs::path& vault_dir,
                                                     std::string_view vault_id,
                                                     const AuditHead& base) {
    auto head = read_audit_head(vault_dir);
    if (!head || !*head || (*head)->vault_id != vault_id || (*head)->head.seq < base.seq)
        return std::nullopt;
    const fs::path dir = vault_dir / k_audit_dir;
    // From the head back to the base: each record's prev names the file of the one before it.
    std::vector<ListedRecord> path;
    AuditHead at = (*head)->head;
    while (at.seq > base.seq) {
        std::string file = audit_file_name(at.seq, at.hash);
        auto bytes = platform::read_file(dir / file, k_max_audit_record_size);
        if (!bytes)
            return std::nullopt;
        const std::string_view text(reinterpret_cast<const char*>(bytes->data()), bytes->size());
        if (audit_hash(text) != at.hash)
            return std::nullopt;
        auto record = parse_audit_record(text, file);
        if (!record || record->seq != at.seq)
            return std::nullopt;
        path.push_back({{at.seq, at.hash}, std::move(file)});
        at = {at.seq - 1, std::move(record->prev)};
    }
    if (at.hash != base.hash)
        return std::nullopt;
    path.push_back({{at.seq, at.hash}, audit_file_name(at.seq, at.hash)});
    std::reverse(path.begin(), path.end());
    AuditChain chain;
    chain.complete = false;
    verify_listed_records(dir, path, base.seq, vault_id, chain);
    return chain;
}

Result<ChainRecord> append_audit_record(const fs::path& vault_dir, AuditChain& chain,
                                        AuditRecord record, const crypto::SigningKey* signer) {
    if (!chain.intact() || chain.records.empty()) {
        return make_error(Errc::vault_damaged,
                          "the audit log of " + platform::path_to_utf8(vault_dir) +
                              " is damaged; refusing to extend it",
                          "run 'ssoescrow vault check --vault " +
                              platform::path_to_utf8(vault_dir) + "' to see what is wrong");
    }
    const ChainRecord& head = chain.records.back();
    record.seq = head.record.seq + 1;
    record.prev = head.hash;
    record.vault_id = head.record.vault_id;
    if (is_signed_record_type(record.type)) {
        if (signer == nullptr) {
            return make_error(Errc::internal, "a " + std::string(audit_type_name(record.type)) +
                                                  " record must be signed");
        }
        TRY(sign_audit_record(record, *signer));
    }
    TRY(record.validate());
    const std::string text = record.serialise();
    const std::string hash = audit_hash(text);
    const std::string name = audit_file_name(record.seq, hash);
    // The head first: it may name a record that never gets written (the next writer then lists
    // audit/), but never one older than a record that exists.
    TRY(write_audit_head(vault_dir, {record.vault_id, {record.seq, hash}}));
    platform::test_hooks::crash_point("append-after-audit-head");
    TRY(platform::write_file_durably(vault_dir / k_audit_dir / name, as_bytes(text),
                                     platform::Overwrite::no, platform::FinalMode::read_only));
    chain.records.push_back({std::move(record), hash, std::string(k_audit_dir) + "/" + name});
    return chain.records.back();
}

Result<AuditChain> start_audit_log(const fs::path& vault_dir, AuditRecord record) {
    record.seq = 1;
    record.prev.clear();
    TRY(record.validate());
    const std::string text = record.serialise();
    const std::string hash = audit_hash(text);
    const std::string name = audit_file_name(1, hash);
    std::error_code ec;
    for (fs::directory_iterator it(vault_dir / k_audit_dir, ec), end; !ec && it != end;
         it.increment(ec)) {
        if (!platform::is_temp_name(platform::path_to_utf8(it->path().filename()))) {
            return make_error(
                Errc::already_exists,
                "audit log of " + platform::path_to_utf8(vault_dir) + " is not empty");
        }
    }
    if (ec)
        return platform::file_error(ec, "list", vault_dir / k_audit_dir);
    TRY(write_audit_head(vault_dir, {record.vault_id, {1, hash}}));
    TRY(platform::write_file_durably(vault_dir / k_audit_dir / name, as_bytes(text),
                                     platform::Overwrite::no, platform::FinalMode::read_only));
    AuditChain chain;
    chain.records.push_back({std::move(record), hash, std::string(k_audit_dir) + "/" + name});
    return chain;
}

std::vector<RestoreReceipt> restore_receipts(const AuditChain& chain) {
    std::vector<RestoreReceipt> out;
    for (const ChainRecord& r : chain.records) {
        const AuditRecord& rec = r.record;
        if (rec.type != AuditType::drill && rec.type != AuditType::restore)
            continue;
        RestoreReceipt receipt;
        receipt.drill = rec.type == AuditType::drill;
        receipt.time = rec.time;
        receipt.actor = rec.actor;
        receipt.node = std::string(rec.field("node"));
        receipt.msid = std::string(rec.field("msid"));
        receipt.backup_id = std::string(rec.field("backup"));
        receipt.request_id = std::string(rec.field("request"));
        receipt.custodians = rec.fields_named("custodian");
        receipt.seq = rec.seq;
        receipt.purpose = std::string(rec.field("purpose"));
        receipt.password_proven = receipt_proves_password(rec);
        out.push_back(std::move(receipt));
    }
    return out;
}

bool receipt_proves_password(const AuditRecord& record) {
    if (record.type != AuditType::drill && record.type != AuditType::restore)
        return false;
    const std::string_view password = record.field("password");
    if (!password.empty())
        return password == k_password_proven;
    // Written before the field existed: a restore record of a node was written only after ENTSSO
    // accepted the password and ran with the backup's MSID; an extraction proved nothing.
    return record.type == AuditType::restore && !is_extraction_node(record.field("node"));
}

std::optional<UnixTime> last_drill_time(const AuditChain& chain) {
    std::optional<UnixTime> latest;
    for (const ChainRecord& r : chain.records) {
        if (r.record.type != AuditType::drill && r.record.type != AuditType::restore)
            continue;
        if (is_extraction_node(r.record.field("node")))
            continue;
        if (!latest || r.record.time > *latest)
            latest = r.record.time;
    }
    return latest;
}

const ChainRecord* last_record_of(const AuditChain& chain, AuditType type) {
    for (auto it = chain.records.rbegin(); it != chain.records.rend(); ++it) {
        if (it->record.type == type)
            return &*it;
    }
    return nullptr;
}

// --- latest-seen state ---

Result<fs::path> default_state_dir(std::string_view vault_id) {
    TRY_ASSIGN(const fs::path root, platform::default_state_root());
    return root / std::string(vault_id);
}

std::string serialise_seen_state(const SeenState& state) {
    std::string out = "ssoescrow-seen/1\n";
    out += "vault: " + state.vault_id + "\n";
    out += "seq: " + std::to_string(state.seq) + "\n";
    out += "record: " + state.record_hash + "\n";
    out += "time: " + format_time(state.time) + "\n";
    return out;
}

Result<SeenState> parse_seen_state(std::string_view text, std::string_view source) {
    const std::string what = "latest-seen state " + std::string(source);
    if (text.size() > 4096)
        return make_error(Errc::limit_exceeded, what + " is too large");
    TRY_ASSIGN(const auto lines, split_lines(text, 8, what));
    if (lines[0].substr(0, 15) == "ssoescrow-seen/" && lines[0] != "ssoescrow-seen/1") {
        return make_error(Errc::unsupported_version,
                          what + ": unsupported version " + std::string(lines[0].substr(15)));
    }
    if (lines.size() != 5 || lines[0] != "ssoescrow-seen/1") {
        return make_error(Errc::parse, what + " is malformed");
    }
    SeenState state;
    TRY_ASSIGN(const std::string_view vault, expect_field(lines[1], "vault", what));
    TRY(check_hex(vault, 16, what + ": vault"));
    state.vault_id = std::string(vault);
    TRY_ASSIGN(const std::string_view seq, expect_field(lines[2], "seq", what));
    TRY_ASSIGN(state.seq, parse_integer(seq, what + ": seq"));
    TRY_ASSIGN(const std::string_view record, expect_field(lines[3], "record", what));
    TRY(check_hex(record, 32, what + ": record"));
    state.record_hash = std::string(record);
    TRY_ASSIGN(const std::string_view time, expect_field(lines[4], "time", what));
    TRY_ASSIGN(state.time, parse_time(time, what + ": time"));
    if (serialise_seen_state(state) != text) {
        return make_error(Errc::parse, what + " is not in canonical form");
    }
    return state;
}

Result<std::optional<SeenState>> read_seen_state(const fs::path& state_dir) {
    return read_optional_text_file(state_dir / k_seen_file, 4096, &parse_seen_state);
}

Findings compare_with_seen(const AuditChain& chain, const SeenState& seen) {
    Findings out;
    const std::string where(k_audit_dir);
    if (chain.records.empty())
        return out;  // an empty chain is reported by itself
    const std::string& vault_id = chain.records.front().record.vault_id;
    if (seen.vault_id != vault_id) {
        out.push_back({Severity::damaged, "seen-state-other-vault", where,
                       "the latest-seen state is for vault " + seen.vault_id + ", not " + vault_id +
                           " (wrong --state-dir?)"});
        return out;
    }
    if (chain.head_seq() < seen.seq) {
        out.push_back({Severity::damaged, "audit-rolled-back", where,
                       "the audit log ends at record " + std::to_string(chain.head_seq()) +
                           " but record " + std::to_string(seen.seq) + " was seen on " +
                           format_time(seen.time) +
                           ": the vault was rolled back or records were removed"});
        return out;
    }
    const ChainRecord* at = chain.find(seen.seq);
    if (at != nullptr && at->hash != seen.record_hash) {
        out.push_back({Severity::damaged, "audit-history-rewritten", at->file,
                       "record " + std::to_string(seen.seq) + " differs from the one seen on " +
                           format_time(seen.time) +
                           ": the history was rewritten or another vault was put in its place"});
    }
    return out;
}

namespace {

Status write_seen(const fs::path& state_dir, const AuditChain& chain, std::string_view vault_id,
                  UnixTime now) {
    std::error_code ec;
    const auto status = fs::symlink_status(state_dir, ec);
    if (!fs::is_directory(status)) {
        if (state_dir.has_parent_path()) {
            fs::create_directories(state_dir.parent_path(), ec);
            if (ec)
                return platform::file_error(ec, "create", state_dir.parent_path());
        }
        TRY(platform::ensure_private_directory(state_dir));
    }
    SeenState state{std::string(vault_id), chain.head_seq(), chain.head_hash(), now};
    const std::string text = serialise_seen_state(state);
    return platform::write_file_durably(state_dir / k_seen_file, as_bytes(text),
                                        platform::Overwrite::yes, platform::FinalMode::read_write);
}

}  // namespace

Status remember_seen(const fs::path& state_dir, const AuditChain& chain, std::string_view vault_id,
                     UnixTime now) {
    if (chain.records.empty())
        return {};
    TRY_ASSIGN(const std::optional<SeenState> stored, read_seen_state(state_dir));
    if (stored) {
        // Forward only, and only along the remembered history: overwriting the state with a
        // rolled-back or rewritten chain's head would erase the one piece of evidence of it.
        const Findings differs = compare_with_seen(chain, *stored);
        if (!differs.empty()) {
            return make_error(Errc::vault_damaged,
                              "the latest-seen state " +
                                  platform::path_to_utf8(state_dir / k_seen_file) +
                                  " was kept: " + differs.front().message);
        }
    }
    return write_seen(state_dir, chain, vault_id, now);
}

Status replace_seen(const fs::path& state_dir, const AuditChain& chain, std::string_view vault_id,
                    UnixTime now) {
    if (chain.records.empty())
        return make_error(Errc::internal, "replace_seen: an empty chain");
    return write_seen(state_dir, chain, vault_id, now);
}

}  // namespace ssoescrow::vault
