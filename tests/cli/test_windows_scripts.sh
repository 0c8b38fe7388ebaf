#!/usr/bin/env bash
# The Windows scripts and the systemd units, checked without Windows or systemd:
#  - scripts/windows/*.ps1 and the shared .psm1 parse (tools/ps-syntax-check, tree-sitter PowerShell
#    grammar; PowerShell's own parser and the scripts' behaviour: tests/powershell, Pester);
#  - sso-bridge.ps1 hygiene: the protocol name, every operation mapped to its ENTSSO COM method,
#    stdin read as bytes, one compressed JSON line out, no transcript, no -Verbose (not an
#    advanced script), no password parameter, no output call or exception text that could carry
#    the password, the ENTSSO numbers it answers itself;
#  - install-backup-task.ps1: -ExpectPolicy mandatory and validated case-sensitively, no password
#    parameter, -WhatIf support, the task settings, the bridge and policy on the command line;
#  - the systemd units: the required keys, 'systemd-analyze verify' when it exists, and the
#    service's shell command run for real (paths redirected to a scratch folder, a stand-in
#    ssoescrow) for every status exit code, empty output and a crash.
# Exit 77 (skipped) only when everything else passed and ps-syntax-check cannot run (exit 2).
export SSOESCROW=${SSOESCROW:-/nonexistent/ssoescrow-not-needed}
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
: "${TESTS_DIR:?TESTS_DIR must name the tests directory}"

ROOT=$(cd "$TESTS_DIR/.." && pwd)
BRIDGE=$ROOT/scripts/windows/sso-bridge.ps1
INSTALL=$ROOT/scripts/windows/install-backup-task.ps1
MODULE=$ROOT/scripts/windows/ssoescrow-windows.psm1
SERVICE=$ROOT/scripts/systemd/ssoescrow-status.service
TIMER=$ROOT/scripts/systemd/ssoescrow-status.timer

check() {  # check DESCRIPTION CONDITION-COMMAND...
    local what=$1
    shift
    CHECKS=$((CHECKS + 1))
    "$@" || fail "$what"
}

# The code of a PowerShell script without comment-based help, block comments and line comments
# (the help text may name what the code must never do).
code_of() {
    perl -0777 -pe 's/<#.*?#>//gs; s/(^|[ \t])#[^\n]*//gm' "$1"
}
# The body of one function: from 'function NAME {' to the first line that is '}'. (awk reads
# to the end: an early exit would kill the writer with SIGPIPE, fatal under pipefail.)
function_of() {
    code_of "$1" | awk -v name="$2" '$0 ~ "^function " name " \\{" && !done {on = 1}
        on {print} on && /^}/ {on = 0; done = 1}'
}
has() { grep -Eq -- "$2" <<<"$1"; }
lacks() { ! grep -Eiq -- "$2" <<<"$1"; }

for f in "$BRIDGE" "$INSTALL" "$MODULE" "$SERVICE" "$TIMER" "$ROOT/scripts/systemd/README.md"; do
    check "$f is missing" test -s "$f"
done
((FAILURES == 0)) || { echo "$FAILURES failure(s)" >&2; exit 1; }

# --- 1. syntax ----------------------------------------------------------------------------------
syntax_skipped=0
checker=${SHARED_DIR:-}/tools/ps-syntax-check
if [[ -z ${SHARED_DIR:-} || ! -x $checker ]]; then
    echo "note: SHARED_DIR/tools/ps-syntax-check not found: syntax not checked"
    syntax_skipped=1
else
    # V8 would spend 10 to 40 s of CPU tiering the 1 MB grammar (WebAssembly) up to optimised
    # code; its baseline compiler alone parses both files in under a second. The tool runs
    # 'node' from PATH, so a wrapper first in PATH adds the flag (when this node knows it).
    real_node=$(command -v node || true)
    if [[ -n $real_node ]] && "$real_node" --liftoff-only -e 0 2>/dev/null; then
        mkdir -p "$WORK/bin"
        printf '#!/bin/sh\nexec %q --liftoff-only "$@"\n' "$real_node" >"$WORK/bin/node"
        chmod +x "$WORK/bin/node"
    fi
    status=0
    PATH=$WORK/bin:$PATH "$checker" "$BRIDGE" "$INSTALL" "$MODULE" "$ROOT/scripts/windows/collect-topology.ps1" >"$WORK/syntax" 2>&1 || status=$?
    CHECKS=$((CHECKS + 1))
    case $status in
        0) ;;
        2)
            echo "note: ps-syntax-check cannot run here: $(cat "$WORK/syntax")"
            syntax_skipped=1
            ;;
        *) fail "PowerShell syntax errors: $(cat "$WORK/syntax")" ;;
    esac
