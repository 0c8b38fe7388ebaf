// Between the terminal prompt (terminal.cpp) and the interrupt handler (interrupt.cpp): the
// terminal state a prompt saved before turning echo off, so that SIGINT/SIGTERM/SIGHUP during the
// prompt give it back (the restore_echo step of platform/interrupt.hpp) before the process dies.
#pragma once

#include <termios.h>

namespace ssoescrow::platform::posix {

// Main thread only. Records `saved` as the state to give back to `tty` and makes sure the
// interrupt handlers are installed until echo_restored(); call it BEFORE turning echo off.
void echo_turned_off(int tty, const struct termios& saved);

// Main thread only: the prompt has restored the terminal itself; forget the saved state and
// drop the handlers if nothing else needs them.
void echo_restored();

}  // namespace ssoescrow::platform::posix
