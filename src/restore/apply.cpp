#include "src/restore/apply.hpp"

#include <algorithm>
#include <system_error>
#include <utility>

#include "crypto/exchanged_text.hpp"
#include "crypto/random.hpp"
#include "platform/file_io.hpp"
#include "platform/interrupt.hpp"
#include "platform/path_text.hpp"
#include "platform/test_hooks.hpp"
#include "src/backup/scratch_dir.hpp"
#include "src/bridge/bridge_client.hpp"
#include "src/freshness/cluster_coverage.hpp"
#include "src/restore/backup_choice.hpp"
#include "src/topology/names.hpp"
#include "vault/catalog.hpp"
#include "vault/host_state.hpp"
#include "vault/lock.hpp"
#include "vault/text_format.hpp"
#include "vault/vault.hpp"
#include "vault/writer.hpp"

namespace ssoescrow::restore {

namespace fs = std::filesystem;
using crypto::SecretBytes;

namespace {

std::string join(const std::vector<std::string>& items, std::string_view separator) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty())
            out += separator;
        out += item;
    }
    return out;
}

std::string_view mode_name(ApplyMode mode) {
    switch (mode) {
        case ApplyMode::restore:
            return "restore";
        case ApplyMode::drill:
            return "drill";
        case ApplyMode::extract:
            return "extract";
    }
    return "restore";
}

bool vault_not_writable(const Error& error) {
    return error.code == Errc::read_only || error.code == Errc::io || error.code == Errc::no_space;
}

bool exists_no_follow(const fs::path& file) {
    return platform::exists_no_follow(file);
}

}  // namespace

// --- Approvals --------------------------------------------------------------------------------

Result<CheckedApprovals> check_approvals(const RestoreRequest& request, const RequestKey& key,
                                         std::span<const ApprovalInput> approvals,
                                         std::int64_t now) {
    TRY(check_request_current(request, now));
    CheckedApprovals out;
    std::vector<std::string> sources;  // of each accepted share
    std::vector<Error> problems;
    for (const ApprovalInput& input : approvals) {
        if (!input.bytes) {
            problems.push_back(input.bytes.error());
            continue;
        }
        auto parsed = parse_approval(input.bytes.value(), input.source);
        if (!parsed) {
            Error error = std::move(parsed).error();
            if (error.code == Errc::parse || error.code == Errc::limit_exceeded)
                error.message = "corrupt approval: " + error.message;
            problems.push_back(std::move(error));
            continue;
        }
        auto share = open_approval(request, key, parsed.value(), input.source);
        if (!share) {
            problems.push_back(std::move(share).error());
            continue;
        }
        bool counted = false;
        for (std::size_t i = 0; i < out.shares.size(); ++i) {
            const vault::CustodianShare& other = out.shares[i];
            if (other.recipient_fingerprint != share->recipient_fingerprint &&
                other.share.x != share->share.x) {
                continue;
            }
            counted = true;
            if (other.recipient_fingerprint == share->recipient_fingerprint &&
                other.share.x == share->share.x && other.share.y.equals(share->share.y)) {
                out.duplicates.push_back(input.source + " is another approval of " +
                                         parsed->describe() + " (already given by " + sources[i] +
                                         "): counted once");
            } else {
                problems.push_back(make_error(
                    Errc::share_mismatch, input.source + " and " + sources[i] +
                                              " carry conflicting shares (" + parsed->describe() +
                                              ", x = " + to_hex(ByteView(&share->share.x, 1)) +
                                              ")"));
            }
            break;
        }
        if (counted)
            continue;
        sources.push_back(input.source);
        out.labels.push_back("'" + parsed->label + "' (" + parsed->custodian + ")");
        out.custodians.push_back(parsed->custodian);
        out.shares.push_back(std::move(share).value());
    }
    std::sort(out.custodians.begin(), out.custodians.end());
    const unsigned threshold = request.header.threshold;
    if (!problems.empty()) {
        Error first = problems.front();
        std::vector<std::string> messages;
        for (const Error& problem : problems)
            messages.push_back(problem.message);
        first.message = std::to_string(problems.size()) + " of " +
                        std::to_string(approvals.size()) +
                        " approval(s) refused: " + join(messages, "; ");
        first.hint = out.shares.empty()
                         ? std::string("ask the custodians for new approvals of request ") +
                               request_id_hex(request.id)
                         : "these approvals are valid and stay usable: " + join(sources, ", ") +
                               "; leave the refused ones out or ask their custodians for new "
                               "approvals of request " +
                               request_id_hex(request.id);
        return first;
    }
    if (out.shares.size() < threshold) {
        std::vector<std::string> missing;
        for (const vault::Stanza& stanza : request.header.stanzas) {
            if (std::find(out.custodians.begin(), out.custodians.end(),
                          stanza.recipient_fingerprint) == out.custodians.end()) {
                missing.push_back(stanza.describe());
            }
        }
        return make_error(Errc::too_few_shares,
                          "need " + std::to_string(threshold) + " approvals, have " +
                              std::to_string(out.shares.size()) + " (backup " +
                              vault::backup_id_hex(request.backup_id) + " is sealed " +
                              std::to_string(threshold) + " of " +
                              std::to_string(request.header.stanzas.size()) +
                              "); nothing was decrypted",
                          "ask " + std::to_string(threshold - out.shares.size()) +
                              " more of these custodians to approve request " +
                              request_id_hex(request.id) + ": " + join(missing, ", "));
    }
    return out;
}

// --- Receipts ---------------------------------------------------------------------------------

vault::AuditRecord Receipt::to_record() const {
    vault::AuditRecord record;
    record.type = drill ? vault::AuditType::drill : vault::AuditType::restore;
    record.time = time;
    record.actor = actor;
    record.vault_id = vault_id;
    record.fields.push_back({"backup", backup_id});
    record.fields.push_back({"request", request_id});
    record.fields.push_back({"purpose", std::string(purpose_name(purpose))});
    record.fields.push_back({"node", node});
    record.fields.push_back({"msid", msid});
    record.fields.push_back(
        {"password",
         std::string(password_proven ? vault::k_password_proven : vault::k_password_not_proven)});
    if (!id.empty())
        record.fields.push_back({"receipt", id});
    for (const auto& custodian : custodians)
        record.fields.push_back({"custodian", custodian});
    return record;
}

