// The vault's append-only, hash-chained audit log. Byte-level format: vault/FORMAT.md 4.4.
//
// One write-once file per record, so an append is one durable write-once file
// (platform/file_io.hpp, Overwrite::no) and a crash mid-append leaves either the whole record or
// nothing (plus a temp file the next writer removes). No file is ever appended to or rewritten.
//
//   audit/<seq, 10 digits, zero-padded>-<SHA-256 of the file, 64 lower hex>.rec
//
//   ssoescrow-audit/1
//   vault: <vault id, 32 hex>
//   seq: <n>                           1, 2, 3 ... without gaps
//   prev: <64 hex>                     SHA-256 of the record seq-1's file; "none" for seq 1
//   time: <YYYY-MM-DDTHH:MM:SSZ>
//   actor: <user@host>                 who ran the command (token)
//   type: <type>
//   <key>: <value>                     the type's fields, in the order of its schema below
//   end: <n>                           the seq again: a record is complete only with this line
//
// Types and their fields (? optional, + one or more, * zero or more):
//   vault-init     config policy threshold custodian+ policy-signer+
//   backup, rotate, import, adopt
//                  backup envelope created computer current-msid previous-msid? label? policy
//                  signer signature
//   prune          backup envelope reason
//   drill, restore backup request purpose? node msid password? custodian+ signer signature
//                                                           (a restore receipt per node)
//   rekey          backup envelope created computer current-msid previous-msid? label? policy
//                  old-backup signer signature   (a backup moved to a new policy by a rekey)
//   policy-change  old-config new-config policy threshold custodian+ policy-signer+ rekey?
//                  (rekey = the request id of the rekey ceremony this record commits)
//   config-change  old-config new-config policy setting+ reason?   (`vault config set`; setting =
//                  "KEY VALUE": a non-security setting and its new canonical value)
//   lock-override  holder-host holder-pid holder-started reason
//   custodian-departed, custodian-reinstated
//                  custodian reason        (vault/custodians.hpp: who may still open backups)
//   rollback-accepted
//                  seen-seq seen-record reason   (`vault accept-rollback`: an operator put back an
//                  older copy on purpose; the head this host had seen, now gone or different)
// Value kinds: backup/request/old-backup/rekey = 32 hex (ids); config/envelope/old-config/
// new-config/seen-record = 64 hex (SHA-256 of the file); seen-seq = integer; policy = "sha256:<64
// hex>"; custodian = recipient fingerprint; threshold/holder-pid = integer; created/holder-started
// = time; computer, current-msid, previous-msid, msid, label, node, reason, holder-host, setting =
// text. No value is ever a secret: records hold ids, hashes, names and times only.
// Signed records (is_signed_record_type): `signer` = "<signer fingerprint> <public key, base64>",
// `signature` = base64 of Ed25519("ssoescrow/1 audit-record-signature" || 0x00 || every byte of
// the record before the signature line), always the last two fields before `end:`. Whether the
// signer may sign for the vault is decided against the policy (vault/catalog.hpp).
//
// Verification (read_audit_chain): every name well-formed; content hash equals the name; seq in
// the file equals the name; seqs 1..head without gap or duplicate (a fork); each prev equals the
// previous file's hash; seq 1 and only seq 1 is vault-init; every record names this vault.
//
// Rollback detection: a chain is only as new as its head, and someone who can write the vault can
// delete the newest records. So every writer, and `vault check`, keeps the latest head it has seen
// OUTSIDE the vault (SeenState, below) and compares: a shorter chain, or a different hash at the
// remembered seq, is a rollback or a rewritten history.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/result.hpp"
#include "crypto/sign.hpp"
#include "vault/finding.hpp"
#include "vault/text_format.hpp"

