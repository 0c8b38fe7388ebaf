// bench_vault_gen: creates a vault with a long history for the benchmarks (bench/run.sh), in
// time linear in its size.
//
// The vault is what the command line would have written over the years, through the library's
// own writers: Vault::init (dated at the start of the history), seal_envelope (real envelopes of
// a random 4 KiB .bak, sealed to the custodians' real X25519 keys and signed with the host key
// of --state-dir, the key the CLI itself signs with there), the backup records store_envelope
// writes (same fields, signed, hash-chained by append_audit_record), and prune records followed
// by the removal of the envelope, as `vault prune` does. What it does not do is re-read the whole
// audit chain before each append (store_envelope does, a writer must not trust a chain it did not
// verify): that is what makes N backups through the CLI cost O(N^2). The chain is read once and
// extended in memory; `vault check` of the result must be clean (run.sh asserts it).
//
// History: --backups B backups stay in the vault (their envelopes present); before them,
// --pruned P older backups were made and pruned later (backup record, then a prune record once
// `--prune-lag` newer backups existed, envelope removed). The B + P backups are evenly spaced over
// --years years ending an hour ago. The retention policy keeps the B backups (keep-last B), so
// `vault prune` on the result has nothing to remove. Finally the head is remembered as seen and
// the policy pinned in --state-dir, as `vault init` and the writers do.
//
// Usage: bench_vault_gen --vault DIR --state-dir DIR --threshold K --recipient A.pub ...
//                        --backups B [--pruned P] [--years Y] [--prune-lag L]
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/hash.hpp"
#include "crypto/random.hpp"
#include "platform/file_io.hpp"
#include "platform/path_text.hpp"
#include "src/backup/password.hpp"
#include "src/cli/vault_commands.hpp"
#include "src/signing_key.hpp"
#include "vault/audit_log.hpp"
#include "vault/clock.hpp"
#include "vault/envelope.hpp"
#include "vault/text_format.hpp"
#include "vault/vault.hpp"

namespace {

using namespace ssoescrow;

constexpr std::int64_t k_day = 86400;
constexpr std::size_t k_bak_size = 4096;
// The MSID of the emulated ENTSSO system: what `backup` records as current-msid.
constexpr std::string_view k_msid = "{6B1D2C3E-4F50-4A6B-8C7D-9E0F1A2B3C4D}";

struct Options {
    std::string vault;
    std::string state_dir;
    unsigned threshold = 0;
    std::vector<std::string> recipients;
    std::uint64_t backups = 0;
    std::uint64_t pruned = 0;
    std::uint64_t years = 10;
    std::uint64_t prune_lag = 35;
};

[[noreturn]] void usage(const std::string& problem) {
    std::fprintf(stderr,
                 "bench_vault_gen: %s\nusage: bench_vault_gen --vault DIR --state-dir DIR "
                 "--threshold K --recipient A.pub ... --backups B [--pruned P] [--years Y] "
                 "[--prune-lag L]\n",
                 problem.c_str());
    std::exit(2);
}

std::uint64_t parse_count(std::string_view flag, const char* text) {
    char* end = nullptr;
    const unsigned long long value = std::strtoull(text, &end, 10);
    if (end == text || *end != '\0')
        usage(std::string(flag) + " needs a number, got '" + text + "'");
    return value;
}

Options parse_options(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string_view flag = argv[i];
        if (i + 1 >= argc)
            usage(std::string(flag) + " needs a value");
        const char* value = argv[++i];
        if (flag == "--vault")
            options.vault = value;
        else if (flag == "--state-dir")
            options.state_dir = value;
        else if (flag == "--threshold")
            options.threshold = static_cast<unsigned>(parse_count(flag, value));
        else if (flag == "--recipient")
            options.recipients.emplace_back(value);
        else if (flag == "--backups")
            options.backups = parse_count(flag, value);
        else if (flag == "--pruned")
            options.pruned = parse_count(flag, value);
        else if (flag == "--years")
            options.years = parse_count(flag, value);
        else if (flag == "--prune-lag")
            options.prune_lag = parse_count(flag, value);
        else
            usage("unknown option " + std::string(flag));
    }
    if (options.vault.empty() || options.state_dir.empty() || options.recipients.empty() ||
        options.backups == 0 || options.years == 0 || options.prune_lag == 0) {
        usage("--vault, --state-dir, --recipient and --backups are required (non-zero)");
    }
    return options;
}

// A backup as `backup` seals it: a fresh id, a random .bak and password, the reminder the
// backup job gives ENTSSO.
Result<Bytes> seal_one(const vault::Vault& vault, const crypto::SigningKey& signer,
                       std::int64_t created, vault::BackupId& id) {
    id = vault::new_backup_id();
    vault::Bundle bundle;
    bundle.bak = crypto::SecretBytes::random(k_bak_size);
    bundle.bak_sha256 = crypto::sha256(bundle.bak.view());
    bundle.password = crypto::SecretBytes::random(24);
    for (std::size_t i = 0; i < bundle.password.size(); ++i)
        bundle.password[i] = static_cast<std::uint8_t>('a' + bundle.password[i] % 26);
    bundle.reminder = backup::backup_reminder(vault::backup_id_hex(id), vault.vault_id());
    vault::SourceInfo source;
    source.computer = "SSO1";
    source.secret_server = "SSO1";
    source.current_msid = std::string(k_msid);
    const vault::SealContext context{vault.config().vault_id, &signer};
    return vault::seal_envelope(vault.config().escrow, context, source, bundle, created, id);
}

