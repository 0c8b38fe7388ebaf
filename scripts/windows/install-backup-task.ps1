<#
.SYNOPSIS
Registers the scheduled ssoescrow jobs on the ENTSSO master secret server: a daily backup of the
master secret into the vault, with the escrow policy pinned, and a weekly freshness status.

.DESCRIPTION
Creates two Task Scheduler tasks in the folder -TaskPath (default \ssoescrow\):

  "ssoescrow backup"  daily at -BackupTime:
      ssoescrow.exe backup --vault VAULT
          --bridge "\"POWERSHELL\" -NoProfile -NonInteractive -ExecutionPolicy Bypass -File \"BRIDGE\""
          --expect-policy sha256:... --log-json LOG --state-dir STATE --temp-dir SCRATCH
          [--skip-on-passive-node --wait 900]
  "ssoescrow status"  weekly on -StatusDay at -StatusTime:
      ssoescrow.exe status --vault VAULT --bridge "..." --format json --state-dir STATE
          --output REPORT
      ssoescrow writes the JSON report itself, atomically, into -StatusReport (no cmd.exe: a
      shell would misread '&' or '%' in a path such as D:\R&D\vault); the task's "Last Run
      Result" is the status exit code (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN), so a monitoring
      system can read either.

Folders, each with an explicit access list that replaces the inherited one:
  %ProgramData%\ssoescrow          Administrators, SYSTEM and the task account (the log, the
                                   report and STATE = %ProgramData%\ssoescrow\state inherit it);
  SCRATCH (-TempDir, default %ProgramData%\ssoescrow\scratch)
                                   only the task account and the ENTSSO service account: the
                                   .bak is written there, by one of them (README, "Which identity
                                   writes the .bak"), and nobody else may read it.

Job results: ssoescrow.exe writes every backup and every status that is not OK to the
Application event log, source "ssoescrow" (README "System log": event IDs and levels). The MSI
registers that source; this script registers it when it is missing (the .NET message file,
as New-EventLog does).

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

Before relying on the job, run 'ssoescrow.exe bridge check --bridge ...' once (see
sso-bridge.ps1), then run the job once by hand (Start-ScheduledTask) and check the log and
'ssoescrow vault list'.

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
and the others exit 0 without doing anything. They ask the bridge before taking the vault lock,
and every node waits up to 15 minutes for the lock (--wait 900) rather than failing.

.PARAMETER TempDir
Where ssoescrow makes its private scratch folder for the .bak (--temp-dir). Default
%ProgramData%\ssoescrow\scratch. It must be on a local NTFS disk (ENTSSO refuses other targets);
its access list is replaced: only the task account and the ENTSSO service account.

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
$EventSource = 'ssoescrow'

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

# --- what touches Windows (each mocked by the tests) ------------------------------------------

function Test-WindowsPlatform {
    return ([Environment]::OSVersion.Platform -eq [PlatformID]::Win32NT)
}

function Import-ScheduledTasksModule {
    if ($null -eq (Get-Module -ListAvailable -Name 'ScheduledTasks')) { return $false }
    Import-Module -Name 'ScheduledTasks' -Verbose:$false
    return $true
}

function Test-Elevated {
    $identity = [Security.Principal.WindowsIdentity]::GetCurrent()
    $principal = New-Object Security.Principal.WindowsPrincipal -ArgumentList $identity
    return $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)
}

function Test-ExistingTask {
    param([string] $Path, [string] $Name)
    return ($null -ne (Get-ScheduledTask -TaskPath $Path -TaskName $Name -ErrorAction SilentlyContinue))
}

# The account the ENTSSO service runs as ('NT AUTHORITY\SYSTEM' for LocalSystem), or '' when the
# service is not installed here.
function Get-EntssoServiceAccount {
    $service = Get-CimInstance -ClassName 'Win32_Service' -Filter "Name='ENTSSO'" -ErrorAction SilentlyContinue
    if ($null -eq $service) { return '' }
    $account = [string] $service.StartName
    if ($account -eq 'LocalSystem') { return 'NT AUTHORITY\SYSTEM' }
    return $account
}

# Creates Path when missing and gives it exactly the access Entries name: each entry an identity
# with full control, inherited by everything created inside; inherited entries of the parent
# are removed (a protected DACL), so nobody else has access.
function Set-DirectoryAcl {
    param([string] $Path, [string[]] $Identities)
    if (-not (Test-Path -LiteralPath $Path -PathType Container)) {
        [void] (New-Item -ItemType Directory -Path $Path)
    }
    $acl = New-Object System.Security.AccessControl.DirectorySecurity
    $acl.SetAccessRuleProtection($true, $false)
    $inherit = [System.Security.AccessControl.InheritanceFlags] 'ContainerInherit, ObjectInherit'
    foreach ($identity in $Identities) {
        $rule = New-Object System.Security.AccessControl.FileSystemAccessRule -ArgumentList @(
            $identity, [System.Security.AccessControl.FileSystemRights]::FullControl, $inherit,
            [System.Security.AccessControl.PropagationFlags]::None,
            [System.Security.AccessControl.AccessControlType]::Allow)
        $acl.AddAccessRule($rule)
    }
    Set-Acl -LiteralPath $Path -AclObject $acl
}