namespace ssoescrow::vault {

inline constexpr std::string_view k_audit_magic_prefix = "ssoescrow-audit/";
inline constexpr unsigned k_audit_version = 1;
inline constexpr std::string_view k_audit_dir = "audit";
inline constexpr std::string_view k_audit_suffix = ".rec";
inline constexpr std::size_t k_max_audit_record_size = 64 * 1024;
inline constexpr std::size_t k_max_audit_records = 1000000;
inline constexpr std::size_t k_max_audit_fields = 300;

enum class AuditType {
    vault_init,
    backup,
    rotate,
    import,
    adopt,
    prune,
    drill,
    restore,
    rekey,
    policy_change,
    config_change,
    lock_override,
    custodian_departed,
    custodian_reinstated,
    rollback_accepted,
};

std::string_view audit_type_name(AuditType type) noexcept;
std::optional<AuditType> audit_type_from_name(std::string_view name) noexcept;

struct AuditField {
    std::string key;
    std::string value;
    friend bool operator==(const AuditField&, const AuditField&) = default;
};

struct AuditRecord {
    std::uint64_t seq = 0;
    std::string prev;  // 64 hex; empty for seq 1 ("none" in the file)
    UnixTime time = 0;
    std::string vault_id;  // 32 hex
    std::string actor;     // user@host
    AuditType type = AuditType::backup;
    std::vector<AuditField> fields;

    // The first value of `key`, or "" when absent.
    std::string_view field(std::string_view key) const;
    std::vector<std::string> fields_named(std::string_view key) const;

    // Checks every field against the schema of `type` (order, multiplicity, value kinds) and the
    // fixed fields. Errc::invalid_argument / parse / limit_exceeded naming the field.
    [[nodiscard]] Status validate() const;
    // The canonical file bytes (validate() must pass; std::logic_error otherwise: a bug).
    std::string serialise() const;
};

// Strict parse of one record file (canonical form only; "unsupported version N").
Result<AuditRecord> parse_audit_record(std::string_view text, std::string_view source);

// backup, rotate, import, adopt, rekey, drill, restore: the records status relies on for a claim.
bool is_signed_record_type(AuditType type) noexcept;

// Sets the record's signer and signature fields (the last two) for `key`; seq, prev, vault id
// and every other field must be final. Errc::internal for a type that is not signed.
[[nodiscard]] Status sign_audit_record(AuditRecord& record, const crypto::SigningKey& key);

struct RecordSigner {
    std::string fingerprint;
    crypto::SignerPublicKey public_key{};
};
// Checks a signed record's signature with the public key it names (Errc::auth_failed naming the
// record and the signer). Membership of the signer in the policy is the caller's check.
Result<RecordSigner> verify_audit_record_signature(const AuditRecord& record);

std::string audit_file_name(std::uint64_t seq, std::string_view hash_hex);
struct AuditFileName {
    std::uint64_t seq = 0;
    std::string hash;  // 64 hex
};
std::optional<AuditFileName> parse_audit_file_name(std::string_view name);

// SHA-256 of a record's file bytes, lower hex.
std::string audit_hash(std::string_view file_bytes);

// "user@host" of this process (characters outside %x21-7e replaced by '_').
std::string current_actor();

struct ChainRecord {
    AuditRecord record;
    std::string hash;  // SHA-256 of the file, 64 hex
    std::string file;  // relative to the vault directory: "audit/<name>"
};

struct AuditChain {
    std::vector<ChainRecord> records;  // the readable records, ascending seq
    Findings findings;                 // everything wrong with the chain (see verification above)
    // False when `records` starts at a head verified earlier (read_audit_chain_after): the records
    // below it were only counted by name, not read.
    bool complete = true;