// The record store_envelope appends for a backup (vault/store.cpp), field for field.
vault::AuditRecord backup_record(const vault::EnvelopeHeader& header, ByteView envelope,
                                 std::int64_t time, const std::string& actor) {
    vault::AuditRecord record;
    record.type = vault::AuditType::backup;
    record.time = time;
    record.actor = actor;
    record.fields.push_back({"backup", vault::backup_id_hex(header.backup_id)});
    record.fields.push_back({"envelope", to_hex(crypto::sha256(envelope))});
    record.fields.push_back({"created", vault::format_time(header.created)});
    record.fields.push_back({"computer", header.source.computer});
    record.fields.push_back({"current-msid", header.source.current_msid});
    record.fields.push_back({"policy", header.policy_fingerprint});
    return record;
}

struct Written {
    std::string backup_id;
    std::string envelope_hash;
    std::filesystem::path file;
};

Status generate(const Options& options) {
    TRY(crypto::initialize());
    vault::Vault::InitOptions init;
    init.escrow.threshold = options.threshold;
    for (const std::string& file : options.recipients) {
        TRY_ASSIGN(crypto::Recipient recipient, cli::read_recipient_file(file));
        init.escrow.recipients.push_back(std::move(recipient));
    }
    TRY_ASSIGN(const crypto::SigningKey signer, host_signing_key(options.state_dir));
    init.escrow.signers.push_back(signer.signer);
    init.retention.keep_last = options.backups;

    const std::uint64_t total = options.backups + options.pruned;
    const std::int64_t end = vault::system_clock().now() - 3600;
    const std::int64_t span = static_cast<std::int64_t>(options.years) * 365 * k_day;
    const std::int64_t start = end - span;
    const std::int64_t interval = span / static_cast<std::int64_t>(total);
    vault::FakeClock clock(start - k_day);
    init.clock = &clock;
    TRY_ASSIGN(const vault::Vault created,
               vault::Vault::init(platform::path_from_utf8(options.vault), init));
    TRY_ASSIGN(vault::AuditChain chain, vault::read_audit_chain(created.dir(), created.vault_id()));
    const std::string actor = vault::current_actor();
    const std::string prune_reason =
        "older than keep-within 35d and not among the newest " + std::to_string(options.prune_lag);

    std::vector<Written> to_prune;
    std::size_t next_prune = 0;
    for (std::uint64_t i = 0; i < total; ++i) {
        const std::int64_t when = start + static_cast<std::int64_t>(i) * interval;
        vault::BackupId id{};
        TRY_ASSIGN(const Bytes envelope, seal_one(created, signer, when, id));
        TRY_ASSIGN(const vault::EnvelopeHeader header, vault::parse_envelope_header(envelope));
        Written written{vault::backup_id_hex(id), to_hex(crypto::sha256(envelope)),
                        created.dir() / vault::Vault::envelope_relative_path(id)};
        TRY(platform::write_file_durably(written.file, envelope, platform::Overwrite::no,
                                         platform::FinalMode::read_only));
        TRY_ASSIGN(
            const vault::ChainRecord appended,
            vault::append_audit_record(created.dir(), chain,
                                       backup_record(header, envelope, when + 60, actor), &signer));
        (void)appended;
        if (i < options.pruned)
            to_prune.push_back(written);
        // The oldest backups go once prune-lag newer ones exist: a prune record, then the file.
        if (i >= options.prune_lag && next_prune < to_prune.size()) {
            const Written& old = to_prune[next_prune++];
            vault::AuditRecord record;
            record.type = vault::AuditType::prune;
            record.time = when + 120;
            record.actor = actor;
            record.fields.push_back({"backup", old.backup_id});
            record.fields.push_back({"envelope", old.envelope_hash});
            record.fields.push_back({"reason", prune_reason});
            TRY_ASSIGN(const vault::ChainRecord pruned,
                       vault::append_audit_record(created.dir(), chain, std::move(record)));
            (void)pruned;
            TRY(platform::remove_file_durably(old.file));
        }
    }
    if (next_prune != to_prune.size()) {
        return make_error(Errc::invalid_argument,
                          "--prune-lag " + std::to_string(options.prune_lag) +
                              " leaves backups to prune after the last backup: give more "
                              "--backups than --prune-lag");
    }
    cli::remember_seen_or_warn(options.state_dir, chain, created.vault_id(),
                               vault::system_clock().now());
    cli::remember_policy_pin_or_warn(options.state_dir, created);
    std::printf("%s: %llu backups (%llu in the vault, %llu pruned), %llu audit records\n",
                options.vault.c_str(), static_cast<unsigned long long>(total),
                static_cast<unsigned long long>(options.backups),
                static_cast<unsigned long long>(options.pruned),
                static_cast<unsigned long long>(chain.head_seq()));
    return {};
}

}  // namespace

int main(int argc, char** argv) {
    const Options options = parse_options(argc, argv);
    const auto started = std::chrono::steady_clock::now();
    const Status status = generate(options);
    if (!status) {
        std::fprintf(stderr, "bench_vault_gen: %s\n", status.error().message.c_str());
        if (!status.error().hint.empty())
            std::fprintf(stderr, "  hint: %s\n", status.error().hint.c_str());
        return 1;
    }
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    std::printf("generated in %.1f s\n", took.count());
    return 0;
}
