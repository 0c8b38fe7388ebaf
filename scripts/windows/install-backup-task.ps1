<#
.SYNOPSIS
Registers the scheduled ssoescrow jobs on the ENTSSO master secret server: a daily backup of the
master secret into the vault, with the escrow policy pinned, and a weekly freshness status.

.DESCRIPTION
Creates two Task Scheduler tasks in the folder -TaskPath (default \ssoescrow\):

  "ssoescrow backup"  daily at -BackupTime:
      ssoescrow.exe backup --vault VAULT
          --bridge "\"POWERSHELL\" -NoProfile -NonInteractive -ExecutionPolicy Bypass -File \"BRIDGE\""
          --expect-policy sha256:... --log-json LOG [--skip-on-passive-node] [--temp-dir DIR]
  "ssoescrow status"  weekly on -StatusDay at -StatusTime:
      cmd.exe /d /s /c ""ssoescrow.exe" status --vault VAULT --bridge "..." --format json > "REPORT""
      The JSON report is kept in -StatusReport; the task's "Last Run Result" is the status exit
      code (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN), so a monitoring system can read either.

Both run as -RunAsAccount, whether or not it is logged on, with highest privileges; a new
instance is not started while one runs; a run is stopped after -ExecutionTimeLimit; a start that
fails is retried 3 times, 10 minutes apart (Task Scheduler does not retry a run that started and
exited non-zero: a failed backup shows in "Last Run Result", in the log, and as a stale backup
in the status job); a start missed while the computer was off happens as soon as possible.

The escrow policy is always pinned: --expect-policy makes the backup refuse a vault whose
custodians or threshold were changed behind its back. Take the fingerprint from the output of
'ssoescrow vault init' (line "policy fingerprint: sha256:...") or from
'ssoescrow vault check --vault VAULT --json' (member "policy"), on a machine you trust, and
compare it with the one the custodians signed off.

The account: a group managed service account 'DOMAIN\name$' (recommended: no password to keep;
the task is registered with logon type Password and Windows fetches the gMSA password) or a
normal account, whose password is asked with Get-Credential (never give it on the command line).
Either way it must be a member of the local Administrators group and of the SSO Administrators
group, hold "Log on as a batch job", and be able to write the vault and the log. Test a gMSA
first with 'Test-ADServiceAccount name$'.

Quoting. Task Scheduler passes the arguments string unchanged to ssoescrow.exe, which splits it
with the Windows rules (CommandLineToArgvW): arguments with blanks are put in double quotes,
with backslashes doubled only before a double quote. The --bridge value is ONE such argument;
ssoescrow.exe then splits that value itself with the same Windows rules, so inside it the
PowerShell and script paths are Windows arguments too (double quotes around a path with blanks),
and the whole value is quoted once more as one argument. Hence paths may not contain a single
quote, a double quote or '%' (Task Scheduler expands %VARIABLES% in arguments); the script refuses them.

Before relying on the job, run it once by hand (Start-ScheduledTask) and check the log and
'ssoescrow vault list', and run the bridge conformance test (see sso-bridge.ps1).

.PARAMETER Vault
The vault folder (created by 'ssoescrow vault init'), local or UNC.

.PARAMETER ExpectPolicy
The escrow-policy fingerprint to pin, 'sha256:' and 64 lower-case hex digits. Mandatory.

.PARAMETER RunAsAccount
The account the tasks run as: 'DOMAIN\name$' for a gMSA, or 'DOMAIN\user'.

.PARAMETER Credential
The normal account's credential; asked with Get-Credential when omitted. Not used for a gMSA.

.PARAMETER SsoescrowPath
Full path of ssoescrow.exe. Default: %ProgramFiles%\ssoescrow\ssoescrow.exe.

.PARAMETER BridgeScript
Full path of sso-bridge.ps1. Default: sso-bridge.ps1 beside this script.

.PARAMETER LogJson
The backup job's log (--log-json: one JSON object per line, appended, schema ssoescrow-log/1).
Default: %ProgramData%\ssoescrow\backup-log.jsonl.