std::string serialise_receipt(const Receipt& receipt) {
    std::string out;
    if (receipt.id.empty()) {
        out = std::string(k_receipt_magic_v1) + "\n";
    } else {
        out = std::string(k_receipt_magic) + "\n";
        out += "receipt: " + receipt.id + "\n";
    }
    out += "vault: " + receipt.vault_id + "\n";
    out += "time: " + vault::format_time(receipt.time) + "\n";
    out += "actor: " + receipt.actor + "\n";
    out += std::string("type: ") + (receipt.drill ? "drill" : "restore") + "\n";
    out += "backup: " + receipt.backup_id + "\n";
    out += "request: " + receipt.request_id + "\n";
    out += "purpose: " + std::string(purpose_name(receipt.purpose)) + "\n";
    out += "node: " + receipt.node + "\n";
    out += "msid: " + receipt.msid + "\n";
    out += "password: " +
           std::string(receipt.password_proven ? vault::k_password_proven
                                               : vault::k_password_not_proven) +
           "\n";
    for (const auto& custodian : receipt.custodians)
        out += "custodian: " + custodian + "\n";
    out += "checksum: " + to_hex(crypto::sha256(as_bytes(out))) + "\n";
    return out;
}

Result<Receipt> parse_receipt(ByteView raw_file, std::string_view source) {
    const std::string name(source);
    if (raw_file.size() > crypto::exchanged_file_read_limit(k_max_receipt_size)) {
        return make_error(Errc::limit_exceeded, name + ": larger than any restore receipt");
    }
    // Read as the original whatever Notepad or a mail program did to the line ends.
    const std::string canonical = crypto::normalise_exchanged_text(
        std::string_view(reinterpret_cast<const char*>(raw_file.data()), raw_file.size()));
    if (canonical.size() > k_max_receipt_size) {
        return make_error(Errc::limit_exceeded, name + ": larger than any restore receipt");
    }
    const std::string_view text = canonical;
    TRY_ASSIGN(std::vector<std::string_view> lines,
               vault::split_lines(text, vault::k_max_audit_fields + 20, name));
    const bool version_1 = !lines.empty() && lines[0] == k_receipt_magic_v1;
    if (lines.empty() || (lines[0] != k_receipt_magic && !version_1)) {
        constexpr std::string_view k_prefix = "ssoescrow-restore-receipt/";
        if (!lines.empty() && lines[0].substr(0, k_prefix.size()) == k_prefix) {
            return make_error(Errc::unsupported_version,
                              name + ": unsupported version " +
                                  std::string(lines[0].substr(k_prefix.size()).substr(0, 16)));
        }
        return make_error(Errc::parse, name + ": not an ssoescrow restore receipt");
    }
    if (lines.size() < (version_1 ? 13u : 14u))
        return make_error(Errc::parse, name + ": truncated restore receipt");
    const std::string_view last = lines.back();
    TRY_ASSIGN(const std::string_view checksum, vault::expect_field(last, "checksum", name));
    const std::size_t covered = text.size() - last.size() - 1;
    if (to_hex(crypto::sha256(as_bytes(text.substr(0, covered)))) != checksum) {
        return make_error(Errc::auth_failed,
                          name + ": the receipt is damaged: its checksum does not match");
    }
    Receipt receipt;
    if (!version_1) {
        TRY_ASSIGN(const std::string_view id, vault::expect_field(lines[1], "receipt", name));
        TRY(vault::check_hex(id, 16, "receipt"));
        receipt.id = std::string(id);
        // Version 2 is version 1 with the id line after the magic: the same indexes from here.
        lines.erase(lines.begin() + 1);
    }
    TRY_ASSIGN(const std::string_view vault_id, vault::expect_field(lines[1], "vault", name));
    TRY(vault::check_hex(vault_id, 16, "vault"));
    receipt.vault_id = std::string(vault_id);
    TRY_ASSIGN(const std::string_view time, vault::expect_field(lines[2], "time", name));
    TRY_ASSIGN(receipt.time, vault::parse_time(time, "time"));
    TRY_ASSIGN(const std::string_view actor, vault::expect_field(lines[3], "actor", name));
    receipt.actor = std::string(actor);
    TRY_ASSIGN(const std::string_view type, vault::expect_field(lines[4], "type", name));
    if (type != "restore" && type != "drill")
        return make_error(Errc::parse, name + ": type must be restore or drill");
    receipt.drill = type == "drill";
    TRY_ASSIGN(const std::string_view backup, vault::expect_field(lines[5], "backup", name));
    receipt.backup_id = std::string(backup);
    TRY_ASSIGN(const std::string_view request, vault::expect_field(lines[6], "request", name));
    receipt.request_id = std::string(request);
    TRY_ASSIGN(const std::string_view purpose, vault::expect_field(lines[7], "purpose", name));
    auto parsed_purpose = parse_purpose(purpose);
    if (!parsed_purpose)
        return make_error(Errc::parse, name + ": purpose must be restore, drill or extract");
    receipt.purpose = parsed_purpose.value();
    TRY_ASSIGN(const std::string_view node, vault::expect_field(lines[8], "node", name));
    receipt.node = std::string(node);
    TRY_ASSIGN(const std::string_view msid, vault::expect_field(lines[9], "msid", name));
    receipt.msid = std::string(msid);
    TRY_ASSIGN(const std::string_view password, vault::expect_field(lines[10], "password", name));
    if (password != vault::k_password_proven && password != vault::k_password_not_proven)
        return make_error(Errc::parse, name + ": password must be proven or not-proven");
    receipt.password_proven = password == vault::k_password_proven;
    for (std::size_t i = 11; i + 1 < lines.size(); ++i) {
        TRY_ASSIGN(const std::string_view custodian,
                   vault::expect_field(lines[i], "custodian", name));
        receipt.custodians.emplace_back(custodian);
    }
    // Everything the audit schema checks (value kinds, order), and the canonical form.
    vault::AuditRecord record = receipt.to_record();
    record.seq = 2;  // any record after vault-init
    record.prev = std::string(64, '0');
    // The recording host signs the record; a throw-away key stands in for it here.
    if (auto signed_probe = vault::sign_audit_record(record, crypto::generate_signing_key("probe"));
        !signed_probe)
        return with_context(signed_probe.error(), name);
    if (auto valid = record.validate(); !valid)
        return with_context(valid.error(), name);
    if (serialise_receipt(receipt) != text)
        return make_error(Errc::parse, name + ": not in canonical form");
    return receipt;
}