fi

# --- 2. sso-bridge.ps1 --------------------------------------------------------------------------
bridge=$(code_of "$BRIDGE")
# What the bridge shares with the collector (COM calls, secret server, cluster) is in the module.
bridge_all=$bridge$'\n'$(code_of "$MODULE")
check "bridge: imports the shared module" has "$bridge" "Import-Module -Name \(Join-Path \\\$PSScriptRoot 'ssoescrow-windows.psm1'\)"
check "bridge: protocol name" has "$bridge" "'ssoescrow-bridge/1'"
check "bridge: operation list" has "$bridge" \
    "\\\$Operations = @\('status', 'backup', 'restore', 'generate', 'reminder'\)"
for method in BackupSecret GenerateSecret RestoreSecret GetFilePasswordReminder GetGlobalInfo; do
    check "bridge: COM method $method not called" has "$bridge_all" "'$method'"
done
check "bridge: status dispatch" has "$bridge" "'status' \{ \\\$response = Invoke-Status"
check "bridge: reminder dispatch" has "$bridge" "'reminder' \{ \\\$response = Invoke-Reminder"
check "bridge: restore/backup/generate dispatch" has "$bridge" \
    "default \{ \\\$response = Invoke-SecretOperation \\\$assembly \\\$Operation"
check "bridge: generate maps to GenerateSecret" has "$bridge" "\\\$method = 'GenerateSecret'"
check "bridge: restore maps to RestoreSecret" has "$bridge" "\\\$method = 'RestoreSecret'"
check "bridge: protocol name compared case-sensitively" has "$bridge" '\$protocolName -cne \$Protocol'
check "bridge: stdout carries only the response (no host output)" lacks "$bridge" \
    'Write-(Host|Output|Information|Progress|Warning)|Out-Host|Out-Default|Write-Error'
for pref in Progress Warning Information Verbose Debug; do
    check "bridge: \$${pref}Preference silenced (the host prints it on stdout)" has "$bridge" \
        "^\\\$${pref}Preference = 'SilentlyContinue'"
done
check "bridge: operation is the only argument" has "$bridge" "\\\$Extra.Count -gt 0"
check "bridge: main gets the extra arguments" has "$bridge" "Invoke-Bridge \\\$Operation \\\$args"
check "bridge: strict mode" has "$bridge" "^Set-StrictMode -Version Latest"
check "bridge: stop on errors" has "$bridge" "^\\\$ErrorActionPreference = 'Stop'"
check "bridge: stdin read as bytes (not with the console code page)" has "$bridge" \
    "\[Console\]::OpenStandardInput\(\)"
check "bridge: strict UTF-8 decoding" has "$bridge" "UTF8Encoding -ArgumentList \\\$false, \\\$true"
check "bridge: no [Console]::In" lacks "$bridge" "\[Console\]::In\b"
check "bridge: one compressed JSON line" has "$bridge" "ConvertTo-Json -InputObject \\\$Response -Compress -Depth 5"
check "bridge: ConvertTo-Json only for the response" lacks \
    "$(grep -i 'ConvertTo-Json' <<<"$bridge")" 'request|password'
check "bridge: no Start-Transcript" lacks "$bridge" 'Start-Transcript'
check "bridge: no Set-PSDebug" lacks "$bridge" 'Set-PSDebug'
check "bridge: not an advanced script (no -Verbose/-Debug)" lacks "$bridge" 'CmdletBinding|\[Parameter\('
check "bridge: no Write-Verbose/Write-Debug/Write-Information" lacks "$bridge" \
    'Write-(Verbose|Debug|Information)'
param_block=$(awk '/^param\(/ {on = 1} on {print} on && /^\)/ {exit}' <<<"$bridge")
check "bridge: param block found" has "$param_block" 'Operation'
check "bridge: no password parameter" lacks "$param_block" 'password|secure'
output_calls='Write-(Host|Output|Error|Warning|Verbose|Debug|Information)|Out-File|Out-String|Add-Content|Set-Content|Tee-Object|Write-EventLog|New-EventLog|WriteLine|Write-Diagnostic|Stop-Bridge|New-ErrorResponse|Get-EntssoMessage'
leaks=$(grep -Ei -- "$output_calls" <<<"$bridge" | grep -Ei -- "\\\$[a-z_]*password|\[[\"']password[\"']\]|\.password\b" || true)
check "bridge: an output call mentions a password variable: $leaks" test -z "$leaks"
check "bridge: the password is only validated, never fetched as text" lacks \
    "$(grep -E 'Get-RequestText' <<<"$bridge")" "'password'"
