#!/usr/bin/env bash
# Runs the Pester tests of scripts/windows (tests/powershell/*.Tests.ps1) in PowerShell 7, as
# scripts/bootstrap.sh installs it (the .NET global tool `pwsh`, Pester under the user's module
# folder). Exit 0 all passed, 1 a test failed, 77 skipped: no pwsh or no Pester 5 here (a
# message says what to install). With SSOESCROW_REQUIRE_PWSH=1 (CI) a missing PowerShell fails.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

skip() {
    if [[ ${SSOESCROW_REQUIRE_PWSH:-0} == 1 ]]; then
        echo "powershell tests: $1 (SSOESCROW_REQUIRE_PWSH=1: failing)" >&2
        exit 1
    fi
    echo "powershell tests skipped: $1" >&2
    exit 77
}

pwsh=${SSOESCROW_PWSH:-}
if [[ -z $pwsh ]]; then
    pwsh=$(command -v pwsh || true)
fi
if [[ -z $pwsh && -x $HOME/.dotnet/tools/pwsh ]]; then
    pwsh=$HOME/.dotnet/tools/pwsh
fi
[[ -n $pwsh ]] || skip "PowerShell 7 (pwsh) not found: run scripts/bootstrap.sh (dotnet tool install --global PowerShell)"
# The tests start the bridge as a child process with the pwsh found on PATH.
PATH=$(dirname "$pwsh"):$PATH
export PATH
export POWERSHELL_TELEMETRY_OPTOUT=1 POWERSHELL_UPDATECHECK=Off

status=0
"$pwsh" -NoProfile -NonInteractive -File "$here/run-pester.ps1" || status=$?
if [[ $status -eq 77 ]]; then
    skip "Pester 5 is not installed for this user: run scripts/bootstrap.sh"
fi
exit "$status"