namespace {

// The receipt's own fields: a recorded receipt also carries its signer and signature.
std::vector<vault::AuditField> unsigned_fields(const vault::AuditRecord& record) {
    std::vector<vault::AuditField> out;
    for (const vault::AuditField& f : record.fields) {
        if (f.key != "signer" && f.key != "signature")
            out.push_back(f);
    }
    return out;
}

bool same_receipt(const vault::AuditRecord& record, const vault::AuditRecord& candidate) {
    return record.type == candidate.type && unsigned_fields(record) == unsigned_fields(candidate);
}

// Appends under a held lock, after checking the chain and, for a receipt file being recorded
// (`replayable`), that it is not recorded yet. A live apply is always a new event: two of them
// within one second (the same extraction run twice) must both be recorded.
Result<RecordedReceipt> append_receipt(const vault::Vault& opened, vault::WriteAccess& access,
                                       const Receipt& receipt, const crypto::SigningKey& signer,
                                       bool replayable, vault::Clock& clock) {
    // Looking for the receipt needs every record, which a history from the head cache lacks.
    if (replayable && access.history.from_cache()) {
        TRY_ASSIGN(access.history.chain, vault::read_audit_chain(opened.dir(), opened.vault_id()));
    }
    const vault::AuditChain& chain = access.history.chain;
    vault::AuditRecord record = receipt.to_record();
    // Already recorded: a record with the same type and fields dated at or after the receipt
    // (a receipt is appended at its own time, or later when the chain head is newer).
    for (const auto& existing : chain.records) {
        if (!replayable)
            break;
        if (same_receipt(existing.record, record) && existing.record.time >= record.time)
            return RecordedReceipt{existing, true};
    }
    if (!chain.records.empty())
        record.time = std::max(record.time, chain.records.back().record.time);
    TRY(access.lock.check_still_held());
    TRY_ASSIGN(vault::ChainRecord appended,
               vault::append_to_history(opened, access.history, std::move(record), &signer));
    // A failure to remember is not a failure of the recording: the next writer reads in full.
    (void)vault::remember_history(opened, access.state_dir, access.history, clock.now());
    return RecordedReceipt{std::move(appended), false};
}

}  // namespace

Result<RecordedReceipt> record_receipt(const fs::path& vault_dir, const Receipt& receipt,
                                       const crypto::SigningKey& signer, vault::Clock& clock,
                                       const fs::path& state_root) {
    TRY_ASSIGN(vault::Vault opened, vault::Vault::open(vault_dir));
    if (opened.vault_id() != receipt.vault_id) {
        return make_error(Errc::precondition,
                          "the receipt is for vault " + receipt.vault_id + ", not " +
                              opened.vault_id() + " (" + platform::path_to_utf8(vault_dir) + ")",
                          "record it in the vault the restore came from");
    }
    vault::LockOptions options;
    options.operation = "record-receipt";
    options.clock = &clock;
    TRY_ASSIGN(vault::WriteAccess access,
               vault::acquire_writer_lock(opened, options, vault::WriterContext{state_root}));
    TRY_ASSIGN(RecordedReceipt appended,
               append_receipt(opened, access, receipt, signer, true, clock));
    (void)access.lock.release();
    return appended;
}

std::string extract_name(const vault::BackupId& backup_id) {
    return "ssoescrow-" + vault::backup_id_hex(backup_id);
}

// --- The apply job ----------------------------------------------------------------------------

Status check_purpose(const RestoreRequest& request, ApplyMode mode, bool drill_server) {
    bool allowed = true;
    std::string what;
    std::string_view needed = "restore";
    switch (mode) {
        case ApplyMode::drill:
            allowed = !drill_server || request.purpose != Purpose::drill;
            what = drill_server ? "a drill that restores on a drill server (--drill-server)"
                                : "a drill";
            break;
        case ApplyMode::restore:
            allowed = request.purpose != Purpose::drill;
            what = "a restore (--bridge)";
            break;
        case ApplyMode::extract:
            allowed = request.purpose == Purpose::extract;
            what = "an extraction (--extract)";
            needed = "extract";
            break;
    }
    if (allowed)
        return {};
    const std::string purpose(purpose_name(request.purpose));
    return make_error(Errc::precondition,
                      "request " + request_id_hex(request.id) + " was made for the purpose " +
                          purpose + " and its approvals do not allow " + what +
                          "; nothing was decrypted",
                      "the custodians approved a " + purpose +
                          " only: make a new request with 'ssoescrow restore request ... "
                          "--purpose " +
                          std::string(needed) + "' and ask them to approve that");
}

