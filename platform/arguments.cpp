#include "platform/arguments.hpp"

namespace ssoescrow::platform {

Utf8Arguments::Utf8Arguments(std::vector<std::string> arguments)
    : m_arguments(std::move(arguments)) {
    for (std::string& argument : m_arguments)
        m_pointers.push_back(argument.data());
    m_pointers.push_back(nullptr);
}

}  // namespace ssoescrow::platform