    bool intact() const noexcept { return !has_damage(findings); }
    std::uint64_t head_seq() const noexcept {
        return records.empty() ? 0 : records.back().record.seq;
    }
    std::string head_hash() const { return records.empty() ? std::string() : records.back().hash; }
    const ChainRecord* find(std::uint64_t seq) const noexcept;
};

// Reads and verifies audit/ of the vault at `vault_dir` (read-only: takes no lock, writes
// nothing). Problems become findings; an error is returned only when the directory cannot be
// listed at all (not_found, io) or holds more than k_max_audit_records entries.
Result<AuditChain> read_audit_chain(const std::filesystem::path& vault_dir,
                                    std::string_view vault_id);

// A record already verified: its seq and the SHA-256 in its name.
struct AuditHead {
    std::uint64_t seq = 0;
    std::string hash;  // 64 hex
    friend bool operator==(const AuditHead&, const AuditHead&) = default;
};

// Like read_audit_chain, but trusts what was verified up to `base` (a head cache, FORMAT.md
// 4.3): below base.seq only the names are checked (exactly one per seq, no gap); the record at
// base.seq must be named with base.hash and is read, hashed and parsed like every record after
// it. The result is not `complete`: records start at base.seq. Anything the names below the base
// cannot vouch for is a damage finding (audit-fork, audit-gap, audit-history-rewritten for a
// base that is gone or renamed), after which the caller reads the chain in full.
Result<AuditChain> read_audit_chain_after(const std::filesystem::path& vault_dir,
                                          std::string_view vault_id, const AuditHead& base);

// --- The audit head (FORMAT.md 4.3 "Audit head") ---
//
// VAULT/audit-head names the newest record, so that a writer that verified the history up to a
// cached head finds the records after it by following `prev` links back from the named record
// instead of listing audit/ (whose listing grows with the vault's age). Every append replaces it
// durably *before* the record is written, so it never names a record older than the newest one
// a writer of this format wrote: at worst it names a record that does not exist (a write that
// failed or was interrupted after it), which sends the next writer to the listing.
//   ssoescrow-audit-head/1
//   vault: <vault id, 32 hex>
//   seq: <seq>
//   record: <SHA-256 of the record's file, 64 hex>
inline constexpr std::string_view k_audit_head_file = "audit-head";
inline constexpr std::size_t k_max_audit_head_size = 4096;

struct AuditHeadFile {
    std::string vault_id;
    AuditHead head;
    friend bool operator==(const AuditHeadFile&, const AuditHeadFile&) = default;
};
std::string serialise_audit_head(const AuditHeadFile& head);
// Errc::parse / unsupported_version / limit_exceeded naming `source`; canonical form only.
Result<AuditHeadFile> parse_audit_head(std::string_view text, std::string_view source);
// std::nullopt when the vault has no audit head (a vault written before it existed).
Result<std::optional<AuditHeadFile>> read_audit_head(const std::filesystem::path& vault_dir);
// Replaces VAULT/audit-head durably (temp file, fsync, rename, fsync of VAULT/). The caller holds
// the writer lock.
[[nodiscard]] Status write_audit_head(const std::filesystem::path& vault_dir,
                                      const AuditHeadFile& head);

// read_audit_chain_after without listing audit/: the records from `base` to the one the audit
// head names, found by following each record's `prev` back from the head to `base` (the hash of
// each file must be the one in its name), then verified like every record after a cached head.
// std::nullopt when the audit head cannot lead there (missing, unreadable, another vault's, behind
// `base`, a record on the way missing or unreadable, a chain that does not reach `base` under its
// hash): the caller then lists audit/ (read_audit_chain_after), which judges what is wrong. Names
// below `base`, and files the links do not reach, are not looked at: that is `vault check`'s job.
std::optional<AuditChain> read_audit_chain_from_head(const std::filesystem::path& vault_dir,
                                                     std::string_view vault_id,
                                                     const AuditHead& base);

// Appends one record: fills seq, prev and vault_id from `chain` (which must be intact: a damaged
// chain is Errc::vault_damaged, so a writer never extends a log it cannot vouch for), validates,
// writes audit/<seq>-<hash>.rec durably and write-once, and adds it to `chain`. The caller holds
// the vault's writer lock. If a record with that seq already exists (another writer without the
// lock) the write fails with already_exists, naming the file. A record of a signed type is
// signed with `signer` (Errc::internal without one).
Result<ChainRecord> append_audit_record(const std::filesystem::path& vault_dir, AuditChain& chain,
                                        AuditRecord record,
                                        const crypto::SigningKey* signer = nullptr);

// Writes the first record (seq 1, a vault-init record) of a new vault whose audit/ directory
// exists and holds no record. Errc::already_exists if a record is there already.
Result<AuditChain> start_audit_log(const std::filesystem::path& vault_dir, AuditRecord record);

// --- Reading APIs for status, topology check and restore ---

// Values of the `password` field of drill and restore records.
inline constexpr std::string_view k_password_proven = "proven";  // ENTSSO accepted it (a restore)
inline constexpr std::string_view k_password_not_proven = "not-proven";
// The node of an extraction's record: "extract@<host>".
inline constexpr std::string_view k_extract_node_prefix = "extract@";

inline bool is_extraction_node(std::string_view node) noexcept {
    return node.substr(0, k_extract_node_prefix.size()) == k_extract_node_prefix;
}

struct RestoreReceipt {
    bool drill = false;  // a restore drill (nothing written to a live secret server)
    UnixTime time = 0;
    std::string actor;
    std::string node;
    std::string msid;
    std::string backup_id;
    std::string request_id;
    std::vector<std::string> custodians;  // approving custodians' fingerprints
    std::uint64_t seq = 0;
    std::string purpose;  // the request's purpose; empty in records that predate it
    bool password_proven =
        false;  // ENTSSO accepted the backup's password (receipt_proves_password)