check "bridge: the request is never echoed" lacks "$(grep -Ei -- "$output_calls" <<<"$bridge")" \
    '\$request\b|\$text\b|\$buffer\b'
for fn in Invoke-SecretOperation Invoke-Reminder Invoke-InterfaceMethod ConvertFrom-RequestBytes \
    ConvertFrom-JsonWithSystemTextJson ConvertFrom-JsonWithSerializer Invoke-SsoComMethod; do
    file=$BRIDGE
    [[ $fn == Invoke-SsoComMethod ]] && file=$MODULE
    body=$(function_of "$file" "$fn")
    check "bridge: function $fn not found" test -n "$body"
    check "bridge: $fn uses exception text (it may hold the password)" lacks "$body" 'Exception\.Message|\$_\b[^.]|ToString\(\)'
done
check "bridge: unexpected errors hide the exception text while the password is held" has \
    "$bridge" 'if \(\$script:HoldsPassword\) \{'
check "bridge: password reference cleared after the COM call" has "$bridge" \
    "\\\$Request\['password'\] = \\\$null"
check "bridge: COM arguments cleared" has "$bridge" '\[Array\]::Clear\(\$arguments, 0, \$arguments.Length\)'
check "bridge: \$Error cleared" has "$bridge" '\$Error.Clear\(\)'
for code in 10564 10766 10779 10784 10815 10836 10839 10840; do
    check "bridge: ENTSSO code $code" has "$bridge" "= $code\$"
done
check "bridge: password length rules in UTF-16 units" has "$bridge" \
    'if \(\$PasswordLength -lt 7\) \{ return \$CodePasswordShort \}'
check "bridge: HRESULT 0xC000xxxx mapped to its low 16 bits" has "$bridge" \
    '\(\$unsigned -shr 16\) -eq 0xC000'
check "bridge: 64-bit Common Files folder" has "$bridge_all" 'CommonProgramW6432'
check "bridge: interop assembly" has "$bridge_all" 'Microsoft.EnterpriseSingleSignOn.Interop'
check "bridge: elevation checked" has "$bridge" 'WindowsBuiltInRole\]::Administrator'
check "bridge: environment failures exit non-zero" has "$bridge" '^\$ExitEnvironment = 3$'
check "bridge: MSIDs normalised to {GUID} upper-case" has "$bridge" \
    "'\{' \+ \\\$guid.ToString\(\).ToUpperInvariant\(\) \+ '\}'"
for field in computer secret_server is_secret_server current_msid previous_msid service_state cluster; do
    check "bridge: status field $field" has "$bridge" "\\\$response\['$field'\] ="
done
for field in name node group owner_node possible_owners resource_state; do
    check "bridge: cluster field $field" has "$bridge_all" "\\\$info\['$field'\] ="
done
for state in online offline; do
    check "bridge: resource_state $state" has "$bridge_all" "return '$state'"
done
help=$(perl -0777 -ne 'print $1 if /<#(.*?)#>/s' "$BRIDGE")
for topic in 'SSO Administrators' 'bridge check' '-Verbose' 'Start-Transcript' 'master secret server'; do
    check "bridge help: mentions $topic" grep -Fq -- "$topic" <<<"$help"
done

# --- 3. install-backup-task.ps1 -----------------------------------------------------------------
install=$(code_of "$INSTALL")
install_params=$(awk '/^param\(/ {on = 1} on {print} on && /^\)/ {exit}' <<<"$install")
expect_block=$(grep -B8 -E '^\s*\[string\] \$ExpectPolicy,' <<<"$install_params" || true)
check "install: -ExpectPolicy parameter" test -n "$expect_block"
check "install: -ExpectPolicy mandatory" has "$(grep -E 'Parameter\(|ExpectPolicy' <<<"$expect_block" | tail -3 | head -1)" \
    'Mandatory = \$true'
check "install: -ExpectPolicy validated case-sensitively" has "$expect_block" \
    "-cmatch '\^sha256:\[0-9a-f\]\{64\}\\$'"
