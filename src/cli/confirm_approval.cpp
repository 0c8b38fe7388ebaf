#include "src/cli/confirm_approval.hpp"

#include <iostream>

#include "platform/file_io.hpp"
#include "platform/path_text.hpp"
#include "platform/terminal.hpp"

namespace ssoescrow::cli {

Status confirm_on_terminal(const std::string& details, std::string_view question) {
    const std::string prompt = details + std::string(question) + " Type 'yes' to approve: ";
    auto answer = platform::read_answer_from_terminal(prompt, 16);
    if (!answer && answer.error().code == Errc::usage) {
        return make_error(Errc::usage, "no terminal to confirm the approval on",
                          "read the request's details above and, if you approve it, run the "
                          "command again with --yes");
    }
    if (!answer)
        return make_error(
            Errc::io, "cannot ask for the confirmation on the terminal: " + answer.error().message);
    if (!answer->empty() && answer->back() == '\r')
        answer->pop_back();
    if (*answer != "yes") {
        return make_error(Errc::precondition, "not approved: nothing was written",
                          "run the command again when you want to approve the request");
    }
    return {};
}

Status confirm_approval(const std::string& details, std::string_view question, bool yes) {
    if (!yes)
        return confirm_on_terminal(details, question);
    std::cerr << details;
    return {};
}

Status write_custodian_file(const std::string& out, const std::string& text,
                            const std::function<Status(ByteView)>& parse_back) {
    TRY(parse_back(as_bytes(text)));
    return platform::write_secret_file_exclusive(platform::path_from_utf8(out), as_bytes(text));
}

}  // namespace ssoescrow::cli