.PARAMETER SkipOnPassiveNode
For an SSO failover cluster: install the same tasks on every node that can own the SSO cluster
group; with this switch (--skip-on-passive-node) the node that owns the group takes the backup
and the others exit 0 without doing anything.

.PARAMETER TempDir
Where ssoescrow makes its private scratch folder for the .bak (--temp-dir); default the task
account's %TEMP%. It must be on a local NTFS disk (ENTSSO refuses other targets) that ENTSSO can
write for this account.

.PARAMETER StatusReport
Where the weekly status job writes its JSON report. Default: %ProgramData%\ssoescrow\status.json.

.PARAMETER BackupTime
Time of the daily backup, HH:mm (24 h, local time). Default 02:30.

.PARAMETER StatusDay
Day of the weekly status job. Default Monday.

.PARAMETER StatusTime
Time of the weekly status job, HH:mm. Default 06:00.

.PARAMETER ExecutionTimeLimit
A run still going after this is stopped. Default 1 hour.

.PARAMETER TaskPath
Task Scheduler folder of the two tasks. Default \ssoescrow\.

.PARAMETER Force
Replace tasks of the same names.

.EXAMPLE
.\install-backup-task.ps1 -Vault 'D:\SSO Escrow\vault' -RunAsAccount 'CONTOSO\svc-ssoescrow$' -ExpectPolicy sha256:3f0c...e1 -WhatIf
Shows what would be registered, for a gMSA, without changing anything.

.EXAMPLE
.\install-backup-task.ps1 -Vault \\escrow01\vaults\biztalk -RunAsAccount CONTOSO\ssoescrow-job -ExpectPolicy (ssoescrow vault check --vault \\escrow01\vaults\biztalk --json | ConvertFrom-Json).policy
A normal account: its password is asked with Get-Credential. Check the fingerprint printed by
vault check against the one recorded at 'vault init' before trusting it.

.EXAMPLE
.\install-backup-task.ps1 -Vault D:\Escrow -RunAsAccount 'CONTOSO\svc-ssoescrow$' -ExpectPolicy sha256:3f0c...e1 -BackupTime 01:15 -StatusDay Sunday -Force
Replaces existing tasks with new times.

.EXAMPLE
.\install-backup-task.ps1 -Vault \\escrow01\vaults\biztalk -RunAsAccount 'CONTOSO\svc-ssoescrow$' -ExpectPolicy sha256:3f0c...e1 -SkipOnPassiveNode
On each node of the SSO cluster group: only the node that owns the group takes the backup.