# Whether the Application event log knows the source ssoescrow.exe writes its job results under.
function Test-EventSource {
    param([string] $Source)
    return [System.Diagnostics.EventLog]::SourceExists($Source)
}

# Registers the source in the Application log with .NET's message file (EventLogMessages.dll,
# whose every message is "%1"), so an event shows the text ssoescrow.exe wrote.
function Register-EventSource {
    param([string] $Source)
    [System.Diagnostics.EventLog]::CreateEventSource($Source, 'Application')
}

# Registers one task from a plan entry (Execute, Arguments, WorkingDirectory, Trigger).
function Register-TaskDefinition {
    param($Task, [string] $TaskPath, [TimeSpan] $ExecutionTimeLimit, [string] $RunAsAccount,
        [bool] $IsGmsa, $Credential)
    $action = New-ScheduledTaskAction -Execute $Task.Execute -Argument $Task.Arguments `
        -WorkingDirectory $Task.WorkingDirectory
    $culture = [Globalization.CultureInfo]::InvariantCulture
    $at = [datetime]::ParseExact($Task.Time, 'HH:mm', $culture)
    if ($Task.Schedule -eq 'Daily') {
        $trigger = New-ScheduledTaskTrigger -Daily -At $at
    } else {
        $trigger = New-ScheduledTaskTrigger -Weekly -DaysOfWeek $Task.Day -At $at
    }
    $settings = New-ScheduledTaskSettingsSet -MultipleInstances IgnoreNew `
        -ExecutionTimeLimit $ExecutionTimeLimit -RestartCount 3 `
        -RestartInterval (New-TimeSpan -Minutes 10) -StartWhenAvailable `
        -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries
    $common = @{
        TaskName    = $Task.Name
        TaskPath    = $TaskPath
        Action      = $action
        Trigger     = $trigger
        Settings    = $settings
        Description = $Task.Description
        Force       = $true
    }
    if ($IsGmsa) {
        # A gMSA: logon type Password without a password; Windows retrieves the gMSA's password.
        $principal = New-ScheduledTaskPrincipal -UserId $RunAsAccount -LogonType Password -RunLevel Highest
        [void] (Register-ScheduledTask @common -Principal $principal)
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
        Stop-Installer ("Task Scheduler refused to register $TaskPath$($Task.Name) ($reason): " +
            'check the account name and its password, and that the account may log on as a batch job')
    } finally {
        $common['Password'] = $null
    }
}

# --- the plan -----------------------------------------------------------------------------------

