#include "src/signing_key.hpp"

#include <system_error>

#include "crypto/custodian_key.hpp"
#include "platform/directories.hpp"
#include "platform/file_io.hpp"
#include "platform/path_text.hpp"
#include "platform/process_info.hpp"

namespace ssoescrow {

namespace fs = std::filesystem;

namespace {

// The host name as a label: printable, 1..64 bytes.
std::string host_label() {
    std::string label;
    for (char c : platform::host_name()) {
        const auto byte = static_cast<unsigned char>(c);
        label += (byte < 0x21 || byte == 0x7f) ? '_' : c;
    }
    if (label.size() > crypto::k_max_label_size)
        label.resize(crypto::k_max_label_size);
    return label.empty() ? std::string("backup host") : label;
}

}  // namespace

Result<fs::path> state_root(const std::string& state_dir_option) {
    if (!state_dir_option.empty())
        return platform::path_from_utf8(state_dir_option);
    return platform::default_state_root();
}

Result<crypto::SigningKey> load_signing_key(const fs::path& file) {
    TRY_ASSIGN(const crypto::SecretBytes bytes,
               platform::read_secret_file(file, crypto::k_max_signing_key_file_size,
                                          platform::RequireOwnerOnly::yes));
    return crypto::parse_signing_key(bytes.view(), platform::path_to_utf8(file));
}

Status write_signing_key(const fs::path& file, const crypto::SigningKey& key) {
    const crypto::SecretBytes bytes = crypto::serialise_signing_key(key);
    TRY(platform::write_secret_file_exclusive(file, bytes));
    // Check our own output before anyone relies on it.
    TRY_ASSIGN(const crypto::SigningKey again, load_signing_key(file));
    if (again.signer.to_line() != key.signer.to_line()) {
        return make_error(Errc::internal, platform::path_to_utf8(file) +
                                              ": the signing key does not read back as written");
    }
    return {};
}

Result<crypto::SigningKey> host_signing_key(const std::string& state_dir_option) {
    TRY_ASSIGN(const fs::path root, state_root(state_dir_option));
    const fs::path file = root / std::string(k_host_signing_key_file);
    std::error_code ec;
    if (fs::exists(fs::symlink_status(file, ec)))
        return load_signing_key(file);
    if (!fs::is_directory(fs::symlink_status(root, ec))) {
        if (root.has_parent_path() && !root.parent_path().empty()) {
            fs::create_directories(root.parent_path(), ec);
            if (ec)
                return platform::file_error(ec, "create", root.parent_path());
        }
        TRY(platform::ensure_private_directory(root));
    }
    const crypto::SigningKey key = crypto::generate_signing_key(host_label());
    if (auto written = write_signing_key(file, key); !written) {
        if (written.error().code == Errc::already_exists)
            return load_signing_key(file);  // another process created it first
        return std::move(written).error();
    }
    return load_signing_key(file);
}

Result<crypto::SigningKey> signing_key_for(const std::string& signing_key_option,
                                           const std::string& state_dir_option) {
    if (!signing_key_option.empty())
        return load_signing_key(platform::path_from_utf8(signing_key_option));
    return host_signing_key(state_dir_option);
}

}  // namespace ssoescrow
