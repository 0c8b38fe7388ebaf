#include "platform/terminal.hpp"

#include <windows.h>

#include <memory>

#include "platform/windows/echo_state.hpp"
#include "platform/windows/unique_handle.hpp"
#include "platform/windows/win_text.hpp"

namespace ssoescrow::platform {
namespace {

using crypto::SecretBytes;

using Handle = windows::UniqueHandle;

// The console of this process, whatever stdin/stdout are redirected to.
struct Console {
    Handle input{::CreateFileW(L"CONIN$", GENERIC_READ | GENERIC_WRITE,
                               FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr, OPEN_EXISTING, 0,
                               nullptr)};
    Handle output{::CreateFileW(L"CONOUT$", GENERIC_READ | GENERIC_WRITE,
                                FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr, OPEN_EXISTING, 0,
                                nullptr)};
    DWORD mode = 0;
    bool usable() {
        return input.valid() && output.valid() && ::GetConsoleMode(input.get(), &mode);
    }
};

Error no_terminal() {
    return make_error(Errc::usage, "no console to ask on",
                      "use --passphrase-file FILE (readable only by you) or --passphrase-fd 0");
}

Status write_text(HANDLE output, std::string_view text) {
    const std::wstring wide = windows::to_wide(text);
    DWORD written = 0;
    if (!wide.empty() &&
        !::WriteConsoleW(output, wide.data(), static_cast<DWORD>(wide.size()), &written, nullptr))
        return make_error(Errc::io, "cannot write the prompt to the console");
    return {};
}

// A wide buffer that is wiped when it goes away.
class WideSecret {
  public:
    explicit WideSecret(std::size_t size)
        : m_data(std::make_unique<wchar_t[]>(size)), m_size(size) {}
    ~WideSecret() { ::SecureZeroMemory(m_data.get(), m_size * sizeof(wchar_t)); }
    WideSecret(const WideSecret&) = delete;
    WideSecret& operator=(const WideSecret&) = delete;
    wchar_t* data() { return m_data.get(); }
    std::size_t size() const { return m_size; }

  private:
    std::unique_ptr<wchar_t[]> m_data;
    std::size_t m_size;
};

// Reads one line (up to LF) as UTF-16 with ReadConsoleW; returns its length without CR LF, or
// capacity + 1 when the line did not fit (the rest of it is consumed).
Result<std::size_t> read_wide_line(HANDLE input, WideSecret& line) {
    std::size_t used = 0;
    bool overflow = false;
    wchar_t chunk[256];
    for (;;) {
        DWORD got = 0;
        if (!::ReadConsoleW(input, chunk, 256, &got, nullptr)) {
            const DWORD error = ::GetLastError();
            ::SecureZeroMemory(chunk, sizeof chunk);
            return make_error(Errc::io,
                              "cannot read from the console: " + windows::error_text(error));
        }
        bool end = got == 0;  // end of input (Ctrl-Z is a character here, like any other)
        for (DWORD i = 0; i < got && !end; ++i) {
            if (chunk[i] == L'\n') {
                end = true;
            } else if (used < line.size()) {
                line.data()[used++] = chunk[i];
            } else {
                overflow = true;
            }
        }
        ::SecureZeroMemory(chunk, sizeof chunk);
        if (end)
            break;
    }
    if (used > 0 && line.data()[used - 1] == L'\r')
        --used;
    return overflow ? line.size() + 1 : used;
}

// UTF-16 -> UTF-8 straight into secret memory.
Result<SecretBytes> to_secret_utf8(const wchar_t* wide, std::size_t length, std::size_t max_size) {
    if (length == 0)
        return SecretBytes(0);
    const int size = ::WideCharToMultiByte(CP_UTF8, 0, wide, static_cast<int>(length), nullptr, 0,
                                           nullptr, nullptr);
    if (size <= 0)
        return make_error(Errc::io, "the line typed is not valid text");
    if (static_cast<std::size_t>(size) > max_size) {
        return make_error(Errc::limit_exceeded,
                          "the line typed is longer than " + std::to_string(max_size) + " bytes");
    }
    SecretBytes utf8(static_cast<std::size_t>(size));
    ::WideCharToMultiByte(CP_UTF8, 0, wide, static_cast<int>(length),
                          reinterpret_cast<char*>(utf8.data()), size, nullptr, nullptr);
    return utf8;
}

// Echo off for the lifetime of the object; the console control handler knows the saved mode for
// as long as echo is off.
class EchoOff {
  public:
    EchoOff(HANDLE input, DWORD saved) : m_input(input), m_saved(saved) {
        windows::echo_turned_off(input, saved);  // before the mode changes
        m_ok = ::SetConsoleMode(input, (saved & ~static_cast<DWORD>(ENABLE_ECHO_INPUT)) |
                                           ENABLE_LINE_INPUT | ENABLE_PROCESSED_INPUT) != 0;
    }
    ~EchoOff() {
        ::SetConsoleMode(m_input, m_saved);
        windows::echo_restored();
    }
    EchoOff(const EchoOff&) = delete;
    EchoOff& operator=(const EchoOff&) = delete;
    bool ok() const { return m_ok; }

  private:
    HANDLE m_input;
    DWORD m_saved;
    bool m_ok = false;
};

}  // namespace

Result<SecretBytes> read_line_from_terminal(std::string_view prompt, Echo echo,
                                            std::size_t max_size) {
    Console console;
    if (!console.usable())
        return no_terminal();
    std::unique_ptr<EchoOff> echo_off;
    if (echo == Echo::off) {
        echo_off = std::make_unique<EchoOff>(console.input.get(), console.mode);
        if (!echo_off->ok())
            return make_error(Errc::io, "cannot turn off console echo");
    }
    TRY(write_text(console.output.get(), prompt));
    // Every UTF-8 byte is at least one UTF-16 unit's worth, so max_size units are enough.
    WideSecret line(max_size);
    TRY_ASSIGN(const std::size_t used, read_wide_line(console.input.get(), line));
    if (echo == Echo::off)
        write_text(console.output.get(), "\r\n").ok();  // the line end that was not echoed
    if (used > max_size) {
        return make_error(Errc::limit_exceeded,
                          "the line typed is longer than " + std::to_string(max_size) + " bytes");
    }
    return to_secret_utf8(line.data(), used, max_size);
}

Result<std::string> read_answer_from_terminal(std::string_view prompt, std::size_t max_size) {
    Console console;
    if (!console.usable())
        return no_terminal();
    TRY(write_text(console.output.get(), prompt));
    WideSecret line(max_size + 1);
    TRY_ASSIGN(const std::size_t used, read_wide_line(console.input.get(), line));
    return windows::to_utf8(std::wstring_view(line.data(), std::min(used, line.size())));
}

}  // namespace ssoescrow::platform