check "install: no password parameter" lacks "$install_params" '\$password|SecureString'
check "install: no plain-text SecureString" lacks "$install" 'ConvertTo-SecureString'
check "install: no transcript" lacks "$install" 'Start-Transcript'
check "install: no output of a password" test -z \
    "$(grep -Ei 'Write-|Stop-Installer|Out-File|Add-Content|Set-Content' <<<"$install" | grep -Ei '\$[a-z_]*password|\.password\b|\$credential([^.a-z]|$|\.Get)' || true)"
check "install: -WhatIf support" has "$install" 'CmdletBinding\(SupportsShouldProcess = \$true\)'
check "install: ShouldProcess before registering" has "$install" 'ShouldProcess\("\$TaskPath'
check "install: strict mode" has "$install" '^Set-StrictMode -Version Latest'
check "install: Register-ScheduledTask" has "$install" 'Register-ScheduledTask'
check "install: no second instance" has "$install" '-MultipleInstances IgnoreNew'
check "install: execution time limit" has "$install" '-ExecutionTimeLimit \$ExecutionTimeLimit'
check "install: restarts" has "$install" '-RestartCount 3'
check "install: highest privileges" has "$install" "RunLevel (Highest|'Highest')"
check "install: gMSA with logon type Password" has "$install" '-LogonType Password'
check "install: credential asked, not passed" has "$install" 'Get-Credential'
check "install: daily backup trigger" has "$install" 'New-ScheduledTaskTrigger -Daily'
check "install: weekly status trigger" has "$install" 'New-ScheduledTaskTrigger -Weekly'
check "install: backup command" has "$install" "'backup',"
check "install: policy pinned" has "$install" "'--expect-policy', \\\$Settings.ExpectPolicy"
check "install: JSON log" has "$install" "'--log-json'"
check "install: cluster nodes skip when passive" has "$install" "'--skip-on-passive-node'"
check "install: bridge command" has "$install" \
    "' -NoProfile -NonInteractive ' \+\s*$|-NoProfile -NonInteractive"
check "install: bridge via -File and -ExecutionPolicy Bypass" has "$install" "'-ExecutionPolicy Bypass -File '"
check "install: status as JSON" has "$install" "'--format', 'json'"
check "install: status report written by ssoescrow" has "$install" "'--output'"
check "install: explicit state directory" has "$install" "'--state-dir'"
check "install: no cmd.exe" lacks "$install" 'cmd\.exe|\$cmdExe'
check "install: folders get explicit access lists" has "$install" 'SetAccessRuleProtection\(\$true, \$false\)'
check "install: Windows argument quoting" has "$install" 'function ConvertTo-WindowsArgument'
check "install: Windows quoting inside --bridge" has "$install" \
    'bridgeCommand = \(ConvertTo-WindowsArgument \$Settings.PowershellExe\)'
check "install: no POSIX quoting left inside --bridge" lacks "$install" 'ConvertTo-PosixWord'
check "install: unsafe characters refused" has "$install" "IndexOfAny\(\[char\[\]\] \"'\`\"%\"\)"

# --- 4. systemd units ---------------------------------------------------------------------------
for key in 'Type=oneshot' 'SuccessExitStatus=1 2' 'UMask=0077' 'LimitCORE=0' 'ProtectSystem=strict' \
    'PrivateTmp=yes' 'NoNewPrivileges=yes' 'MemoryDenyWriteExecute=yes' \
    'RestrictAddressFamilies=AF_UNIX' 'StateDirectory=ssoescrow' 'ReadOnlyPaths=/srv/ssoescrow/vault' \
    'ReadWritePaths=/var/lib/prometheus/node-exporter' 'CapabilityBoundingSet=' 'ProtectHome=yes'; do
    check "service: $key" grep -qx -- "$key" "$SERVICE"
done
check "service: no DynamicUser with a 0700 vault (User= must own it)" grep -q '^User=' "$SERVICE"
for key in 'OnCalendar=\*:0/15' 'Persistent=true' 'RandomizedDelaySec=.+' 'WantedBy=timers.target'; do
    check "timer: $key" grep -Eqx -- "$key" "$TIMER"
done
if command -v systemd-analyze >/dev/null; then
    cp "$SERVICE" "$TIMER" "$WORK/"
    status=0
    (cd "$WORK" && systemd-analyze verify ./ssoescrow-status.service ./ssoescrow-status.timer) >"$WORK/verify" 2>&1 || status=$?
    check "systemd-analyze verify failed (exit $status): $(cat "$WORK/verify")" test "$status" -eq 0
    check "systemd-analyze verify warned: $(cat "$WORK/verify")" test ! -s "$WORK/verify"
else
    echo "note: systemd-analyze not installed: units not verified"