# Everything the installer will do, from resolved settings, without touching Windows: the two
# tasks (program, arguments) and the folders with their access lists. Settings: Vault,
# SsoescrowPath, BridgeScript, PowershellExe, LogJson, StatusReport, DataFolder, StateDir, TempDir,
# ExpectPolicy, RunAsAccount, EntssoAccount, SkipOnPassiveNode, BackupTime, StatusDay, StatusTime.
function Get-TaskPlan {
    param([hashtable] $Settings)
    # ssoescrow.exe splits the --bridge value with the Windows rules (CommandLineToArgvW), as it
    # splits its own command line: each path is one Windows argument inside it.
    $bridgeCommand = (ConvertTo-WindowsArgument $Settings.PowershellExe) + ' -NoProfile -NonInteractive ' +
        '-ExecutionPolicy Bypass -File ' + (ConvertTo-WindowsArgument $Settings.BridgeScript)

    $backupWords = @(
        'backup',
        '--vault', (ConvertTo-WindowsArgument $Settings.Vault),
        '--bridge', (ConvertTo-WindowsArgument $bridgeCommand),
        '--expect-policy', $Settings.ExpectPolicy,
        '--log-json', (ConvertTo-WindowsArgument $Settings.LogJson),
        '--state-dir', (ConvertTo-WindowsArgument $Settings.StateDir),
        '--temp-dir', (ConvertTo-WindowsArgument $Settings.TempDir)
    )
    if ($Settings.SkipOnPassiveNode) {
        # Every node starts at the same minute: the passive ones ask the bridge and skip before
        # the vault lock, and --wait lets a backup started by hand meanwhile finish first.
        $backupWords += @('--skip-on-passive-node', '--wait', '900')
    }

    # ssoescrow.exe itself, no cmd.exe: a shell would reinterpret '&', '^' or '%' in a path
    # (D:\R&D\vault); the report is written by ssoescrow, atomically (--output).
    $statusWords = @(
        'status',
        '--vault', (ConvertTo-WindowsArgument $Settings.Vault),
        '--bridge', (ConvertTo-WindowsArgument $bridgeCommand),
        '--format', 'json',
        '--state-dir', (ConvertTo-WindowsArgument $Settings.StateDir),
        '--output', (ConvertTo-WindowsArgument $Settings.StatusReport)
    )

    $workingFolder = Split-Path -Parent $Settings.SsoescrowPath
    # The .bak is written by the ENTSSO service or by the task's account (README: "Which identity
    # writes the .bak"): the scratch folder admits exactly those, nobody else.
    $scratchIdentities = New-Object 'System.Collections.Generic.List[string]'
    $scratchIdentities.Add($Settings.RunAsAccount)
    if ($Settings.EntssoAccount -ne '' -and -not [string]::Equals($Settings.EntssoAccount,
            $Settings.RunAsAccount, [StringComparison]::OrdinalIgnoreCase)) {
        $scratchIdentities.Add($Settings.EntssoAccount)
    }
    $dataIdentities = @('BUILTIN\Administrators', 'NT AUTHORITY\SYSTEM', $Settings.RunAsAccount)
    return [pscustomobject] @{
        BridgeCommand = $bridgeCommand
        Backup        = [pscustomobject] @{
            Name             = $BackupTaskName
            Execute          = $Settings.SsoescrowPath
            Arguments        = $backupWords -join ' '
            WorkingDirectory = $workingFolder
            Schedule         = 'Daily'
            Day              = $null
            Time             = $Settings.BackupTime
            Description      = ('Daily ENTSSO master secret backup into the ssoescrow vault ' +
                "$($Settings.Vault) (policy pinned to $($Settings.ExpectPolicy))")
        }
        Status        = [pscustomobject] @{
            Name             = $StatusTaskName
            Execute          = $Settings.SsoescrowPath
            Arguments        = $statusWords -join ' '
            WorkingDirectory = $workingFolder
            Schedule         = 'Weekly'
            Day              = $Settings.StatusDay
            Time             = $Settings.StatusTime
            Description      = ("Weekly ssoescrow freshness status of $($Settings.Vault); Last Run " +
                "Result 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN; report in $($Settings.StatusReport)")
        }
        Folders       = @(
            [pscustomobject] @{ Path = $Settings.DataFolder; Identities = [string[]] $dataIdentities },
            [pscustomobject] @{ Path = $Settings.TempDir; Identities = [string[]] $scratchIdentities.ToArray() }
        )
    }
}

# --- main ---------------------------------------------------------------------------------------