    // An extraction (`restore apply --extract`): the files were handed out, nothing was restored,
    // so it proves no restore path and is not a drill.
    bool extraction() const noexcept { return is_extraction_node(node); }
};

// Whether a drill or restore record proves that ENTSSO accepted the backup's password: its
// `password: proven` field, or, in a record without the field, a restore on a node (not an
// extraction).
bool receipt_proves_password(const AuditRecord& record);

// Every drill and restore record, in chain order.
std::vector<RestoreReceipt> restore_receipts(const AuditChain& chain);
// Time of the newest drill or restore (both prove the backup restores; an extraction does not),
// if any.
std::optional<UnixTime> last_drill_time(const AuditChain& chain);
// The newest record of `type`, if any.
const ChainRecord* last_record_of(const AuditChain& chain, AuditType type);

// --- The latest-seen state, kept outside the vault ---
//
// File <state dir>/latest-seen, replaced durably (0600 in a 0700 directory):
//   ssoescrow-seen/1
//   vault: <vault id>
//   seq: <head seq>
//   record: <head hash, 64 hex>
//   time: <when it was seen>
// Default state dir: $XDG_STATE_HOME/ssoescrow/<vault id>, else ~/.local/state/ssoescrow/<vault
// id>.

struct SeenState {
    std::string vault_id;
    std::uint64_t seq = 0;
    std::string record_hash;
    UnixTime time = 0;
};

inline constexpr std::string_view k_seen_file = "latest-seen";

// Errc::not_found when neither XDG_STATE_HOME nor HOME is set.
Result<std::filesystem::path> default_state_dir(std::string_view vault_id);
std::string serialise_seen_state(const SeenState& state);
Result<SeenState> parse_seen_state(std::string_view text, std::string_view source);
// std::nullopt when the file does not exist yet (first run on this machine).
Result<std::optional<SeenState>> read_seen_state(const std::filesystem::path& state_dir);
// Compares the vault's chain with what this machine saw last: a shorter chain
// ("audit-rolled-back") or another hash at the remembered seq ("audit-history-rewritten") is
// damage; another vault id is damage ("seen-state-other-vault").
Findings compare_with_seen(const AuditChain& chain, const SeenState& seen);
// Records the chain's head as seen. The state only ever moves forward along the history it
// remembers: nothing is written when the stored state is at a later seq, and a chain that does
// not hold the remembered record (rolled back, rewritten, another vault) is refused with
// Errc::vault_damaged and leaves the state as it was, so a writer or checker can never erase
// the evidence of a rollback. Creates the state dir (0700, parents included). `chain` should be
// intact.
[[nodiscard]] Status remember_seen(const std::filesystem::path& state_dir, const AuditChain& chain,
                                   std::string_view vault_id, UnixTime now);
// Replaces the state with the chain's head whatever it held: only for `vault accept-rollback`,
// after its rollback-accepted record is in the chain.
[[nodiscard]] Status replace_seen(const std::filesystem::path& state_dir, const AuditChain& chain,
                                  std::string_view vault_id, UnixTime now);

}  // namespace ssoescrow::vault