.NOTES
Run it elevated, on the master secret server. On a cluster run it on every node that can own the
SSO cluster group, with -SkipOnPassiveNode: the job follows the secret server. Exit code 0 when
the tasks were registered (or -WhatIf), 1 on any error.
#>
[CmdletBinding(SupportsShouldProcess = $true)]
param(
    [Parameter(Mandatory = $true)]
    [ValidateNotNullOrEmpty()]
    [string] $Vault,

    [Parameter(Mandatory = $true)]
    [ValidateScript({
            if ($_ -cmatch '^sha256:[0-9a-f]{64}$') { return $true }
            throw ('-ExpectPolicy must be "sha256:" and 64 lower-case hex digits, as printed by ' +
                "'ssoescrow vault init' or 'ssoescrow vault check --vault DIR --json' (policy)")
        })]
    [string] $ExpectPolicy,

    [Parameter(Mandatory = $true)]
    [ValidatePattern('^[^\\/\s]+\\[^\\/]+$')]
    [string] $RunAsAccount,

    [System.Management.Automation.PSCredential] $Credential = $null,

    [string] $SsoescrowPath = '',

    [string] $BridgeScript = '',

    [string] $LogJson = '',

    [string] $StatusReport = '',

    [switch] $SkipOnPassiveNode,

    [string] $TempDir = '',

    [ValidatePattern('^([01][0-9]|2[0-3]):[0-5][0-9]$')]
    [string] $BackupTime = '02:30',

    [System.DayOfWeek] $StatusDay = [System.DayOfWeek]::Monday,

    [ValidatePattern('^([01][0-9]|2[0-3]):[0-5][0-9]$')]
    [string] $StatusTime = '06:00',

    [ValidateScript({ $_ -ge (New-TimeSpan -Minutes 5) -and $_ -le (New-TimeSpan -Days 1) })]
    [TimeSpan] $ExecutionTimeLimit = (New-TimeSpan -Hours 1),

    [ValidatePattern('^\\([^\\]+\\)*$')]
    [string] $TaskPath = '\ssoescrow\',

    [switch] $Force
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$BackupTaskName = 'ssoescrow backup'
$StatusTaskName = 'ssoescrow status'

function Stop-Installer {
    param([string] $Message)
    Write-Error -Message "install-backup-task: $Message" -ErrorAction Continue
    exit 1
}

# One argument for a Windows command line, as CommandLineToArgvW and the C runtime read it: no
# quotes when there is no blank or double quote; otherwise in double quotes, with each run of
# backslashes doubled when a double quote (embedded or the closing one) follows it.
function ConvertTo-WindowsArgument {
    param([string] $Value)
    if ($Value -ne '' -and $Value -notmatch '[\s"]') { return $Value }
    $backslash = [char] 92
    $builder = New-Object System.Text.StringBuilder
    [void] $builder.Append('"')
    $backslashes = 0
    foreach ($character in $Value.ToCharArray()) {
        if ($character -eq $backslash) {
            $backslashes++
            continue
        }
        if ($character -eq '"') {
            [void] $builder.Append($backslash, 2 * $backslashes + 1)
        } elseif ($backslashes -gt 0) {
            [void] $builder.Append($backslash, $backslashes)
        }
        [void] $builder.Append($character)
        $backslashes = 0
    }
    if ($backslashes -gt 0) { [void] $builder.Append($backslash, 2 * $backslashes) }
    [void] $builder.Append('"')
    return $builder.ToString()
}

function Assert-PlainPath {
    param([string] $Name, [string] $Value)
    if ($Value.IndexOfAny([char[]] "'`"%") -ge 0) {
        Stop-Installer ("-$Name '$Value' contains a single quote, a double quote or '%', which " +
            'the task command line cannot carry safely: use a path without them')
    }
}

function Resolve-FullPath {
    param([string] $Path)
    return $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path)
}

# --- checks -------------------------------------------------------------------------------------

if ([Environment]::OSVersion.Platform -ne [PlatformID]::Win32NT) {
    Stop-Installer 'this script registers Windows Task Scheduler jobs: run it on Windows'
}
if ($null -eq (Get-Module -ListAvailable -Name 'ScheduledTasks')) {
    Stop-Installer ('the ScheduledTasks PowerShell module is missing (Windows Server 2012 or ' +
        'later has it): run this on the master secret server with Windows PowerShell 5.1')
}
Import-Module -Name 'ScheduledTasks' -Verbose:$false
$identity = [Security.Principal.WindowsIdentity]::GetCurrent()
$principal = New-Object Security.Principal.WindowsPrincipal -ArgumentList $identity
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator) -and
    -not $WhatIfPreference) {
    Stop-Installer 'run this script elevated (as administrator): tasks with highest privileges need it'
}

if ($SsoescrowPath -eq '') { $SsoescrowPath = Join-Path $env:ProgramFiles 'ssoescrow\ssoescrow.exe' }
if ($BridgeScript -eq '') { $BridgeScript = Join-Path $PSScriptRoot 'sso-bridge.ps1' }
$dataFolder = Join-Path $env:ProgramData 'ssoescrow'
if ($LogJson -eq '') { $LogJson = Join-Path $dataFolder 'backup-log.jsonl' }
if ($StatusReport -eq '') { $StatusReport = Join-Path $dataFolder 'status.json' }

$SsoescrowPath = Resolve-FullPath $SsoescrowPath
$BridgeScript = Resolve-FullPath $BridgeScript
$LogJson = Resolve-FullPath $LogJson
$StatusReport = Resolve-FullPath $StatusReport
# Relative vault paths would be resolved against the task's working folder: make it absolute.
if (-not $Vault.StartsWith('\\')) { $Vault = Resolve-FullPath $Vault }

