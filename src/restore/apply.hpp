// `restore apply`: from a request, its key and custodian approvals to a restored (or drilled, or
// extracted) master secret, with a receipt in the vault's audit log. FORMAT.md 4.9 has the
// MUST checks in order; README "Disaster-recovery restore" the operator's view.
//
// In this order (the first failure stops; nothing is written before step 8; the cheap and
// non-secret refusals all come before anything is decrypted in step 7):
//   1. read the request and its key (REQ.key, owner-only); the key must be the request's; the
//      request's purpose must allow this mode (check_purpose); for an extraction, the output
//      directory is made and its two files must not exist yet (refused before any decryption);
//   2. the request must not be expired (and not from the future);
//   3. open the vault read-only; it must be the request's vault; read the backup's envelope:
//      its header must be byte for byte the one the request carries (its SHA-256);
//   4. check every approval on its own (check_approvals): parse, bound to this request, vault,
//      backup and header, a stanza for its custodian with its x, opens with the request key,
//      matches its commitment; the same custodian twice is counted once, conflicting shares are
//      refused; every bad approval is named; fewer than K good ones: "need K, have M";
//   5. fail closed: take the writer lock and prove the vault takes a commit; a read-only vault is
//      refused unless a receipt file (--receipt-out) was given, which must be creatable;
//   6. with a bridge: its `status`; a restore (and a drill on a drill server) refuses a node that
//      may not be restored (cluster: not the owner of the SSO group, resource offline;
//      standalone: not the secret server; service stopped) and a drill server that is a
//      computer of the vault;
//   7. combine_and_open: header MAC, payload AEAD, .bak SHA-256;
//   8. the action, with the state of step 6: restore through the bridge (.bak in a private
//      scratch directory wiped on every path, restore, then `status` must show the backup's MSID
//      and a running service), a drill (with a bridge: ENTSSO's reminder of the .bak must be the
//      sealed one; with --drill-server also a restore on that separate ENTSSO installation,
//      which proves the password), or an extraction (DIR/<name>.bak and DIR/<name>.password,
//      0600, exclusive);
//   9. the receipt: a `restore` or `drill` audit record (purpose, node, MSID, whether ENTSSO
//      accepted the password, backup, request, approving custodians), or the receipt file for
//      `restore record-receipt` when the vault is read-only.
// An extraction swaps 8 and 9: its record (or receipt file) is durable before the first
// plaintext byte is written, so an extraction killed at any point is on record.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "crypto/result.hpp"
#include "crypto/sign.hpp"
#include "src/job_log.hpp"
#include "src/restore/request.hpp"
#include "vault/audit_log.hpp"
#include "vault/clock.hpp"

namespace ssoescrow::restore {

// --- Checking approvals -----------------------------------------------------------------------

struct ApprovalInput {
    std::string source;   // the file name, for messages
    Result<Bytes> bytes;  // its contents, or why it could not be read
};

struct CheckedApprovals {
    std::vector<vault::CustodianShare> shares;  // one per custodian, in the order given
    std::vector<std::string> custodians;        // their fingerprints, ascending
    std::vector<std::string> labels;            // "'label' (fingerprint)", in the order given
    std::vector<std::string> duplicates;        // notes about approvals counted once
};

// Steps 2 and 4 above. Every bad approval is named in one error (Errc of the first problem);
// the hint lists the good ones, which stay usable.
Result<CheckedApprovals> check_approvals(const RestoreRequest& request, const RequestKey& key,
                                         std::span<const ApprovalInput> approvals,
                                         std::int64_t now);

// --- Receipts ---------------------------------------------------------------------------------
//
// The receipt file written instead of an audit record when the vault is read-only:
//   ssoescrow-restore-receipt/2
//   receipt: <32 hex>                  128 random bits, new for every restore, drill or extraction
//   vault: <vault id>
//   time: <YYYY-MM-DDTHH:MM:SSZ>       when the restore/drill/extraction happened
//   actor: <user@host>
//   type: restore | drill
//   backup: <32 hex>
//   request: <32 hex>
//   purpose: restore | drill | extract   the request's purpose
//   node: <text>
//   msid: <text>
//   password: proven | not-proven      proven: ENTSSO accepted the password in a restore
//   custodian: <fingerprint>           one line per approving custodian, ascending
//   checksum: <64 hex>                 SHA-256 of every byte before this line
// Version 1 (still read) has no `receipt:` line; a Receipt without an id serialises as version 1.
// The id makes the receipts of two runs distinct even within one second, so recording the second
// is never mistaken for recording the first again; the audit record keeps it as `receipt`.

inline constexpr std::string_view k_receipt_magic = "ssoescrow-restore-receipt/2";
inline constexpr std::string_view k_receipt_magic_v1 = "ssoescrow-restore-receipt/1";
inline constexpr std::size_t k_max_receipt_size = 32 * 1024;

struct Receipt {
    std::string id;  // 32 hex digits; empty only for a version 1 receipt file
    std::string vault_id;
    std::int64_t time = 0;
    std::string actor;
    bool drill = false;
    std::string backup_id;
    std::string request_id;
    Purpose purpose = Purpose::restore;
    std::string node;
    std::string msid;
    bool password_proven = false;
    std::vector<std::string> custodians;

