#include "src/cli/confirm_approval.hpp"

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

}  // namespace ssoescrow::cli
