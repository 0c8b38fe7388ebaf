// Between the console prompt (terminal.cpp) and the console control handler (interrupt.cpp): the
// input mode a prompt saved before turning echo off, so that Ctrl-C, Ctrl-Break or closing the
// console during the prompt give it back (the restore_echo step of platform/interrupt.hpp).
#pragma once

#include <windows.h>

namespace ssoescrow::platform::windows {

// Records `saved_mode` as the mode to give back to `console_input` and makes sure the control
// handler is installed until echo_restored(); call it BEFORE turning echo off.
void echo_turned_off(HANDLE console_input, DWORD saved_mode);

// The prompt restored the mode itself: forget it, drop the handler if nothing else needs it.
void echo_restored();

}  // namespace ssoescrow::platform::windows