Assert-PlainPath 'Vault' $Vault
Assert-PlainPath 'SsoescrowPath' $SsoescrowPath
Assert-PlainPath 'BridgeScript' $BridgeScript
Assert-PlainPath 'LogJson' $LogJson
Assert-PlainPath 'StatusReport' $StatusReport
if ($TempDir -ne '') {
    $TempDir = Resolve-FullPath $TempDir
    Assert-PlainPath 'TempDir' $TempDir
}

if (-not (Test-Path -LiteralPath $SsoescrowPath -PathType Leaf)) {
    Stop-Installer "$SsoescrowPath not found: install ssoescrow there or give -SsoescrowPath"
}
if (-not (Test-Path -LiteralPath $BridgeScript -PathType Leaf)) {
    Stop-Installer "$BridgeScript not found: give the path of sso-bridge.ps1 with -BridgeScript"
}
if (-not (Test-Path -LiteralPath $Vault -PathType Container)) {
    # The task account may reach a share that this session cannot: warn only.
    Write-Warning ("the vault $Vault cannot be seen from this session; make sure $RunAsAccount " +
        "can reach it (create it with 'ssoescrow vault init' first)")
}
foreach ($existing in @($BackupTaskName, $StatusTaskName)) {
    $task = Get-ScheduledTask -TaskPath $TaskPath -TaskName $existing -ErrorAction SilentlyContinue
    if ($null -ne $task -and -not $Force) {
        Stop-Installer "task $TaskPath$existing exists: use -Force to replace it"
    }
}

# --- the command lines --------------------------------------------------------------------------

$powershellExe = Join-Path $env:SystemRoot 'System32\WindowsPowerShell\v1.0\powershell.exe'
Assert-PlainPath 'SystemRoot' $powershellExe
# ssoescrow.exe splits the --bridge value with the Windows rules (CommandLineToArgvW), as it
# splits its own command line: each path is one Windows argument inside it.
$bridgeCommand = (ConvertTo-WindowsArgument $powershellExe) + ' -NoProfile -NonInteractive ' +
    '-ExecutionPolicy Bypass -File ' + (ConvertTo-WindowsArgument $BridgeScript)

$backupWords = @(
    'backup',
    '--vault', (ConvertTo-WindowsArgument $Vault),
    '--bridge', (ConvertTo-WindowsArgument $bridgeCommand),
    '--expect-policy', $ExpectPolicy,
    '--log-json', (ConvertTo-WindowsArgument $LogJson)
)
if ($SkipOnPassiveNode) { $backupWords += '--skip-on-passive-node' }
if ($TempDir -ne '') { $backupWords += @('--temp-dir', (ConvertTo-WindowsArgument $TempDir)) }
$backupArguments = $backupWords -join ' '

# cmd.exe /s /c "LINE" strips the outer quotes and runs LINE, whose redirection keeps the report;
# the exit code of cmd.exe is that of ssoescrow status.
$statusLine = @(
    (ConvertTo-WindowsArgument $SsoescrowPath), 'status',
    '--vault', (ConvertTo-WindowsArgument $Vault),
    '--bridge', (ConvertTo-WindowsArgument $bridgeCommand),
    '--format', 'json',
    '>', (ConvertTo-WindowsArgument $StatusReport)
) -join ' '
$statusArguments = '/d /s /c "' + $statusLine + '"'
$cmdExe = Join-Path $env:SystemRoot 'System32\cmd.exe'

$workingFolder = Split-Path -Parent $SsoescrowPath
$backupAction = New-ScheduledTaskAction -Execute $SsoescrowPath -Argument $backupArguments -WorkingDirectory $workingFolder
$statusAction = New-ScheduledTaskAction -Execute $cmdExe -Argument $statusArguments -WorkingDirectory $workingFolder

$culture = [Globalization.CultureInfo]::InvariantCulture
$backupTrigger = New-ScheduledTaskTrigger -Daily -At ([datetime]::ParseExact($BackupTime, 'HH:mm', $culture))
$statusTrigger = New-ScheduledTaskTrigger -Weekly -DaysOfWeek $StatusDay -At ([datetime]::ParseExact($StatusTime, 'HH:mm', $culture))

