#include "platform/hardening.hpp"

#include <windows.h>

#include <string>

namespace ssoescrow::platform {
namespace {

// From werapi.h, declared here because wer.dll is loaded at run time (and mingw's werapi.h is not
// always installed).
constexpr DWORD k_wer_fault_reporting_no_ui = 0x20;
using WerAddExcludedApplicationFn = HRESULT(WINAPI*)(PCWSTR, BOOL);
using WerSetFlagsFn = HRESULT(WINAPI*)(DWORD);

template <typename Function>
Function function_from(HMODULE module, const char* name) {
    // GetProcAddress returns a generic FARPROC; the signature above is werapi.h's.
    return reinterpret_cast<Function>(reinterpret_cast<void*>(::GetProcAddress(module, name)));
}

std::wstring this_executable() {
    std::wstring path(MAX_PATH, L'\0');
    for (;;) {
        const DWORD length =
            ::GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size()));
        if (length == 0)
            return {};
        if (length < path.size()) {
            path.resize(length);
            return path;
        }
        path.resize(path.size() * 2);
    }
}

// Optional: a system without WER (or an older one) is not an error.
void exclude_from_error_reporting() {
    HMODULE wer = ::LoadLibraryExW(L"wer.dll", nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32);
    if (wer == nullptr)
        return;
    if (auto set_flags = function_from<WerSetFlagsFn>(wer, "WerSetFlags"))
        set_flags(k_wer_fault_reporting_no_ui);
    if (auto exclude =
            function_from<WerAddExcludedApplicationFn>(wer, "WerAddExcludedApplication")) {
        // FALSE: for the current user; this needs no administrator rights.
        if (const std::wstring exe = this_executable(); !exe.empty())
            exclude(exe.c_str(), FALSE);
    }
    // wer.dll stays loaded: the settings live in the process and the registry, not the module,
    // but unloading buys nothing.
}

}  // namespace

void ignore_broken_pipes() noexcept {}

Status harden_process() {
    ::SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX | SEM_NOOPENFILEERRORBOX);
    // Optional (may be refused on a system that already enforces it): heap corruption ends the
    // process instead of letting it run on with secrets in a damaged heap.
    ::HeapSetInformation(nullptr, HeapEnableTerminationOnCorruption, nullptr, 0);
#ifndef _WIN64
    // 32-bit only: 64-bit processes always run with DEP and the call fails there.
    ::SetProcessDEPPolicy(PROCESS_DEP_ENABLE);
#endif
    exclude_from_error_reporting();
    return {};
}

}  // namespace ssoescrow::platform
