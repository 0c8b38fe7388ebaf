#include "src/terminal.hpp"

#include <iostream>

namespace ssoescrow {

void print_error(const Error& error) {
    std::cerr << "ssoescrow: error: " << error.message << '\n';
    if (!error.hint.empty())
        std::cerr << "ssoescrow: hint: " << error.hint << '\n';
}

void print_warning(std::string_view message) {
    std::cerr << "ssoescrow: warning: " << message << '\n';
}

void print_info(std::string_view message) {
    std::cerr << "ssoescrow: " << message << '\n';
}

}  // namespace ssoescrow