fi

# The ExecStart= command as systemd hands it to /bin/sh: continuation lines joined, '$$' -> '$'.
script=$(perl -0777 -ne 's/\\\n/ /g; print $1 if /^ExecStart=\/bin\/sh -c \x27(.*?)\x27$/m' "$SERVICE" | sed 's/\$\$/$/g')
check "service: ExecStart=/bin/sh -c '...' not found" test -n "$script"
textdir=$WORK/textfile
vault=$WORK/vault
state=$WORK/state
mkdir -p "$textdir" "$vault" "$state"
fake=$WORK/fake-ssoescrow
cat >"$fake" <<'EOF'
#!/bin/sh
# Stands in for ssoescrow: records its arguments, prints metrics unless FAKE_EMPTY, exits FAKE_RC.
printf '%s\n' "$@" >"$FAKE_ARGS"
[ -n "${FAKE_EMPTY:-}" ] || printf 'ssoescrow_status %s\n' "$FAKE_RC"
[ -z "${FAKE_CRASH:-}" ] || kill -SEGV $$
exit "$FAKE_RC"
EOF
chmod +x "$fake"
for path in /var/lib/prometheus/node-exporter /srv/ssoescrow/vault /usr/local/bin/ssoescrow; do
    check "service: ExecStart does not use $path" grep -Fq -- "$path" <<<"$script"
done
script=${script//\/var\/lib\/prometheus\/node-exporter/$textdir}
script=${script//\/srv\/ssoescrow\/vault/$vault}
script=${script//\/usr\/local\/bin\/ssoescrow/$fake}
prom=$textdir/ssoescrow.prom

# unit_run RC [VAR=VALUE...]: runs the command as systemd would (UMask=0077, STATE_DIRECTORY);
# leaves its exit status in $unit_status.
unit_run() {
    local rc=$1
    shift
    unit_status=0
    (umask 077 && env STATE_DIRECTORY="$state" FAKE_ARGS="$WORK/args" FAKE_RC="$rc" "$@" \
        /bin/sh -c "$script") >"$WORK/unit-out" 2>&1 || unit_status=$?
}
no_temp_left() { [[ -z $(find "$textdir" -name '.ssoescrow.prom.*') ]]; }

for rc in 0 1 2 3; do
    rm -f "$prom"
    unit_run "$rc"
    check "service: status exit $rc: unit exit $unit_status, expected $rc" test "$unit_status" -eq "$rc"
    check "service: status exit $rc: metrics not published" grep -qx "ssoescrow_status $rc" "$prom"
    check "service: status exit $rc: published file not 0644" test "$(stat -c %a "$prom" 2>/dev/null)" = 644
    check "service: status exit $rc: temp file left" no_temp_left
done
check "service: arguments given to ssoescrow" test "$(tr '\n' ' ' <"$WORK/args")" = \
    "status --vault $vault --state-dir $state --format prometheus "
echo 'ssoescrow_status 0' >"$prom"
unit_run 0 FAKE_EMPTY=1
check "service: empty output: unit exit $unit_status, expected 3" test "$unit_status" -eq 3
check "service: empty output replaced the previous metrics" grep -qx 'ssoescrow_status 0' "$prom"
check "service: empty output: temp file left" no_temp_left
unit_run 3 FAKE_EMPTY=1
check "service: exit 3 without output: unit exit $unit_status, expected 3" test "$unit_status" -eq 3
check "service: exit 3 without output replaced the previous metrics" grep -qx 'ssoescrow_status 0' "$prom"
unit_run 0 FAKE_CRASH=1
check "service: crash: unit exit $unit_status, expected 139" test "$unit_status" -eq 139
check "service: crash replaced the previous metrics" grep -qx 'ssoescrow_status 0' "$prom"
check "service: crash: temp file left" no_temp_left
chmod 0555 "$textdir"
if ! (: >"$textdir/probe") 2>/dev/null; then
    unit_run 0
    check "service: unwritable textfile directory: unit exit $unit_status, expected 3" test "$unit_status" -eq 3
    check "service: unwritable textfile directory changed the metrics" grep -qx 'ssoescrow_status 0' "$prom"
else
    rm -f "$textdir/probe"  # running as root: permissions do not apply
fi
chmod 0755 "$textdir"

echo "$CHECKS checks, $FAILURES failure(s)"
((FAILURES == 0)) || exit 1
if ((syntax_skipped)); then
    echo "every other check passed; PowerShell syntax not checked: skipped"
    exit 77
fi
exit 0
