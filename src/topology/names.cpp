#include "src/topology/names.hpp"

namespace ssoescrow::topology {

namespace {

char fold_char(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

}  // namespace

std::string fold_name(std::string_view name) {
    std::string folded(name);
    for (char& c : folded)
        c = fold_char(c);
    return folded;
}

bool same_name(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (fold_char(a[i]) != fold_char(b[i]))
            return false;
    }
    return true;
}

bool same_machine(std::string_view a, std::string_view b) noexcept {
    if (same_name(a, b))
        return true;
    const auto a_dot = a.find('.');
    const auto b_dot = b.find('.');
    if ((a_dot == std::string_view::npos) == (b_dot == std::string_view::npos))
        return false;
    // Exactly one of the two is a DNS name: compare its first label with the short name.
    if (a_dot == std::string_view::npos)
        return !a.empty() && same_name(a, b.substr(0, b_dot));
    return !b.empty() && same_name(a.substr(0, a_dot), b);
}

}  // namespace ssoescrow::topology
