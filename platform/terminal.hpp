// The terminal of the person running ssoescrow, for prompts: never stdin/stdout, which may be
// redirected.
//
// POSIX: /dev/tty, echo switched off with termios (ECHO off, ECHONL on so the line end still
// shows). Windows: the console (CONIN$ / CONOUT$), echo switched off with SetConsoleMode without
// ENABLE_ECHO_INPUT, read with ReadConsoleW as UTF-16 and converted to UTF-8 (the wide buffer is
// wiped).
//
// With Echo::off the saved terminal state comes back on every path: on return, on error, and
// when the process is interrupted during the prompt (SIGINT/SIGTERM/SIGHUP; Ctrl-C, Ctrl-Break,
// console close, logoff, shutdown): the prompt registers the saved state with the interrupt
// handler (platform/interrupt.hpp, step restore_echo) for as long as echo is off.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "crypto/result.hpp"
#include "crypto/secret_bytes.hpp"

namespace ssoescrow::platform {

enum class Echo { on, off };

// Writes `prompt` to the terminal and reads one line, returned without its line end (LF, or
// CR LF on Windows). End of input ends the line.
//   Errc::usage           no terminal (no controlling terminal / no console); the message names
//                         --passphrase-file and --passphrase-fd, callers may say more
//   Errc::limit_exceeded  the line is longer than max_size bytes
//   Errc::io              the terminal cannot be configured, written or read
Result<crypto::SecretBytes> read_line_from_terminal(std::string_view prompt, Echo echo,
                                                    std::size_t max_size);

// The same for a non-secret answer ("yes"), with echo on. A longer line than max_size is not an
// error: its first max_size + 1 bytes are returned, which never equal an expected answer.
Result<std::string> read_answer_from_terminal(std::string_view prompt, std::size_t max_size);

}  // namespace ssoescrow::platform