namespace {

fs::path extracted_bak(const ApplyOptions& options, const vault::BackupId& backup_id) {
    return options.extract_dir / (extract_name(backup_id) + ".bak");
}

fs::path extracted_password(const ApplyOptions& options, const vault::BackupId& backup_id) {
    return options.extract_dir / (extract_name(backup_id) + ".password");
}

// That neither of the extraction's files exists yet, and that its directory, if it exists, is
// private. `create`: make the directory (0700) first; the early check creates nothing, so a
// refused apply leaves nothing behind.
Status check_extract_target(const ApplyOptions& options, const vault::BackupId& backup_id,
                            bool create) {
    if (create || exists_no_follow(options.extract_dir))
        TRY(platform::ensure_private_directory(options.extract_dir));
    for (const fs::path& file :
         {extracted_bak(options, backup_id), extracted_password(options, backup_id)}) {
        if (exists_no_follow(file)) {
            return make_error(
                Errc::already_exists,
                platform::path_to_utf8(file) + " already exists; nothing was extracted",
                "choose another --extract directory, or remove the old files "
                "securely (shred -u) first");
        }
    }
    return {};
}

struct Loaded {
    RestoreRequest request;
    vault::Vault vault;
    Bytes envelope;
    CheckedApprovals approvals;
    // The whole chain as the catalog read it, when the backup was chosen from the full catalog
    // (always for --drill-server, whose check needs every sealing record); empty when it was
    // chosen from the head cache.
    vault::AuditChain chain;
    // This host's head cache as read here: the verification under the lock starts from it
    // instead of reading it again.
    std::optional<vault::HeadCache> head_cache;
};

// An approval from a custodian marked departed still counts (the envelope is sealed to them, and
// refusing it could make a disaster unrecoverable), but the operator is told, so the escrow is
// moved to the custodians who are still here once the restore is done.
void warn_departed_approvers(const std::vector<vault::CachedDeparture>& departed,
                             const std::vector<std::string>& custodians, JobLog& log) {
    for (const std::string& fingerprint : custodians) {
        const auto it = std::find_if(
            departed.begin(), departed.end(),
            [&](const vault::CachedDeparture& d) { return d.fingerprint == fingerprint; });
        if (it == departed.end())
            continue;
        log.warning("departed-custodian",
                    "the approval of custodian " + fingerprint +
                        " counts although they were "
                        "marked departed on " +
                        vault::format_time(it->time) + " (" + it->reason +
                        "); after the restore, move the escrow "
                        "to the custodians who are still here (ssoescrow status: escrow-health)",
                    {{"custodian", fingerprint}});
    }
}

// The backup about to be opened, verified, and what the approvals are then checked against.
struct ChosenBackup {
    vault::CatalogEntry entry;  // state verified
    std::vector<vault::CachedDeparture> departed;
    vault::AuditChain chain;  // complete when chosen from the full catalog, else empty
};

// This host's head cache of the vault, when it has a readable one (otherwise the verification
// under the lock reads the whole chain, and says why it cannot go on if it cannot).
struct HostCache {
    fs::path state_dir;
    vault::HeadCache cache;
};

std::optional<HostCache> read_host_cache(const vault::Vault& opened, const fs::path& state_root) {
    auto state_dir = vault::state_dir_for(state_root, opened.vault_id());
    if (!state_dir)
        return std::nullopt;
    auto cache = vault::read_head_cache(*state_dir);
    if (!cache || !*cache)
        return std::nullopt;
    return HostCache{std::move(*state_dir), std::move(**cache)};
}

std::optional<ChosenBackup> chosen_from_cache(const vault::Vault& opened, const HostCache& host,
                                              const vault::EnvelopeHeader& header,
                                              ByteView envelope) {
    std::optional<CachedChoice> cached =
        verified_backup_from_cache(opened, host.state_dir, host.cache, header, envelope);
    if (!cached)
        return std::nullopt;
    return ChosenBackup{std::move(cached->entry), std::move(cached->departed), {}};
}

// The chosen backup from the full catalog: every record and envelope verified.
Result<ChosenBackup> chosen_from_catalog(const ApplyOptions& options, const vault::Vault& opened,
                                         const RestoreRequest& request,
                                         const vault::EnvelopeHeader& header, ByteView envelope) {
    TRY_ASSIGN(vault::Catalog catalog, vault::build_catalog(opened));
    const vault::CatalogEntry* entry = catalog.find(vault::backup_id_hex(request.backup_id));
    if (entry == nullptr || !entry->usable()) {
        return make_error(
            Errc::vault_damaged,
            "backup " + vault::backup_id_hex(request.backup_id) + " is not verified (" +
                (entry == nullptr ? std::string("not in the vault")
                                  : std::string(vault::backup_state_name(entry->state)) + ", " +
                                        vault::describe_signer(*entry) + ": " + entry->problem) +
                "): it is never restored",
            "run 'ssoescrow vault check --vault " + platform::path_to_utf8(options.vault_dir) +
                "'; restore another backup");
    }
    // The bytes about to be opened are the ones the catalog verified (not a file swapped since).
    if (auto signed_ok = vault::check_envelope_signature(header, envelope);
        !signed_ok || header.signer_fingerprint != entry->signer) {
        return make_error(
            Errc::vault_damaged,
            "the envelope of backup " + entry->backup_id + " changed while it was being read: " +
                (signed_ok ? std::string("another signer") : signed_ok.error().message),
            "run 'ssoescrow vault check --vault " + platform::path_to_utf8(options.vault_dir) +
                "'");
    }
    ChosenBackup chosen;
    chosen.entry = *entry;
    chosen.departed = vault::departed_custodians_of(catalog.chain);
    chosen.chain = std::move(catalog.chain);
    return chosen;
}

Result<Loaded> load_and_check(const ApplyOptions& options, JobLog& log, std::int64_t now) {
    const std::string request_name = platform::path_to_utf8(options.request_file);
    TRY_ASSIGN(const Bytes request_bytes,
               platform::read_file(options.request_file,
                                   crypto::exchanged_file_read_limit(k_max_request_size)));
    TRY_ASSIGN(RestoreRequest request, parse_request(request_bytes, request_name));
    const fs::path key_file = options.key_file.empty()
                                  ? platform::path_from_utf8(request_name + ".key")
                                  : options.key_file;
    TRY_ASSIGN(const SecretBytes key_bytes,
               platform::read_secret_file(key_file, k_max_request_key_size,
                                          platform::RequireOwnerOnly::yes));
    TRY_ASSIGN(const RequestKey key,
               parse_request_key(key_bytes, platform::path_to_utf8(key_file)));
    TRY(check_request_key(request, key, platform::path_to_utf8(key_file)));
    TRY(check_request_current(request, now));
    TRY(check_purpose(request, options.mode, options.drill_server));
    // The cheap refusal first: an extraction that could not write its files is refused before
    // any share is opened.
    if (options.mode == ApplyMode::extract)
        TRY(check_extract_target(options, request.backup_id, false));
    log.info("request",
             "request " + request_id_hex(request.id) + " for backup " +
                 vault::backup_id_hex(request.backup_id) + " (fingerprint " +
                 request_fingerprint(request) + ")",
             {{"request", request_id_hex(request.id)},
              {"backup", vault::backup_id_hex(request.backup_id)}});

    TRY_ASSIGN(vault::Vault opened, vault::Vault::open(options.vault_dir));
    if (opened.vault_id() != request.vault_id) {
        return make_error(Errc::precondition,
                          "request " + request_id_hex(request.id) + " is for vault " +
                              request.vault_id + ", but " +
                              platform::path_to_utf8(options.vault_dir) + " is vault " +
                              opened.vault_id(),
                          "give --vault the vault (or a copy of it) the request was made from");
    }
    const fs::path envelope_path =
        opened.dir() / vault::Vault::envelope_relative_path(request.backup_id);
    auto envelope = platform::read_file(envelope_path, vault::k_max_envelope_file_size);
    if (!envelope) {
        Error error = std::move(envelope).error();
        if (error.code == Errc::not_found) {
            error.message = "backup " + vault::backup_id_hex(request.backup_id) +
                            " of the request is not in the vault: " + error.message;
            error.hint =
                "use a copy of the vault that still holds it (an off-site copy), or "
                "make a request for another backup";
        }
        return error;
    }
    TRY_ASSIGN(const vault::EnvelopeHeader header, vault::parse_envelope_header(*envelope));
    const ByteView header_bytes(envelope->data(), header.header_size);
    if (!crypto::constant_time_equal(crypto::sha256(header_bytes), request.header_sha256)) {
        return make_error(Errc::vault_damaged,
                          "the vault's envelope " + platform::path_to_utf8(envelope_path) +
                              " is not the one request " + request_id_hex(request.id) +
                              " was made for: its header changed since the request",
                          "run 'ssoescrow vault check --vault " +
                              platform::path_to_utf8(options.vault_dir) +
                              "'; restore from an intact copy of the vault");
    }
    // Only a verified backup restores: sealed for this vault, signed by a signer of its policy,
    // announced by a signed record (vault/catalog.hpp). A planted envelope never gets here. The
    // head cache spares reading the history below its head and every other envelope; when it
    // cannot vouch for this backup, the full catalog decides.
    std::optional<HostCache> host_cache = read_host_cache(opened, options.state_root);
    std::optional<ChosenBackup> chosen;
    if (host_cache && !options.drill_server)
        chosen = chosen_from_cache(opened, *host_cache, header, *envelope);
    if (!chosen) {
        TRY_ASSIGN(chosen, chosen_from_catalog(options, opened, request, header, *envelope));
    }
    const vault::CatalogEntry& entry = chosen->entry;
    log.info("signed", "backup " + entry.backup_id + " is signed by " +
                           vault::describe_signer(entry) + " under policy " +
                           entry.policy_fingerprint);

    std::vector<ApprovalInput> inputs;
    for (const fs::path& file : options.approvals) {
        auto bytes =
            platform::read_file(file, crypto::exchanged_file_read_limit(k_max_approval_size));
        if (!bytes) {
            Error error = std::move(bytes).error();
            if (error.code == Errc::limit_exceeded)
                error.message = "corrupt approval: " + error.message;
            bytes = std::move(error);
        }
        inputs.push_back(ApprovalInput{platform::path_to_utf8(file), std::move(bytes)});
    }
    TRY_ASSIGN(CheckedApprovals approvals, check_approvals(request, key, inputs, now));
    for (const auto& note : approvals.duplicates)
        log.warning("duplicate-approval", note);
    warn_departed_approvers(chosen->departed, approvals.custodians, log);
    log.info("approvals",
             std::to_string(approvals.shares.size()) +
                 " approvals checked: " + join(approvals.labels, ", "),
             {{"custodians", join(approvals.custodians, " ")}});
    std::optional<vault::HeadCache> head_cache;
    if (host_cache)
        head_cache = std::move(host_cache->cache);
    return Loaded{std::move(request),   std::move(opened),        std::move(envelope).value(),
                  std::move(approvals), std::move(chosen->chain), std::move(head_cache)};
}

// Where the receipt goes: the vault's audit log (lock held, commit proven possible), or a file.
struct ReceiptTarget {
    std::optional<vault::WriterLock> lock;
    vault::VerifiedHistory history;  // verified under `lock`
    fs::path state_dir;
    fs::path file;
};

Result<ReceiptTarget> prepare_receipt_target(const ApplyOptions& options,
                                             const vault::Vault& opened,
                                             const vault::HeadCache* head_cache, JobLog& log,
                                             vault::Clock& clock) {
    vault::LockOptions lock_options;
    lock_options.operation = std::string("restore-") + std::string(mode_name(options.mode));
    lock_options.clock = &clock;
    lock_options.wait = options.lock_wait;
    auto lock = vault::acquire_writer_lock(opened, lock_options,
                                           vault::WriterContext{options.state_root, head_cache});
    Status writable;
    if (lock)
        writable = vault::check_vault_writable(opened);
    const Error* failure = !lock ? &lock.error() : !writable ? &writable.error() : nullptr;
    if (failure == nullptr) {
        if (const auto& broken = lock->lock.taken_over()) {
            log.warning("lock-takeover",
                        "took over a stale writer lock of " + broken->previous.info.operation +
                            " on " + broken->previous.info.host + "; recorded in the audit log");
        }
        ReceiptTarget target;
        target.lock.emplace(std::move(lock->lock));
        target.history = std::move(lock->history);
        target.state_dir = std::move(lock->state_dir);
        return target;
    }
    if (!vault_not_writable(*failure))
        return *failure;
    if (options.receipt_out.empty()) {
        Error error = *failure;
        error.message = "the " + std::string(mode_name(options.mode)) +
                        " is refused because its receipt cannot be written to the vault's "
                        "audit log: " +
                        error.message;
        error.hint =
            "every restore, drill and extraction is recorded; on a read-only copy give "
            "--receipt-out FILE and later run 'ssoescrow restore record-receipt --vault "
            "DIR FILE' where the vault is writable";
        return error;
    }
    if (exists_no_follow(options.receipt_out)) {
        return make_error(
            Errc::already_exists,
            "receipt file " + platform::path_to_utf8(options.receipt_out) + " already exists",
            "name a new file with --receipt-out");
    }
    fs::path parent = options.receipt_out.parent_path();
    if (parent.empty())
        parent = ".";
    TRY(platform::probe_directory_writable(parent, 4096));
    log.warning("receipt-file", "the vault is not writable (" + failure->message +
                                    "): the receipt goes to " +
                                    platform::path_to_utf8(options.receipt_out));
    ReceiptTarget target;
    target.file = options.receipt_out;
    return target;
}

std::string node_of(const bridge::ServerStatus& status) {
    return status.cluster ? status.cluster->node : status.computer;
}

// The preflight of a restore through the bridge: this computer must be the node that owns the
// SSO group with the resource online (cluster), or the master secret server (standalone), and
// its service must run.
Status preflight(const bridge::ServerStatus& status) {
    if (status.cluster) {
        const bridge::ClusterInfo& cluster = *status.cluster;
        const std::string owners = join(cluster.possible_owners, ", ");
        if (!topology::same_machine(cluster.owner_node, cluster.node)) {
            return make_error(
                Errc::precondition,
                "this computer (" + cluster.node + ") does not own the SSO cluster group " +
                    cluster.group + " of cluster " + cluster.name +
                    " (owner: " + cluster.owner_node +
                    "): the master secret can only be restored on the node that runs the SSO "
                    "service",
                "move the SSO role here: 'Move-ClusterGroup -Name \"" + cluster.group +
                    "\" -Node " + cluster.node +
                    "'; then take the ENTSSO resource of the group offline and online "
                    "('Stop-ClusterResource' / 'Start-ClusterResource', or Take Offline / Bring "
                    "Online in Failover Cluster Manager) and run this command again on " +
                    cluster.node + "; restore on every possible owner (" + owners + ")");
        }
        if (cluster.resource_state != "online") {
            return make_error(
                Errc::precondition,
                "the ENTSSO resource of cluster group " + cluster.group + " is " +
                    cluster.resource_state + " on " + cluster.node,
                "bring it online ('Start-ClusterResource' on the ENTSSO Generic Service "
                "resource of " +
                    cluster.group +
                    ", or Bring Online in Failover Cluster Manager), then run "
                    "this command again");
        }
    }
    if (!status.is_secret_server) {
        Error error =
            bridge::entsso_error(bridge::k_entsso_not_secret_server,
                                 "this computer is " + status.computer, status.secret_server);
        if (status.cluster) {
            error.hint +=
                "; on a cluster the SSO database must name the SSO role's network "
                "name ('ssomanage -updatedb'), not the cluster name";
        }
        return error;
    }
    if (status.service_state != "running") {
        return make_error(
            Errc::precondition,
            "the ENTSSO service on " + status.computer + " is " + status.service_state,
            status.cluster ? "bring the ENTSSO cluster resource online, then run "
                             "this command again"
                           : "start it ('Start-Service ENTSSO'), then run this "
                             "command again");
    }
    return {};
}

// Writes the .bak into a fresh private scratch directory, runs `body`, and wipes the directory
// on every path (and on SIGINT/SIGTERM).
template <class Body>
auto with_scratch_bak(const ApplyOptions& options, const vault::Bundle& bundle,
                      const std::string& name, JobLog& log, Body body)
    -> decltype(body(fs::path())) {
    TRY_ASSIGN(platform::InterruptCleanup interrupt_cleanup, platform::InterruptCleanup::install());
    TRY_ASSIGN(const fs::path parent, backup::scratch_parent(options.temp_parent));
    const backup::ScratchCleanup cleanup = backup::remove_abandoned_scratch_dirs(parent);
    if (cleanup.removed > 0) {
        log.warning("scratch-cleanup", "removed " + std::to_string(cleanup.removed) +
                                           " scratch director(y/ies) of interrupted runs");
    }
    for (const std::string& left : cleanup.skipped)
        log.warning("scratch-cleanup", left);
    TRY_ASSIGN(backup::ScratchDir scratch, backup::ScratchDir::create(parent));
    TRY(interrupt_cleanup.watch_directory(scratch.dir()));
    const fs::path bak_file = scratch.dir() / (name + ".bak");
    TRY(platform::write_secret_file_exclusive(bak_file, bundle.bak));
    auto outcome = body(bak_file);
    if (Status wiped = scratch.wipe_and_remove(); !wiped && outcome)
        return std::move(wiped).error();
    return outcome;
}

Status check_reminder(const bridge::BridgeClient& client, const fs::path& bak_file,
                      const vault::Bundle& bundle) {
    TRY_ASSIGN(const std::string reminder, client.reminder(bak_file));
    if (reminder != bundle.reminder) {
        return make_error(Errc::auth_failed,
                          "ENTSSO reads the backup file, but its reminder is not the one sealed "
                          "with it: the .bak is not the file that was escrowed",
                          "restore from another backup and report this (the vault may have "
                          "been tampered with)");
    }
    return {};
}

// Writes the two files; called only after the extraction's record is durable. Both names are
// created exclusively (an existing one, planted since the early check, is refused); the first is
// wiped again if the second fails.
Status write_extracted(const ApplyOptions& options, const vault::Bundle& bundle,
                       const vault::BackupId& backup_id, ApplyResult& result) {
    TRY(check_extract_target(options, backup_id, true));
    result.bak_file = extracted_bak(options, backup_id);
    result.password_file = extracted_password(options, backup_id);
    if (auto written = platform::write_secret_file_exclusive(result.bak_file, bundle.bak);
        !written) {
        result.bak_file.clear();
        result.password_file.clear();
        return written;
    }
    platform::test_hooks::crash_point("restore-extract-after-bak");
    SecretBytes password(bundle.password.size() + 1);
    std::copy(bundle.password.data(), bundle.password.data() + bundle.password.size(),
              password.data());
    password[bundle.password.size()] = '\n';
    if (auto written = platform::write_secret_file_exclusive(result.password_file, password);
        !written) {
        (void)backup::wipe_and_remove_file(result.bak_file);
        result.bak_file.clear();
        result.password_file.clear();
        return written;
    }
    return {};
}

// Restores the sealed .bak with its password through `client` on `node` (its preflight passed)
// and checks that ENTSSO then runs with the backup's MSID. Returns the MSID ENTSSO runs with.
Result<std::string> restore_and_verify(const ApplyOptions& options, const vault::Bundle& bundle,
                                       const std::string& name, const std::string& backup_msid,
                                       const std::string& node, const bridge::BridgeClient& client,
                                       std::optional<vault::WriterLock>& lock, JobLog& log) {
    if (lock)
        TRY(lock->refresh_if_due());
    TRY_ASSIGN(const bridge::Msids restored,
               with_scratch_bak(
                   options, bundle, name, log, [&](const fs::path& bak) -> Result<bridge::Msids> {
                       TRY(check_reminder(client, bak, bundle));
                       log.info("bridge-restore", "restoring the master secret on " + node);
                       return client.restore(bak, bundle.password);
                   }));
    platform::test_hooks::crash_point("restore-after-bridge");
    const bool msid_known = bridge::is_msid(backup_msid);
    const std::string expected = msid_known ? backup_msid : restored.current_msid;
    if (!msid_known) {
        log.warning("msid-unknown",
                    "the backup does not record its MSID; checking "
                    "against the MSID ENTSSO reported for the restore");
    }
    auto after = client.status();
    if (!after) {
        Error error = std::move(after).error();
        error.message = "restore FAILED to verify on " + node +
                        ": ENTSSO accepted the backup file, but the status afterwards "
                        "could not be read: " +
                        error.message;
        error.hint = "check the ENTSSO event log (10523/10524) and the service on " + node +
                     ", then run the restore again";
        return error;
    }
    const std::string live = after->current_msid.value_or("none");
    if (freshness::normalize_msid(live) != freshness::normalize_msid(expected) ||
        after->service_state != "running") {
        return make_error(
            Errc::entsso_error,
            "restore FAILED on " + node +
                ": after the restore the node's current MSID "
                "is " +
                live + " and its service is " + after->service_state + "; expected MSID " +
                expected + " and a running service",
            "the master secret on " + node +
                " is not the backup's: check the ENTSSO event log (10523/10524/10815), "
                "whether someone generated a new secret meanwhile, then run the "
                "restore again; no receipt was recorded");
    }
    log.info("verified", "ENTSSO on " + node + " runs with MSID " + live);
    return live;
}

// A drill server is a separate ENTSSO installation. A drill there replaces its master secret
// with the backup's, so it must not be a computer this vault backs up: a drill pointed at a
// production server by mistake would otherwise roll its secret back.
Status check_drill_server(const vault::AuditChain& chain, const bridge::ServerStatus& status) {
    std::vector<std::string> names{status.computer, status.secret_server};
    if (status.cluster) {
        names.push_back(status.cluster->node);
        names.push_back(status.cluster->owner_node);
        names.insert(names.end(), status.cluster->possible_owners.begin(),
                     status.cluster->possible_owners.end());
    }
    for (const vault::ChainRecord& chained : chain.records) {
        const vault::AuditRecord& record = chained.record;
        if (record.type != vault::AuditType::backup && record.type != vault::AuditType::rotate &&
            record.type != vault::AuditType::import && record.type != vault::AuditType::adopt) {
            continue;
        }
        const std::string computer(record.field("computer"));
        if (computer.empty() || computer == "unknown")
            continue;
        for (const std::string& name : names) {
            if (name.empty() || !topology::same_machine(name, computer))
                continue;
            return make_error(
                Errc::precondition,
                "the drill server " + status.computer + " is " + computer +
                    ", a server this vault backs up (audit record " + std::to_string(record.seq) +
                    "): a drill there would replace its live master secret with the backup's",
                "give --bridge the bridge of a separate ENTSSO installation kept for drills; to "
                "prove the password on a live server, restore the backup that holds its live "
                "MSID (restore apply --bridge, a request with --purpose restore)");
        }
    }
    return {};
}

}  // namespace