function Install-BackupTask {
    # Its own ShouldProcess: -WhatIf given to the script reaches it as $WhatIfPreference.
    [CmdletBinding(SupportsShouldProcess = $true)]
    param()
    if (-not (Test-WindowsPlatform)) {
        Stop-Installer 'this script registers Windows Task Scheduler jobs: run it on Windows'
    }
    if (-not (Import-ScheduledTasksModule)) {
        Stop-Installer ('the ScheduledTasks PowerShell module is missing (Windows Server 2012 or ' +
            'later has it): run this on the master secret server with Windows PowerShell 5.1')
    }
    if (-not (Test-Elevated) -and -not $WhatIfPreference) {
        Stop-Installer 'run this script elevated (as administrator): tasks with highest privileges need it'
    }

    $dataFolder = Join-Path $env:ProgramData 'ssoescrow'
    $settings = @{
        SsoescrowPath     = $SsoescrowPath
        BridgeScript      = $BridgeScript
        LogJson           = $LogJson
        StatusReport      = $StatusReport
        TempDir           = $TempDir
        DataFolder        = $dataFolder
        StateDir          = Join-Path $dataFolder 'state'
        Vault             = $Vault
        ExpectPolicy      = $ExpectPolicy
        RunAsAccount      = $RunAsAccount
        SkipOnPassiveNode = [bool] $SkipOnPassiveNode
        BackupTime        = $BackupTime
        StatusDay         = $StatusDay
        StatusTime        = $StatusTime
        PowershellExe     = Join-Path $env:SystemRoot 'System32\WindowsPowerShell\v1.0\powershell.exe'
    }
    if ($settings.SsoescrowPath -eq '') { $settings.SsoescrowPath = Join-Path $env:ProgramFiles 'ssoescrow\ssoescrow.exe' }
    if ($settings.BridgeScript -eq '') { $settings.BridgeScript = Join-Path $PSScriptRoot 'sso-bridge.ps1' }
    if ($settings.LogJson -eq '') { $settings.LogJson = Join-Path $dataFolder 'backup-log.jsonl' }
    if ($settings.StatusReport -eq '') { $settings.StatusReport = Join-Path $dataFolder 'status.json' }
    if ($settings.TempDir -eq '') { $settings.TempDir = Join-Path $dataFolder 'scratch' }
    foreach ($key in @('SsoescrowPath', 'BridgeScript', 'LogJson', 'StatusReport', 'TempDir')) {
        $settings[$key] = Resolve-FullPath $settings[$key]
    }
    # Relative vault paths would be resolved against the task's working folder: make it absolute.
    if (-not $settings.Vault.StartsWith('\\')) { $settings.Vault = Resolve-FullPath $settings.Vault }
    foreach ($key in @('Vault', 'SsoescrowPath', 'BridgeScript', 'LogJson', 'StatusReport', 'TempDir', 'PowershellExe')) {
        Assert-PlainPath $key $settings[$key]
    }

    if (-not (Test-Path -LiteralPath $settings.SsoescrowPath -PathType Leaf)) {
        Stop-Installer "$($settings.SsoescrowPath) not found: install ssoescrow there or give -SsoescrowPath"
    }
    if (-not (Test-Path -LiteralPath $settings.BridgeScript -PathType Leaf)) {
        Stop-Installer "$($settings.BridgeScript) not found: give the path of sso-bridge.ps1 with -BridgeScript"
    }
    if (-not (Test-Path -LiteralPath $settings.Vault -PathType Container)) {
        # The task account may reach a share that this session cannot: warn only.
        Write-Warning ("the vault $($settings.Vault) cannot be seen from this session; make sure " +
            "$RunAsAccount can reach it (create it with 'ssoescrow vault init' first)")
    }
    foreach ($existing in @($BackupTaskName, $StatusTaskName)) {
        if ((Test-ExistingTask $TaskPath $existing) -and -not $Force) {
            Stop-Installer "task $TaskPath$existing exists: use -Force to replace it"
        }
    }
    $settings.EntssoAccount = Get-EntssoServiceAccount
    if ($settings.EntssoAccount -eq '') {
        Write-Warning ('the ENTSSO service is not installed here, so only the task account may ' +
            'write the scratch folder: run this on the master secret server')
    }
    $plan = Get-TaskPlan $settings

    # --- the account ----------------------------------------------------------------------------
    $isGmsa = $RunAsAccount.EndsWith('$')
    $credential = $Credential
    if ($isGmsa) {
        if ($null -ne $credential) {
            Write-Warning "-Credential is ignored: $RunAsAccount is a group managed service account"
        }
    } else {
        if ($null -eq $credential -and -not $WhatIfPreference) {
            $credential = Get-Credential -UserName $RunAsAccount -Message ('Password of the account ' +
                'the ssoescrow tasks run as (stored by Task Scheduler, never by this script)')
            if ($null -eq $credential) {
                Stop-Installer 'no credential given'
            }
        }
        if ($null -ne $credential -and -not [string]::Equals($credential.UserName, $RunAsAccount,
                [StringComparison]::OrdinalIgnoreCase)) {
            Stop-Installer "the credential is for $($credential.UserName), not for -RunAsAccount $RunAsAccount"
        }
    }

    foreach ($folder in $plan.Folders) {
        if ($PSCmdlet.ShouldProcess($folder.Path, "Create the folder, access only for $($folder.Identities -join ', ')")) {
            Set-DirectoryAcl $folder.Path $folder.Identities
        }
    }
    if (-not (Test-EventSource $EventSource)) {
        if ($PSCmdlet.ShouldProcess("Application event log", "Register the event source $EventSource")) {
            Register-EventSource $EventSource
        }
    }
    foreach ($task in @($plan.Backup, $plan.Status)) {
        if ($PSCmdlet.ShouldProcess("$TaskPath$($task.Name) as $RunAsAccount", 'Register scheduled task')) {
            Register-TaskDefinition $task $TaskPath $ExecutionTimeLimit $RunAsAccount $isGmsa $credential
        }
    }
    $credential = $null

    Write-Host "install-backup-task: $TaskPath$BackupTaskName runs daily at ${BackupTime}:"
    Write-Host "  $($plan.Backup.Execute) $($plan.Backup.Arguments)"
    Write-Host "install-backup-task: $TaskPath$StatusTaskName runs every $StatusDay at ${StatusTime}:"
    Write-Host "  $($plan.Status.Execute) $($plan.Status.Arguments)"
    Write-Host "Run the backup once now and check it: Start-ScheduledTask -TaskPath '$TaskPath' -TaskName '$BackupTaskName'"
}

# Dot-sourced (the tests), the script only defines its functions.
if ($MyInvocation.InvocationName -ne '.') {
    Install-BackupTask
    exit 0
}