    vault::AuditRecord to_record() const;
};

std::string serialise_receipt(const Receipt& receipt);
Result<Receipt> parse_receipt(ByteView file, std::string_view source);

struct RecordedReceipt {
    vault::ChainRecord record;      // the new record, or the one that already holds the receipt
    bool already_recorded = false;  // nothing was written: recording is idempotent
};

// `restore record-receipt`: appends the receipt to the vault's audit log under the writer lock.
// Refuses a receipt of another vault. One already recorded (a record of the same type, receipt
// id, backup, request, node, MSID and custodians, dated at or after the receipt's time) is not
// written again and is reported with already_recorded, so that a repeated run succeeds like a
// repeated `vault mark-departed`. The record's time is the receipt's, or the chain head's when the
// receipt is older (records never go back in time). The record is signed by `signer` (the recording
// host's key, which the policy must list). Like every writer it first verifies the vault's history
// (vault/writer.hpp) against this host's state under `state_root` (--state-dir; empty: the
// default).
Result<RecordedReceipt> record_receipt(const std::filesystem::path& vault_dir,
                                       const Receipt& receipt, const crypto::SigningKey& signer,
                                       vault::Clock& clock,
                                       const std::filesystem::path& state_root = {});

// --- The apply job ----------------------------------------------------------------------------

enum class ApplyMode { restore, drill, extract };

// The request's purpose must allow the mode (request.hpp, Purpose): a plain drill is allowed under
// every purpose; an extraction only under `extract`; a restore, and a drill that restores on a
// drill server (it hands the secret to another ENTSSO installation), under `restore` or
// `extract`. Errc::precondition naming both, with the hint to make a request for the purpose.
[[nodiscard]] Status check_purpose(const RestoreRequest& request, ApplyMode mode,
                                   bool drill_server);

struct ApplyOptions {
    std::filesystem::path request_file;
    std::filesystem::path key_file;  // empty: request_file + ".key"
    std::filesystem::path vault_dir;
    std::vector<std::filesystem::path> approvals;
    ApplyMode mode = ApplyMode::drill;
    std::string bridge_command;  // required for restore; optional for drill
    // With a drill and a bridge: the bridge is a separate ENTSSO installation (a drill server,
    // never one this vault backs up): the drill restores the backup there, which proves that
    // ENTSSO accepts its password.
    bool drill_server = false;
    std::chrono::milliseconds bridge_timeout{std::chrono::seconds(120)};
    std::filesystem::path extract_dir;  // for extract
    std::filesystem::path receipt_out;  // used only when the vault is read-only
    std::filesystem::path temp_parent;  // scratch parent; empty: the system temp directory
    std::chrono::seconds lock_wait{0};
    // This host's state root (--state-dir; empty: the default): the receipt is written only into
    // a vault whose history verifies against it (vault/writer.hpp).
    std::filesystem::path state_root;
    const crypto::SigningKey* signer = nullptr;  // signs the receipt record (required)
};

struct ApplyResult {
    ApplyMode mode = ApplyMode::drill;
    std::string backup_id;
    std::string request_id;
    std::string node;
    std::string msid;           // the receipt's MSID
    std::string backup_msid;    // the backup's current MSID
    std::string previous_msid;  // the backup's previous MSID
    std::string computer;       // where the backup was made
    Purpose purpose = Purpose::restore;
    bool drill_server = false;
    bool password_proven = false;  // ENTSSO accepted the password (restore, drill-server drill)
    std::vector<std::string> custodians;
    std::uint64_t audit_seq = 0;                        // 0: not in the audit log
    std::optional<std::filesystem::path> receipt_file;  // written instead of an audit record
    std::filesystem::path bak_file;                     // extract
    std::filesystem::path password_file;                // extract
    std::vector<std::string> notes;                     // duplicates ignored etc.
};

// The name (without extension) of extracted files: "ssoescrow-<backup id>".
std::string extract_name(const vault::BackupId& backup_id);

[[nodiscard]] Result<ApplyResult> run_apply(const ApplyOptions& options, JobLog& log,
                                            vault::Clock& clock);

}  // namespace ssoescrow::restore