Result<ApplyResult> run_apply(const ApplyOptions& options, JobLog& log, vault::Clock& clock) {
    if (options.mode == ApplyMode::restore && options.bridge_command.empty())
        return make_error(Errc::usage, "a restore needs --bridge");
    if (options.mode == ApplyMode::extract && options.extract_dir.empty())
        return make_error(Errc::usage, "--extract needs a directory");
    if (options.drill_server &&
        (options.mode != ApplyMode::drill || options.bridge_command.empty())) {
        return make_error(Errc::usage,
                          "--drill-server needs --drill and --bridge CMD (the "
                          "bridge of the drill server)");
    }
    if (options.signer == nullptr)
        return make_error(Errc::internal, "restore apply: no signing key for the receipt");
    std::optional<bridge::BridgeClient> client;
    if (!options.bridge_command.empty()) {
        TRY_ASSIGN(client, bridge::BridgeClient::from_command_line(options.bridge_command,
                                                                   options.bridge_timeout));
    }
    if (!options.receipt_out.empty() && exists_no_follow(options.receipt_out)) {
        return make_error(
            Errc::already_exists,
            "receipt file " + platform::path_to_utf8(options.receipt_out) + " already exists",
            "name a new file with --receipt-out");
    }

    TRY_ASSIGN(Loaded loaded, load_and_check(options, log, clock.now()));
    const RestoreRequest& request = loaded.request;
    // The receipt counts only when signed by a signer of the policy (FORMAT.md 4.3). A drill
    // exists to be counted, so it is refused; a restore in a disaster goes on, with a warning.
    if (loaded.vault.config().escrow.find_signer(options.signer->signer.fingerprint()) == nullptr) {
        const std::string problem = "this host's signer " + options.signer->signer.describe() +
                                    " is not a signer of the vault's policy: its receipt would "
                                    "not count";
        const std::string hint =
            "use --signing-key with a key the policy lists (an operator key "
            "from 'signer keygen' listed at 'vault init'), or the --state-dir "
            "of a backup host";
        if (options.mode == ApplyMode::drill)
            return make_error(Errc::precondition, problem, hint);
        log.warning("signer-not-listed", problem + "; " + hint);
    }
    // The cheap refusals before anything is decrypted, first those that need no bridge: the
    // receipt can be written (writer lock, a commit possible, or --receipt-out); then this node
    // may be restored (cluster: owns the SSO group, resource online; the service runs) and a
    // drill server is not a computer of the vault. The state read here is the one the restore
    // goes on with.
    TRY_ASSIGN(
        ReceiptTarget target,
        prepare_receipt_target(options, loaded.vault,
                               loaded.head_cache ? &*loaded.head_cache : nullptr, log, clock));
    std::optional<bridge::ServerStatus> bridge_status;
    if (client) {
        TRY_ASSIGN(bridge_status, client->status());
        if (options.mode == ApplyMode::drill && options.drill_server)
            TRY(check_drill_server(loaded.chain, *bridge_status));
        if (options.mode == ApplyMode::restore || options.drill_server)
            TRY(preflight(*bridge_status));
    }
    TRY_ASSIGN(const vault::Bundle bundle,
               vault::combine_and_open(loaded.envelope, loaded.approvals.shares));
    // The header is now authenticated by the MAC: its MSIDs are the backup's.
    TRY_ASSIGN(const vault::EnvelopeHeader header, vault::parse_envelope_header(loaded.envelope));
    log.info("opened",
             "backup " + vault::backup_id_hex(request.backup_id) +
                 " opened: header MAC, payload and .bak SHA-256 verified",
             {{"backup", vault::backup_id_hex(request.backup_id)}});

    ApplyResult result;
    result.mode = options.mode;
    result.backup_id = vault::backup_id_hex(request.backup_id);
    result.request_id = request_id_hex(request.id);
    result.backup_msid = header.source.current_msid;
    result.previous_msid = header.source.previous_msid;
    result.computer = header.source.computer;
    result.purpose = request.purpose;
    result.drill_server = options.drill_server;
    result.custodians = loaded.approvals.custodians;
    result.notes = loaded.approvals.duplicates;

    const std::string name = extract_name(request.backup_id);

    Receipt receipt;
    // Distinct for every run: two runs of one request within a second are two receipts.
    receipt.id = to_hex(crypto::random_bytes(16));
    receipt.vault_id = loaded.vault.vault_id();
    receipt.actor = vault::current_actor();
    receipt.drill = options.mode == ApplyMode::drill;
    receipt.backup_id = result.backup_id;
    receipt.request_id = result.request_id;
    receipt.purpose = request.purpose;
    receipt.custodians = result.custodians;

    // Records the receipt (audit log, or the receipt file of a read-only vault).
    const auto record = [&]() -> Status {
        result.node = receipt.node;
        result.msid = receipt.msid;
        result.password_proven = receipt.password_proven;
        receipt.time = clock.now();
        if (target.lock) {
            vault::WriteAccess access{std::move(*target.lock), std::move(target.history),
                                      target.state_dir};
            auto appended =
                append_receipt(loaded.vault, access, receipt, *options.signer, false, clock);
            target.lock.emplace(std::move(access.lock));
            target.history = std::move(access.history);
            TRY(appended);
            result.audit_seq = appended->record.record.seq;
            return {};
        }
        TRY(platform::write_secret_file_exclusive(target.file,
                                                  as_bytes(serialise_receipt(receipt))));
        result.receipt_file = target.file;
        return {};
    };

    if (options.mode == ApplyMode::extract) {
        // The release is on record before the first plaintext byte exists: a run killed at any
        // point after this leaves the record, one killed before it leaves no plaintext.
        receipt.node = std::string(vault::k_extract_node_prefix) + vault::local_host_name();
        receipt.msid = result.backup_msid;
        receipt.password_proven = false;
        if (auto recorded = record(); !recorded) {
            Error error = std::move(recorded).error();
            error.message =
                "nothing was extracted: the extraction's audit record could not be "
                "written: " +
                error.message;
            return error;
        }
        platform::test_hooks::crash_point("restore-extract-after-record");
        if (auto written = write_extracted(options, bundle, request.backup_id, result); !written) {
            Error error = std::move(written).error();
            error.message = "the extraction is recorded (" +
                            (result.receipt_file
                                 ? "receipt file " + platform::path_to_utf8(*result.receipt_file)
                                 : "audit record " + std::to_string(result.audit_seq)) +
                            "), but its files could not be written; no plaintext file was left: " +
                            error.message;
            return error;
        }
        platform::test_hooks::crash_point("restore-after-extract");
        if (target.lock)
            (void)target.lock->release();
        return result;
    }

    switch (options.mode) {
        case ApplyMode::extract:
            break;  // above
        case ApplyMode::drill: {
            if (!client) {
                receipt.node = vault::local_host_name();
                receipt.msid = result.backup_msid;
                break;
            }
            const bridge::ServerStatus& status = *bridge_status;
            if (options.drill_server) {
                const std::string node = node_of(status);
                log.info("drill-server", "restoring backup " + result.backup_id +
                                             " on the drill server " + node +
                                             " to prove its password");
                auto restored = restore_and_verify(options, bundle, name, result.backup_msid, node,
                                                   *client, target.lock, log);
                if (!restored) {
                    Error error = std::move(restored).error();
                    error.message =
                        "drill on the drill server " + node + " FAILED: " + error.message;
                    error.hint = "backup " + result.backup_id +
                                 " would fail the same way on a real restore; " + error.hint;
                    return error;
                }
                receipt.msid = std::move(restored).value();
                receipt.node = node;
                receipt.password_proven = true;
                break;
            }
            TRY(with_scratch_bak(options, bundle, name, log, [&](const fs::path& bak) -> Status {
                return check_reminder(*client, bak, bundle);
            }));
            log.info("bridge-reminder", "ENTSSO on " + node_of(status) +
                                            " reads the backup file and its reminder matches");
            receipt.node = node_of(status);
            receipt.msid = result.backup_msid;
            break;
        }
        case ApplyMode::restore: {
            const bridge::ServerStatus& before = *bridge_status;  // preflight passed above
            const std::string node = node_of(before);
            log.info("preflight",
                     node + " may be restored: " +
                         (before.cluster ? "it owns the SSO cluster group " + before.cluster->group
                                         : std::string("it is the master secret "
                                                       "server")));
            TRY_ASSIGN(receipt.msid, restore_and_verify(options, bundle, name, result.backup_msid,
                                                        node, *client, target.lock, log));
            receipt.node = node;
            receipt.password_proven = true;
            break;
        }
    }

    if (auto recorded = record(); !recorded) {
        Error error = std::move(recorded).error();
        if (options.mode == ApplyMode::drill && !options.drill_server)
            return error;
        if (!target.lock)
            return error;
        // A restore happened (on a node, or on the drill server): keep its receipt somewhere the
        // operator can record it.
        const fs::path fallback = platform::path_from_utf8(
            platform::path_to_utf8(options.request_file) + ".receipt-" +
            vault::format_time(receipt.time).substr(0, 10) + "-" + receipt.node);
        const std::string text = serialise_receipt(receipt);
        if (platform::write_secret_file_exclusive(fallback, as_bytes(text))) {
            error.hint = "the restore on " + receipt.node + " WAS done; its receipt is in " +
                         platform::path_to_utf8(fallback) +
                         ": run 'ssoescrow restore record-receipt --vault DIR " +
                         platform::path_to_utf8(fallback) + "'";
        }
        error.message = "restore done on " + receipt.node +
                        ", but its audit record could not be written: " + error.message;
        return error;
    }
    if (target.lock)
        (void)target.lock->release();
    return result;
}

}  // namespace ssoescrow::restore