$settings = New-ScheduledTaskSettingsSet -MultipleInstances IgnoreNew `
    -ExecutionTimeLimit $ExecutionTimeLimit -RestartCount 3 `
    -RestartInterval (New-TimeSpan -Minutes 10) -StartWhenAvailable `
    -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries

# --- the account --------------------------------------------------------------------------------

$isGmsa = $RunAsAccount.EndsWith('$')
if ($isGmsa) {
    # A gMSA: logon type Password without a password; Windows retrieves the gMSA's password.
    $taskPrincipal = New-ScheduledTaskPrincipal -UserId $RunAsAccount -LogonType Password -RunLevel Highest
    if ($null -ne $Credential) {
        Write-Warning "-Credential is ignored: $RunAsAccount is a group managed service account"
    }
} else {
    $taskPrincipal = $null
    if ($null -eq $Credential -and -not $WhatIfPreference) {
        $Credential = Get-Credential -UserName $RunAsAccount -Message ('Password of the account ' +
            'the ssoescrow tasks run as (stored by Task Scheduler, never by this script)')
        if ($null -eq $Credential) {
            Stop-Installer 'no credential given'
        }
    }
    if ($null -ne $Credential -and -not [string]::Equals($Credential.UserName, $RunAsAccount,
            [StringComparison]::OrdinalIgnoreCase)) {
        Stop-Installer "the credential is for $($Credential.UserName), not for -RunAsAccount $RunAsAccount"
    }
}

function Register-SsoescrowTask {
    param([string] $Name, $Action, $Trigger, [string] $Description)
    $target = "$TaskPath$Name as $RunAsAccount"
    if (-not $PSCmdlet.ShouldProcess($target, 'Register scheduled task')) { return }
    $common = @{
        TaskName    = $Name
        TaskPath    = $TaskPath
        Action      = $Action
        Trigger     = $Trigger
        Settings    = $settings
        Description = $Description
        Force       = $true
    }
    if ($isGmsa) {
        [void] (Register-ScheduledTask @common -Principal $taskPrincipal)
        return
    }
    # Register-ScheduledTask takes the password only as a string; it goes straight to Task
    # Scheduler and the reference is dropped at once. Prefer a gMSA where PowerShell module
    # logging is enabled for ScheduledTasks.
    $common['User'] = $RunAsAccount
    $common['RunLevel'] = 'Highest'
    $common['Password'] = $Credential.GetNetworkCredential().Password
    try {
        [void] (Register-ScheduledTask @common)
    } catch {
        # The message comes from Task Scheduler (e.g. "The user name or password is incorrect"),
        # never holds the password.
        $reason = $_.Exception.Message
        $Error.Clear()
        Stop-Installer ("Task Scheduler refused to register $TaskPath${Name} ($reason): check " +
            'the account name and its password, and that the account may log on as a batch job')
    } finally {
        $common['Password'] = $null
    }
}

if (-not (Test-Path -LiteralPath $dataFolder -PathType Container) -and
    $PSCmdlet.ShouldProcess($dataFolder, 'Create folder for the log and the status report')) {
    [void] (New-Item -ItemType Directory -Path $dataFolder)
}

Register-SsoescrowTask $BackupTaskName $backupAction $backupTrigger ('Daily ENTSSO master secret ' +
    "backup into the ssoescrow vault $Vault (policy pinned to $ExpectPolicy)")
Register-SsoescrowTask $StatusTaskName $statusAction $statusTrigger ('Weekly ssoescrow freshness ' +
    "status of $Vault; Last Run Result 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN; report in $StatusReport")
$Credential = $null

Write-Host "install-backup-task: $TaskPath$BackupTaskName runs daily at ${BackupTime}:"
Write-Host "  $SsoescrowPath $backupArguments"
Write-Host "install-backup-task: $TaskPath$StatusTaskName runs every $StatusDay at ${StatusTime}:"
Write-Host "  $cmdExe $statusArguments"
Write-Host "Run the backup once now and check it: Start-ScheduledTask -TaskPath '$TaskPath' -TaskName '$BackupTaskName'"
exit 0
