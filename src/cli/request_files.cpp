#include "src/cli/request_files.hpp"

#include "platform/file_io.hpp"
#include "platform/path_text.hpp"

namespace ssoescrow::cli {

Result<RequestFiles> request_files(const std::string& out, const std::string& key) {
    RequestFiles files{out, key.empty() ? out + ".key" : key};
    if (files.key == files.request)
        return make_error(Errc::usage, "--key and --out name the same file");
    for (const std::string& file : {files.request, files.key}) {
        if (platform::exists_no_follow(platform::path_from_utf8(file))) {
            return make_error(Errc::already_exists, file + " already exists",
                              "choose another --out (a request and its key are never "
                              "overwritten)");
        }
    }
    return files;
}

Status write_request_files(const RequestFiles& files, const std::string& request,
                           const crypto::SecretBytes& key) {
    TRY(platform::write_secret_file_exclusive(platform::path_from_utf8(files.key), key));
    if (auto written = platform::write_secret_file_exclusive(
            platform::path_from_utf8(files.request), as_bytes(request));
        !written) {
        (void)platform::remove_file_durably(platform::path_from_utf8(files.key));
        return written.error();
    }
    return {};
}

}  // namespace ssoescrow::cli
