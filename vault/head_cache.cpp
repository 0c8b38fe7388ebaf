#include "vault/head_cache.hpp"

#include "crypto/bytes.hpp"
#include "crypto/hash.hpp"
#include "platform/file_io.hpp"
#include "platform/path_text.hpp"
#include "vault/host_state.hpp"
#include "vault/policy.hpp"

namespace ssoescrow::vault {

namespace {

constexpr std::string_view k_cache_magic = "ssoescrow-verified-head/3";
constexpr std::string_view k_backups_magic = "ssoescrow-verified-backups/1";
constexpr std::string_view k_cache_magic_prefix = "ssoescrow-verified-head/";
constexpr std::size_t k_fixed_lines = 7;  // magic .. policy

// "<seq> <64 hex>"
Result<AuditHead> parse_head_ref(std::string_view value, const std::string& what) {
    const std::size_t space = value.find(' ');
    if (space == std::string_view::npos)
        return make_error(Errc::parse, what + ": expected '<seq> <64 hex>'");
    AuditHead ref;
    TRY_ASSIGN(ref.seq, parse_integer(value.substr(0, space), what));
    TRY(check_hex(value.substr(space + 1), 32, what));
    ref.hash = std::string(value.substr(space + 1));
    return ref;
}

// "<id> <seq> <envelope> <created> <current MSID>": the MSID is last, as it may hold spaces.
Result<CachedBackup> parse_backup_line(std::string_view value, const std::string& what) {
    CachedBackup backup;
    std::string_view rest = value;
    auto next = [&](std::string_view name) -> Result<std::string_view> {
        const std::size_t space = rest.find(' ');
        if (space == std::string_view::npos)
            return make_error(Errc::parse,
                              what + ": backup line ends before its " + std::string(name));
        const std::string_view token = rest.substr(0, space);
        rest.remove_prefix(space + 1);
        return token;
    };
    TRY_ASSIGN(const std::string_view id, next("id"));
    TRY(check_hex(id, 16, what + ": backup id"));
    backup.backup_id = std::string(id);
    TRY_ASSIGN(const std::string_view seq, next("seq"));
    TRY_ASSIGN(backup.seq, parse_integer(seq, what + ": backup seq"));
    TRY_ASSIGN(const std::string_view envelope, next("envelope"));
    TRY(check_hex(envelope, 32, what + ": backup envelope"));
    backup.envelope = std::string(envelope);
    TRY_ASSIGN(const std::string_view created, next("created"));
    TRY_ASSIGN(backup.created, parse_time(created, what + ": backup created"));
    TRY(check_text(rest, what + ": backup MSID"));
    backup.current_msid = std::string(rest);
    return backup;
}

// "<fingerprint> <time> <reason>": the reason is last, as it holds spaces.
Result<CachedDeparture> parse_departure_line(std::string_view value, const std::string& what) {
    const std::size_t first = value.find(' ');
    const std::size_t second = first == std::string_view::npos ? first : value.find(' ', first + 1);
    if (second == std::string_view::npos)
        return make_error(Errc::parse,
                          what + ": expected 'departed: <fingerprint> <time> <reason>'");
    CachedDeparture departure;
    const std::string_view fingerprint = value.substr(0, first);
    if (!is_fingerprint_text(fingerprint))
        return make_error(Errc::parse, what + ": departed: not a custodian fingerprint");
    departure.fingerprint = std::string(fingerprint);
    TRY_ASSIGN(departure.time,
               parse_time(value.substr(first + 1, second - first - 1), what + ": departed time"));
    TRY(check_text(value.substr(second + 1), what + ": departed reason"));
    departure.reason = std::string(value.substr(second + 1));
    return departure;
}

}  // namespace

std::string serialise_head_cache(const HeadCache& cache) {
    std::string out(k_cache_magic);
    out += "\nvault: " + cache.vault_id + "\n";
    out += "seq: " + std::to_string(cache.head.seq) + "\n";
    out += "record: " + cache.head.hash + "\n";
    out += "config-record: " + std::to_string(cache.config_record.seq) + " " +
           cache.config_record.hash + "\n";
    out += "config: " + cache.config + "\n";
    out += "policy: " + cache.policy + "\n";
    for (const CachedDeparture& d : cache.departed)
        out += "departed: " + d.fingerprint + " " + format_time(d.time) + " " + d.reason + "\n";
    const CachedBackupsFile& file = cache.backups_file;
    out += "backups: " + std::to_string(file.count) + " " + std::to_string(file.bytes) + " " +
           file.digest + "\n";
    out += "end: " + std::to_string(file.count) + "\n";
    return out;
}

Result<HeadCache> parse_head_cache(std::string_view text, std::string_view source) {
    const std::string what = "verified head cache " + std::string(source);
    if (text.size() > k_max_head_cache_size)
        return make_error(Errc::limit_exceeded, what + " is too large");
    TRY_ASSIGN(const auto lines, split_lines(text, k_max_head_cache_size / 64, what));
    if (lines[0].substr(0, k_cache_magic_prefix.size()) == k_cache_magic_prefix &&
        lines[0] != k_cache_magic) {
        return make_error(Errc::unsupported_version,
                          what + ": unsupported version " +
                              std::string(lines[0].substr(k_cache_magic_prefix.size())));
    }
    if (lines.size() < k_fixed_lines + 2 || lines[0] != k_cache_magic)
        return make_error(Errc::parse, what + " is malformed");
    HeadCache cache;
    cache.backups_read = false;
    TRY_ASSIGN(const std::string_view vault, expect_field(lines[1], "vault", what));
    TRY(check_hex(vault, 16, what + ": vault"));
    cache.vault_id = std::string(vault);
    TRY_ASSIGN(const std::string_view seq, expect_field(lines[2], "seq", what));
    TRY_ASSIGN(cache.head.seq, parse_integer(seq, what + ": seq"));
    TRY_ASSIGN(const std::string_view record, expect_field(lines[3], "record", what));
    TRY(check_hex(record, 32, what + ": record"));
    cache.head.hash = std::string(record);
    TRY_ASSIGN(const std::string_view config_record, expect_field(lines[4], "config-record", what));
    TRY_ASSIGN(cache.config_record, parse_head_ref(config_record, what + ": config-record"));
    TRY_ASSIGN(const std::string_view config, expect_field(lines[5], "config", what));
    TRY(check_hex(config, 32, what + ": config"));
    cache.config = std::string(config);
    TRY_ASSIGN(const std::string_view policy, expect_field(lines[6], "policy", what));
    if (policy.substr(0, k_policy_fingerprint_prefix.size()) != k_policy_fingerprint_prefix)
        return make_error(Errc::parse, what + ": policy: expected sha256:<64 hex>");
    TRY(check_hex(policy.substr(k_policy_fingerprint_prefix.size()), 32, what + ": policy"));
    cache.policy = std::string(policy);
    std::size_t i = k_fixed_lines;
    for (; i + 2 < lines.size(); ++i) {
        TRY_ASSIGN(const std::string_view value, expect_field(lines[i], "departed", what));
        TRY_ASSIGN(CachedDeparture departure, parse_departure_line(value, what));
        if (!cache.departed.empty() && departure.fingerprint <= cache.departed.back().fingerprint)
            return make_error(Errc::parse, what + ": departed custodians out of order");
        cache.departed.push_back(std::move(departure));
    }
    TRY_ASSIGN(const std::string_view backups, expect_field(lines[i], "backups", what));
    const std::size_t first = backups.find(' ');
    const std::size_t second =
        first == std::string_view::npos ? first : backups.find(' ', first + 1);
    if (second == std::string_view::npos)
        return make_error(Errc::parse, what + ": expected 'backups: <count> <bytes> <digest>'");
    CachedBackupsFile& file = cache.backups_file;
    TRY_ASSIGN(file.count, parse_integer(backups.substr(0, first), what + ": backups count"));
    TRY_ASSIGN(file.bytes, parse_integer(backups.substr(first + 1, second - first - 1),
                                         what + ": backups bytes"));
    TRY(check_hex(backups.substr(second + 1), 32, what + ": backups digest"));
    file.digest = std::string(backups.substr(second + 1));
    TRY_ASSIGN(const std::string_view end, expect_field(lines.back(), "end", what));
    if (end != std::to_string(file.count))
        return make_error(Errc::parse, what + " is torn (its end line does not count its backups)");
    if (cache.config_record.seq == 0 || cache.config_record.seq > cache.head.seq ||
        cache.head.seq == 0 || file.bytes > k_max_cached_backups_size ||
        file.count > file.bytes / 8)
        return make_error(Errc::parse, what + ": a record beyond its head, or an impossible size");
    if (serialise_head_cache(cache) != text)
        return make_error(Errc::parse, what + " is not in canonical form");
    return cache;
}

namespace {

std::string backup_line(const CachedBackup& b) {
    return "backup: " + b.backup_id + " " + std::to_string(b.seq) + " " + b.envelope + " " +
           format_time(b.created) + " " + b.current_msid + "\n";
}

// d(i) = SHA-256(d(i-1) || line): one step of the digest of verified-backups.
crypto::Digest chain_digest(const crypto::Digest& before, std::string_view line) {
    std::string joined(reinterpret_cast<const char*>(before.data()), before.size());
    joined += line;
    return crypto::sha256(as_bytes(joined));
}

crypto::Digest digest_from_hex(std::string_view hex) {
    crypto::Digest digest{};
    auto bytes = from_hex(hex, "digest");
    if (bytes && bytes->size() == digest.size())
        std::copy(bytes->begin(), bytes->end(), digest.begin());
    return digest;
}

}  // namespace

std::string serialise_cached_backups(const std::vector<CachedBackup>& backups) {
    std::string out(k_backups_magic);
    out += "\n";
    for (const CachedBackup& b : backups)
        out += backup_line(b);
    return out;
}

CachedBackupsFile describe_cached_backups(std::string_view text) {
    // Lines end at LF or at the end of the text (a torn last line is a line too, so that any
    // text has one description).
    auto line_length = [&](std::size_t from) {
        const std::size_t lf = text.find('\n', from);
        return (lf == std::string_view::npos ? text.size() : lf + 1) - from;
    };
    CachedBackupsFile file;
    file.bytes = text.size();
    std::size_t next = line_length(0);
    crypto::Digest digest = crypto::sha256(as_bytes(text.substr(0, next)));
    while (next < text.size()) {
        const std::size_t length = line_length(next);
        digest = chain_digest(digest, text.substr(next, length));
        next += length;
        ++file.count;
    }
    file.digest = to_hex(digest);
    return file;
}

Result<std::vector<CachedBackup>> parse_cached_backups(std::string_view text,
                                                       const CachedBackupsFile& file,
                                                       std::uint64_t head_seq,
                                                       std::string_view source) {
    const std::string what = "verified backups cache " + std::string(source);
    if (text.size() < file.bytes)
        return make_error(Errc::parse, what + " is shorter than its verified head says");
    const std::string_view covered = text.substr(0, file.bytes);
    if (describe_cached_backups(covered) != file)
        return make_error(Errc::parse, what + " does not hold what its verified head says");
    TRY_ASSIGN(const auto lines, split_lines(covered, file.count + 2, what));
    if (lines.size() != file.count + 1 || lines[0] != k_backups_magic)
        return make_error(Errc::parse, what + " is malformed");
    std::vector<CachedBackup> backups;
    backups.reserve(file.count);
    for (std::size_t i = 1; i < lines.size(); ++i) {
        TRY_ASSIGN(const std::string_view value, expect_field(lines[i], "backup", what));
        TRY_ASSIGN(CachedBackup backup, parse_backup_line(value, what));
        if (!backups.empty() && backup.seq <= backups.back().seq)
            return make_error(Errc::parse, what + ": backups out of order");
        if (backup.seq > head_seq)
            return make_error(Errc::parse, what + ": a backup beyond its head");
        if (backup_line(backup) != std::string(lines[i]) + "\n")
            return make_error(Errc::parse, what + " is not in canonical form");
        backups.push_back(std::move(backup));
    }
    return backups;
}

Result<std::optional<HeadCache>> read_head_cache_head(const std::filesystem::path& state_dir) {
    return read_optional_text_file(state_dir / k_head_cache_file, k_max_head_cache_size,
                                   &parse_head_cache);
}

Result<std::vector<CachedBackup>> read_cached_backups(const std::filesystem::path& state_dir,
                                                      const HeadCache& cache) {
    const std::filesystem::path file = state_dir / k_cached_backups_file;
    TRY_ASSIGN(const Bytes bytes, platform::read_file(file, k_max_cached_backups_size));
    const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return parse_cached_backups(text, cache.backups_file, cache.head.seq,
                                platform::path_to_utf8(file));
}

Result<std::optional<HeadCache>> read_head_cache(const std::filesystem::path& state_dir) {
    TRY_ASSIGN(std::optional<HeadCache> cache, read_head_cache_head(state_dir));
    if (cache) {
        TRY_ASSIGN(cache->backups, read_cached_backups(state_dir, *cache));
        cache->backups_read = true;
    }
    return cache;
}

Status write_head_cache(const std::filesystem::path& state_dir, HeadCache cache) {
    TRY(ensure_state_dir(state_dir));
    const std::string backups = serialise_cached_backups(cache.backups);
    cache.backups_file = describe_cached_backups(backups);
    TRY(platform::replace_file_atomically(state_dir / k_cached_backups_file, as_bytes(backups)));
    return platform::replace_file_atomically(state_dir / k_head_cache_file,
                                             as_bytes(serialise_head_cache(cache)));
}

Status append_to_head_cache(const std::filesystem::path& state_dir,
                            const CachedBackupsFile& previous, HeadCache cache,
                            const std::vector<CachedBackup>& added) {
    const std::filesystem::path file = state_dir / k_cached_backups_file;
    TRY_ASSIGN(const platform::FileStatus status, platform::file_status(file));
    if (status.kind != platform::FileKind::regular || status.size != previous.bytes) {
        return make_error(Errc::precondition,
                          platform::path_to_utf8(file) + " is not what its verified head says");
    }
    std::string lines;
    CachedBackupsFile next = previous;
    crypto::Digest digest = digest_from_hex(previous.digest);
    for (const CachedBackup& b : added) {
        const std::string line = backup_line(b);
        digest = chain_digest(digest, line);
        lines += line;
    }
    next.count += added.size();
    next.bytes += lines.size();
    next.digest = to_hex(digest);
    if (!lines.empty())
        TRY(platform::append_file_durably(file, as_bytes(lines), platform::CreateIfMissing::no));
    cache.backups_file = next;
    return platform::replace_file_atomically(state_dir / k_head_cache_file,
                                             as_bytes(serialise_head_cache(cache)));
}

}  // namespace ssoescrow::vault
