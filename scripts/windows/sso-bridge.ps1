<#
.SYNOPSIS
The Windows SSO bridge of ssoescrow: speaks the protocol ssoescrow-bridge/1 and drives the
Enterprise Single Sign-On (ENTSSO) master secret through its COM interface.

.DESCRIPTION
ssoescrow runs this script as its bridge:

  ssoescrow backup --vault D:\Escrow --bridge "powershell.exe -NoProfile -NonInteractive
      -ExecutionPolicy Bypass -File 'C:\Program Files\ssoescrow\sso-bridge.ps1'" ...

ssoescrow appends the operation name as the LAST argument (status, backup, restore, generate or
reminder), writes ONE JSON request object on stdin and reads ONE JSON response object, on one
line, from stdout. Passwords travel only in that request: never on the command line. The
protocol is described in the ssoescrow README ("The SSO bridge and the SSO emulator"); this
script implements it as follows.

  status    {}  ->  computer, secret_server, is_secret_server, current_msid, previous_msid,
                    service_state ("running"/"stopped"), cluster (null or
                    {name, node, group, owner_node, possible_owners, resource_state})
  backup    {file, password, reminder}  ->  current_msid, previous_msid
  generate  {file, password, reminder}  ->  current_msid, previous_msid
  restore   {file, password}            ->  current_msid, previous_msid
  reminder  {file}                      ->  reminder

Every response carries "protocol": "ssoescrow-bridge/1" and "ok". An ENTSSO refusal is a normal
response, exit status 0:
  {"protocol":"ssoescrow-bridge/1","ok":false,"code":10766,"message":"..."}
where code is ENTSSO's own message number: ENTSSO returns HRESULTs 0xC000xxxx whose low 16 bits
are the number (0xC0002A0E = 10766 "only on the master secret server"). Any other HRESULT (for
example 0x800706BA, the RPC server is unavailable because the ENTSSO service is stopped) is
reported as its signed 32-bit value (-2147023174), as .NET reports it. Before calling ENTSSO
the bridge itself refuses, with ENTSSO's numbers: a password shorter than 7 (10836) or longer
than 256 characters (10839), a reminder longer than 512 characters (10840) (lengths in UTF-16
code units, as Windows counts them), a backup into a folder that does not exist or onto a
folder, and a restore or reminder of a file that does not exist (10784). A 10766 response also
names the master secret server in an extra member "secret_server".

Where the answers come from (the shared parts in ssoescrow-windows.psm1 beside this script):
  - computer: $env:COMPUTERNAME.
  - cluster: asked first, of the FailoverClusters cmdlets: the Generic Service resource whose
    ServiceName is ENTSSO, its group and the group's owner node. null on a machine that is not
    an active cluster node, when that module is missing (a warning on stderr: install
    RSAT-Clustering-PowerShell) or when no such resource exists. resource_state is "online",
    "offline", "failed", "pending" or "unknown".
  - secret_server: ISSOAdmin.GetGlobalInfo (the SSO database); when the ENTSSO service does not
    answer, 'ssomanage -displaydb'; then the SSO database itself (SSOX_GlobalInfo.gi_SecretServer,
    server and database from HKLM\SOFTWARE\Microsoft\ENTSSO\SQL, Windows authentication). On a
    passive cluster node none of them may answer: secret_server is then the SSO group's network
    name (or empty).
  - is_secret_server: false on a cluster node that does not own the SSO group (decided without
    the secret server's name); otherwise secret_server equals this computer's name
    (case-insensitive, the host part of a DNS name) or the network name of the SSO group.
  - current_msid / previous_msid (MSIDs, printed "{GUID}" upper-case): ENTSSO has no call that
    returns them. The bridge reads the ENTSSO events of the Application log, by the position of
    their documented insertion strings only: 10559 (backup) and 10523 (restore): file, current
    MSID, previous MSID; 10525 (generate): MSID, client user, client computer, tracking id (so a
    generate names the new secret; the previous one is the secret current before it). The GUID
    subkeys of HKLM\SOFTWARE\Microsoft\ENTSSO\SSOSS (this computer's secrets) overrule an event
    about a secret not held here; SSOSS missing, unreadable or without GUID subkeys tells
    nothing. When neither tells, the status MSIDs are null, which ssoescrow accepts: take a
    backup to record them. After backup, generate and restore the bridge waits up to 10 seconds
    for the operation's own event; if ENTSSO did the work but no MSID can be found, the bridge
    fails rather than invent one (exit 3 naming 'ssoconfig -auditlevel' when ENTSSO's positive
    audit level, read with ISSOConfigOM.GetServerStatus, is 0; else exit 4), and ssoescrow does
    not seal that file.
  - service_state: Get-Service ENTSSO.

The COM calls go through Microsoft.EnterpriseSingleSignOn.Interop.dll in
%CommonProgramW6432%\Enterprise Single Sign-On (coclass SSOConfigOM, interface ISSOConfigSS:
BackupSecret, GenerateSecret, RestoreSecret, GetFilePasswordReminder; coclass SSOAdmin,
interface ISSOAdmin: GetGlobalInfo; interface ISSOConfigOM: GetServerStatus), the same objects
ssoconfig.exe uses. Relative file names
are made absolute against the bridge's working folder, because the ENTSSO service, not this
process, opens the file. Write backups to a local NTFS disk: ENTSSO refuses other targets.

Rights needed: run it in an elevated session (a member of the local Administrators group) by
an account that is also a member of the SSO Administrators group, on the master secret server
(on a cluster: on the node that owns the SSO cluster group). 'status' and 'reminder' work on
any SSO server.

How the password is protected: it is read from stdin as bytes, decoded as UTF-8 (not with the
console code page, which would change non-ASCII characters and make the backup unrestorable
with the password ssoescrow sealed), handed to the COM method through reflection (no cmdlet
ever receives it, so PowerShell module logging cannot record it), and the references to it are
cleared right after the call. It is never written to stdout, stderr, a log, an event or an
error record: messages are built from the HRESULT, never from exception text, and $Error is
cleared. A .NET string cannot be wiped in place; the process ends right after the call. Do not
run this script under Start-Transcript, with -Verbose, or with PowerShell transcription that
records stdin; never pass the request on the command line or in a file.

.PARAMETER Operation
status, backup, restore, generate or reminder: the last argument, appended by ssoescrow.

.EXAMPLE
echo {"protocol":"ssoescrow-bridge/1"} | powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File .\sso-bridge.ps1 status
Prints the status of this SSO server as one JSON line (cmd.exe: no quotes around the echo text).

.EXAMPLE
ssoescrow.exe bridge check --bridge "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File \"C:\Program Files\ssoescrow\sso-bridge.ps1\""
ssoescrow's own acceptance test of this bridge (README "Checking a bridge"): status, refused
passwords and reminders, a backup into a missing folder, a backup with a generated password into
a private temporary folder, its reminder, a random file, malformed requests, and that no password
shows up on stderr or in an answer. Nothing is restored or generated unless --destructive is
given (a test server only). Run it once from an elevated prompt as an SSO administrator on the
master secret server before trusting the scheduled job.

.NOTES
Exit status: 0 a response was written (it may report an ENTSSO error); 2 misuse or a malformed
request (not one JSON object of at most 1 MiB in UTF-8, a member repeated, another protocol, a
required member missing or not a string, an unknown operation); 3 the environment is wrong (not
Windows, a 32-bit PowerShell on 64-bit Windows, not elevated, ENTSSO or its interop assembly
missing, the master secret server name unreadable, no success events at positive audit level 0);
4 ENTSSO did the work but its MSIDs cannot be found;
1 an unexpected error. Only exit 0 writes to stdout; the other cases write one
'sso-bridge: error: ...' line to stderr.
#>
# A plain (not advanced) script on purpose: no common parameters such as -Verbose, and extra
# arguments land in $args, which is refused.
param(
    [string] $Operation = ''
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
# stdout carries the one response line and nothing else: powershell.exe -File prints warnings,
# information and progress of the cmdlets used here (e.g. Import-Module) through its host, which
# is stdout when stdout is redirected.
$ProgressPreference = 'SilentlyContinue'
$WarningPreference = 'SilentlyContinue'
$InformationPreference = 'SilentlyContinue'
$VerbosePreference = 'SilentlyContinue'
$DebugPreference = 'SilentlyContinue'

# What the bridge shares with collect-topology.ps1: the ENTSSO COM calls, the secret server
# lookup and the cluster ownership.
Import-Module -Name (Join-Path $PSScriptRoot 'ssoescrow-windows.psm1') -Force -Verbose:$false

$Protocol = 'ssoescrow-bridge/1'
$Operations = @('status', 'backup', 'restore', 'generate', 'reminder')
$MaxRequestBytes = 1048576
$ExitMisuse = 2
$ExitEnvironment = 3
$ExitNoMsid = 4
$ExitUnexpected = 1
$InteropNamespace = 'Microsoft.EnterpriseSingleSignOn.Interop'
$SsossKey = 'HKLM:\SOFTWARE\Microsoft\ENTSSO\SSOSS'
$SqlKey = 'HKLM:\SOFTWARE\Microsoft\ENTSSO\SQL'
$Mask32 = [long] 4294967295  # 0xFFFFFFFF as a 64-bit value

# ENTSSO message numbers (the codes of the bridge protocol, README "The SSO bridge and the SSO emulator").
$CodeNoSecrets = 10520
$CodeBadFormat = 10564
$CodeNotSecretServer = 10766
$CodeWrongPassword = 10779
$CodeCannotOpen = 10784
$CodeWrongSecret = 10815
$CodePasswordShort = 10836
$CodePasswordLong = 10839
$CodeReminderLong = 10840

# True while the request (with its password) is in memory: unexpected errors are then reported
# without their exception text.
$script:HoldsPassword = $false

function Write-Diagnostic {
    param([string] $Message)
    [Console]::Error.WriteLine("sso-bridge: $Message")
}

function Stop-Bridge {
    param([int] $ExitCode, [string] $Message)
    $Error.Clear()
    [Console]::Error.WriteLine("sso-bridge: error: $Message")
    exit $ExitCode
}

# --- request and response -----------------------------------------------------------------------

function Read-RequestBytes {
    # The raw bytes of stdin: [Console]::In would decode them with the console code page.
    $stdin = [Console]::OpenStandardInput()
    $buffer = New-Object byte[] ($MaxRequestBytes + 1)
    $total = 0
    while ($total -lt $buffer.Length) {
        $count = $stdin.Read($buffer, $total, $buffer.Length - $total)
        if ($count -le 0) { break }
        $total += $count
    }
    return , @($buffer, $total)
}

# Decodes and parses the request into a case-sensitive dictionary: string members as strings,
# members of any other JSON type as $null (present, but not a string). Exception texts are not
# used in messages: a JSON parser quotes the input near a syntax error, and that may be the
# password.
function ConvertFrom-RequestBytes {
    param([byte[]] $Buffer, [int] $Length)
    if ($Length -gt $MaxRequestBytes) {
        Stop-Bridge $ExitMisuse "malformed request: larger than $MaxRequestBytes bytes"
    }
    $strictUtf8 = New-Object System.Text.UTF8Encoding -ArgumentList $false, $true
    $text = $null
    try {
        $text = $strictUtf8.GetString($Buffer, 0, $Length)
    } catch {
        Stop-Bridge $ExitMisuse 'malformed request: not valid UTF-8'
    } finally {
        [Array]::Clear($Buffer, 0, $Buffer.Length)
    }

    $members = $null
    try {
        if (Test-DesktopEdition) {
            # JavaScriptSerializer keeps the last of duplicate members without a word: the
            # duplicates are found by a scan of the text of our own, before it parses.
            if (-not (Test-JsonUniqueMembers $text)) {
                $members = $null
            } else {
                $members = ConvertFrom-JsonWithSerializer $text
            }
        } else {
            $members = ConvertFrom-JsonWithSystemTextJson $text
        }
    } catch {
        $members = $null
    }
    $text = $null
    $Error.Clear()
    if ($null -eq $members) {
        Stop-Bridge $ExitMisuse 'malformed request: not one JSON object without duplicate members'
    }
    return , $members
}

function Test-DesktopEdition {
    return ($PSVersionTable.PSEdition -ne 'Core')
}

function New-MemberDictionary {
    return (New-Object 'System.Collections.Generic.Dictionary[string,object]' -ArgumentList ([StringComparer]::Ordinal))
}

# PowerShell 7: System.Text.Json. The members of one JSON object (strings as strings, any other
# type as $null), or $null when the text is not one object or repeats a member.
function ConvertFrom-JsonWithSystemTextJson {
    param([string] $Text)
    $members = New-MemberDictionary
    $document = $null
    try {
        $options = New-Object System.Text.Json.JsonDocumentOptions
        $document = [System.Text.Json.JsonDocument]::Parse($Text, $options)
        if ($document.RootElement.ValueKind -ne [System.Text.Json.JsonValueKind]::Object) { return $null }
        foreach ($property in $document.RootElement.EnumerateObject()) {
            if ($members.ContainsKey($property.Name)) { return $null }
            if ($property.Value.ValueKind -eq [System.Text.Json.JsonValueKind]::String) {
                $members[$property.Name] = $property.Value.GetString()
            } else {
                $members[$property.Name] = $null
            }
        }
    } finally {
        if ($null -ne $document) { $document.Dispose() }
    }
    return , $members
}

# Windows PowerShell 5.1: JavaScriptSerializer (it silently keeps the last of duplicate members:
# Test-JsonUniqueMembers runs first).
function ConvertFrom-JsonWithSerializer {
    param([string] $Text)
    Add-Type -AssemblyName 'System.Web.Extensions'
    $serializer = New-Object System.Web.Script.Serialization.JavaScriptSerializer
    $serializer.MaxJsonLength = 2 * $MaxRequestBytes
    $root = $serializer.DeserializeObject($Text)
    if (-not ($root -is [System.Collections.Generic.IDictionary[string, object]])) { return $null }
    $members = New-MemberDictionary
    foreach ($key in $root.Keys) {
        $value = $root[$key]
        if ($value -is [string]) {
            $members[$key] = $value
        } else {
            $members[$key] = $null
        }
    }
    $root.Clear()
    return , $members
}

# False when an object of the JSON text repeats a member name (after unescaping: "a" and
# "\u0061" are the same name). Not a validator: the parser that runs next rejects bad syntax;
# this scan only has to find every member name of every object.
function Test-JsonUniqueMembers {
    param([string] $Text)
    $names = New-Object 'System.Collections.Generic.Stack[object]'
    $expectName = $false
    $index = 0
    $length = $Text.Length
    while ($index -lt $length) {
        $character = $Text[$index]
        if ($character -eq '{') {
            $names.Push((New-Object 'System.Collections.Generic.HashSet[string]' -ArgumentList ([StringComparer]::Ordinal)))
            $expectName = $true
            $index++
            continue
        }
        if ($character -eq '}') {
            if ($names.Count -gt 0) { [void] $names.Pop() }
            $expectName = $false
            $index++
            continue
        }
        if ($character -eq '[') { $names.Push($null); $expectName = $false; $index++; continue }
        if ($character -eq ']') {
            if ($names.Count -gt 0) { [void] $names.Pop() }
            $index++
            continue
        }
        if ($character -eq ',') {
            $expectName = ($names.Count -gt 0 -and $null -ne $names.Peek())
            $index++
            continue
        }
        if ($character -eq '"') {
            $builder = New-Object System.Text.StringBuilder
            $index++
            while ($index -lt $length -and $Text[$index] -ne '"') {
                if ($Text[$index] -eq [char] 92 -and $index + 1 -lt $length) {
                    $escape = $Text[$index + 1]
                    $step = 2
                    $code = 0
                    if ($escape -ceq 'u' -and $index + 5 -lt $length -and
                        [int]::TryParse($Text.Substring($index + 2, 4),
                            [Globalization.NumberStyles]::AllowHexSpecifier,
                            [Globalization.CultureInfo]::InvariantCulture, [ref] $code)) {
                        [void] $builder.Append([char] $code)
                        $step = 6
                    } elseif ($escape -ceq 'n') {
                        [void] $builder.Append("`n")
                    } elseif ($escape -ceq 't') {
                        [void] $builder.Append("`t")
                    } elseif ($escape -ceq 'r') {
                        [void] $builder.Append("`r")
                    } elseif ($escape -ceq 'b') {
                        [void] $builder.Append([char] 8)
                    } elseif ($escape -ceq 'f') {
                        [void] $builder.Append([char] 12)
                    } else {
                        [void] $builder.Append($escape)
                    }
                    $index += $step
                    continue
                }
                [void] $builder.Append($Text[$index])
                $index++
            }
            $index++
            if ($expectName) {
                if (-not $names.Peek().Add($builder.ToString())) { return $false }
                $expectName = $false
            }
            continue
        }
        $index++
    }
    return $true
}

# Checks that the request has a string member Name (without returning it: used for the password).
function Assert-RequestText {
    param($Request, [string] $Name)
    if (-not $Request.ContainsKey($Name)) {
        Stop-Bridge $ExitMisuse "malformed request: missing `"$Name`""
    }
    if ($null -eq $Request[$Name]) {
        Stop-Bridge $ExitMisuse "malformed request: `"$Name`" must be a string"
    }
}

function Get-RequestText {
    param($Request, [string] $Name)
    Assert-RequestText $Request $Name
    return [string] $Request[$Name]
}

function New-OkResponse {
    $response = [ordered]@{}
    $response['protocol'] = $Protocol
    $response['ok'] = $true
    return $response
}

function New-ErrorResponse {
    param([long] $Code, [string] $Message)
    $response = [ordered]@{}
    $response['protocol'] = $Protocol
    $response['ok'] = $false
    $response['code'] = $Code
    $response['message'] = $Message
    return $response
}

function Write-Response {
    param($Response)
    $json = ConvertTo-Json -InputObject $Response -Compress -Depth 5
    $bytes = (New-Object System.Text.UTF8Encoding -ArgumentList $false).GetBytes($json + "`n")
    $stdout = [Console]::OpenStandardOutput()
    $stdout.Write($bytes, 0, $bytes.Length)
    $stdout.Flush()
}


# --- the environment ----------------------------------------------------------------------------

function Test-Environment {
    if ([Environment]::OSVersion.Platform -ne [PlatformID]::Win32NT) {
        Stop-Bridge $ExitEnvironment ('this bridge runs only on Windows, on an ENTSSO server; ' +
            'elsewhere use the SSO emulator (tests/emulator)')
    }
    if ([Environment]::Is64BitOperatingSystem -and -not [Environment]::Is64BitProcess) {
        Stop-Bridge $ExitEnvironment ('this is a 32-bit PowerShell on 64-bit Windows: run ' +
            '%SystemRoot%\System32\WindowsPowerShell\v1.0\powershell.exe (64-bit)')
    }
    $identity = [Security.Principal.WindowsIdentity]::GetCurrent()
    $principal = New-Object Security.Principal.WindowsPrincipal -ArgumentList $identity
    if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
        Stop-Bridge $ExitEnvironment ("$($identity.Name) is not running elevated: run the bridge " +
            'as a Windows administrator (elevated, "Run with highest privileges" in Task ' +
            'Scheduler) who is also a member of SSO Administrators')
    }
    if ($null -eq (Get-EntssoService)) {
        Stop-Bridge $ExitEnvironment ('the Enterprise Single Sign-On service (ENTSSO) is not ' +
            'installed on this computer: run the bridge on the master secret server')
    }
}

# The ENTSSO service (Status: Running, Stopped, ...), or $null when it is not installed.
function Get-EntssoService {
    return (Get-Service -Name 'ENTSSO' -ErrorAction SilentlyContinue)
}

function Import-BridgeInterop {
    try {
        return (Import-SsoInterop)
    } catch {
        $message = Get-SsoEnvironmentMessage $_
        if ($null -eq $message) { throw }
        Stop-Bridge $ExitEnvironment $message
    }
}

# The shared module's COM call with the bridge's ending for environment errors. Returns $null on
# success, else the exception ENTSSO raised.
function Invoke-InterfaceMethod {
    param($Assembly, [string] $Interface, [string] $Class, [string] $Method, $Arguments)
    try {
        return (Invoke-SsoComMethod $Assembly $Interface $Class $Method $Arguments)
    } catch {
        $message = Get-SsoEnvironmentMessage $_
        if ($null -eq $message) { throw }
        Stop-Bridge $ExitEnvironment $message
    }
}

# ENTSSO's number for an exception: the low 16 bits of an HRESULT 0xC000xxxx; any other HRESULT
# as its signed 32-bit value.
function Get-EntssoCode {
    param($Exception)
    $hresult = [long] $Exception.HResult
    $unsigned = $hresult -band $Mask32
    if (($unsigned -shr 16) -eq 0xC000) {
        return ($unsigned -band 0xFFFF)
    }
    return $hresult
}

function Get-EntssoMessage {
    param([long] $Code, [string] $SecretServer)
    switch ($Code) {
        $CodeNoSecrets { return 'The master secret server has no secret in its registry: restore it from a backup.' }
        $CodeBadFormat { return 'The format of the backup file is incorrect.' }
        $CodeNotSecretServer {
            $text = 'This function can only be performed on the master secret server.'
            if ($SecretServer -ne '') {
                $text += " The master secret server is $SecretServer; this computer is $env:COMPUTERNAME."
            }
            return $text
        }
        $CodeWrongPassword { return 'The password is incorrect for the backup file.' }
        $CodeCannotOpen { return 'Cannot open the file.' }
        $CodeWrongSecret { return 'The backup file holds a different master secret from the one the SSO database expects.' }
        $CodePasswordShort { return 'The password must be at least 7 characters long.' }
        $CodePasswordLong { return 'The password must be at most 256 characters long.' }
        $CodeReminderLong { return 'The password reminder must be at most 512 characters long.' }
    }
    $hex = Format-SsoHresult $Code
    if ($Code -ge 0 -and $Code -le 0xFFFF) {
        return "ENTSSO error $Code (0xC000$('{0:X4}' -f $Code)); see the ENTSSO events of the Application log."
    }
    switch ($hex) {
        '0x800706BA' { return "RPC server unavailable ($hex): start the Enterprise Single Sign-On service (or bring its cluster resource online)." }
        '0x800706D9' { return "No RPC endpoints ($hex): on a cluster, set 'Use Network Name for computer name' on the ENTSSO resource and take it offline and online." }
        '0x80070005' { return "Access denied ($hex): run as a Windows administrator who is a member of SSO Administrators." }
    }
    return "COM error $hex; see the ENTSSO events of the Application log."
}

# --- the master secret server and the cluster ---------------------------------------------------

# The SSO database itself (SSOX_GlobalInfo.gi_SecretServer), when neither ENTSSO nor ssomanage
# answers: server and database from HKLM\SOFTWARE\Microsoft\ENTSSO\SQL, Windows authentication.
function Get-SecretServerFromDatabase {
    $sql = Get-ItemProperty -LiteralPath $SqlKey -ErrorAction SilentlyContinue
    if ($null -eq $sql -or -not ($sql.PSObject.Properties.Name -contains 'Server') -or
        -not ($sql.PSObject.Properties.Name -contains 'Database')) {
        return ''
    }
    $builder = New-Object System.Data.SqlClient.SqlConnectionStringBuilder
    $builder['Data Source'] = [string] $sql.Server
    $builder['Initial Catalog'] = [string] $sql.Database
    $builder['Integrated Security'] = $true
    $builder['Connect Timeout'] = 15
    $connection = New-Object System.Data.SqlClient.SqlConnection -ArgumentList $builder.ConnectionString
    try {
        $connection.Open()
        $command = $connection.CreateCommand()
        $command.CommandText = 'SELECT TOP 1 gi_SecretServer FROM SSOX_GlobalInfo'
        $command.CommandTimeout = 15
        $value = $command.ExecuteScalar()
        if ($null -eq $value -or $value -is [DBNull]) { return '' }
        return ([string] $value).Trim()
    } catch {
        Write-Diagnostic "cannot read the secret server from the SSO database: $($_.Exception.Message)"
        $Error.Clear()
        return ''
    } finally {
        $connection.Dispose()
    }
}

# ISSOAdmin.GetGlobalInfo, then 'ssomanage -displaydb' (the shared module), then the database.
function Get-SecretServer {
    param($Assembly)
    $diagnostic = { param([string] $Line) Write-Diagnostic $Line }
    $name = Get-SsoSecretServer $Assembly $diagnostic
    if ($name -eq '') { $name = Get-SecretServerFromDatabase }
    return $name
}

# --- MSIDs --------------------------------------------------------------------------------------

function ConvertTo-Msid {
    param([string] $Text)
    $guid = [guid]::Empty
    if (-not [guid]::TryParse($Text.Trim(), [ref] $guid)) { return $null }
    return '{' + $guid.ToString().ToUpperInvariant() + '}'
}

# The names of the subkeys of SSOSS, or $null when the key does not exist or cannot be read.
function Get-SsossSubkeyNames {
    try {
        $keys = @(Get-ChildItem -LiteralPath $SsossKey -ErrorAction Stop)
    } catch {
        $Error.Clear()
        return $null
    }
    return , [string[]] @($keys | ForEach-Object { $_.PSChildName })
}

# The MSIDs of this computer's secrets (the GUID subkeys of SSOSS), or $null when the registry
# does not tell: SSOSS missing, unreadable, or without any GUID subkey. Only GUID subkeys are
# evidence; a key laid out otherwise (another ENTSSO version) says nothing about the secrets,
# and must never be read as "this computer holds no secret".
function Get-RegistryMsids {
    $names = Get-SsossSubkeyNames
    if ($null -eq $names) { return $null }
    $msids = New-Object 'System.Collections.Generic.List[string]'
    foreach ($name in $names) {
        $msid = ConvertTo-Msid ([string] $name)
        if ($null -ne $msid -and -not $msids.Contains($msid)) { $msids.Add($msid) }
    }
    if ($msids.Count -eq 0) { return $null }
    return , $msids.ToArray()
}

# The documented layouts of the events that name MSIDs, by insertion string (0-based):
#   10559 backup succeeded, 10523 restore succeeded: 0 file, 1 current MSID, 2 previous MSID;
#   10525 new secret generated: 0 MSID, 1 client user, 2 client computer, 3 tracking id.
# Only those positions are read: any other string may hold a GUID (the tracking id, a file or
# user name) that is not an MSID.
function Get-EventMsids {
    param($Record)
    $values = @($Record.Properties | ForEach-Object { [string] $_.Value })
    $current = $null
    $previous = $null
    $file = $null
    switch ([int] $Record.Id) {
        10525 {
            if ($values.Count -ge 1) { $current = ConvertTo-Msid $values[0] }
        }
        default {
            if ($values.Count -ge 1) { $file = $values[0].Trim() }
            if ($values.Count -ge 2) { $current = ConvertTo-Msid $values[1] }
            if ($values.Count -ge 3) { $previous = ConvertTo-Msid $values[2] }
        }
    }
    if ($null -ne $previous -and $previous -eq $current) { $previous = $null }
    return [pscustomobject] @{ Current = $current; Previous = $previous; File = $file }
}

function Test-EventNamesFile {
    param($Record, [string] $File)
    $fields = Get-EventMsids $Record
    if ($null -eq $fields.File) { return $false }
    return [string]::Equals($fields.File, $File, [StringComparison]::OrdinalIgnoreCase)
}

# ENTSSO events of the Application log, newest first (at most 50; none when the log has none).
function Get-EntssoEvents {
    param([int[]] $Ids, $Since)
    $filter = @{ LogName = 'Application'; ProviderName = 'ENTSSO'; Id = $Ids }
    if ($null -ne $Since) { $filter['StartTime'] = $Since }
    $records = @(Get-WinEvent -FilterHashtable $filter -MaxEvents 50 -ErrorAction SilentlyContinue)
    $Error.Clear()
    return , $records
}

# ENTSSO's positive audit level (0 none .. 3 high), or -1 when it cannot be read.
function Get-PositiveAuditLevel {
    param($Assembly)
    $status = $null
    try {
        $status = Get-SsoServerStatus $Assembly
    } catch {
        $Error.Clear()
    }
    if ($null -eq $status) { return -1 }
    return [int] $status.PositiveAuditLevel
}

# What to change when ENTSSO logs no success event: '' when the positive audit level is not 0 or
# is unknown. Microsoft documents the default positive level as 0 (none) without saying which
# success events it suppresses, so a missing event on a level-0 server points at this setting.
function Get-AuditAdvice {
    param($Assembly)
    $level = Get-PositiveAuditLevel $Assembly
    if ($level -ne 0) { return '' }
    return ("ENTSSO's positive audit level is 0 (none, the default), so it may log no success " +
        "events: set it to 1 or more with 'ssoconfig -auditlevel 1 <negative level>' in " +
        '%CommonProgramW6432%\Enterprise Single Sign-On (or SSO Administration, System, ' +
        'Properties, Audits), then run this again')
}

# After backup (10559), restore (10523) or generate (10525): the MSIDs from the operation's own
# event, waiting up to 10 seconds for it. Returns @(current, previous) or $null.
function Wait-OperationMsids {
    param([int] $EventId, [string] $File, $Since, [int] $Attempts = 20)
    for ($attempt = 0; $attempt -lt $Attempts; $attempt++) {
        $records = Get-EntssoEvents @($EventId) $Since
        $chosen = $null
        foreach ($record in $records) {
            if (Test-EventNamesFile $record $File) { $chosen = $record; break }
        }
        if ($null -eq $chosen -and $records.Count -eq 1) { $chosen = $records[0] }
        if ($null -ne $chosen) {
            $fields = Get-EventMsids $chosen
            if ($null -ne $fields.Current) { return , @($fields.Current, $fields.Previous) }
        }
        if ($attempt + 1 -lt $Attempts) { Start-Sleep -Milliseconds 500 }
    }
    return $null
}

# The live MSIDs for status: @(current, previous), each possibly $null.
function Get-LiveMsids {
    param($Assembly = $null)
    $registry = Get-RegistryMsids
    $current = $null
    $previous = $null
    $records = Get-EntssoEvents @(10559, 10523, 10525) $null
    # Newest first. A 10525 (generate) names the new secret only; the previous one is the current
    # secret of the newest event before it.
    foreach ($record in $records) {
        $fields = Get-EventMsids $record
        if ($null -eq $fields.Current) { continue }
        if ($null -eq $current) {
            $current = $fields.Current
            if ([int] $record.Id -ne 10525) {
                $previous = $fields.Previous
                break
            }
            continue
        }
        if ($fields.Current -ne $current) { $previous = $fields.Current }
        break
    }
    # The registry, when it tells (GUID subkeys), is this computer's truth: an event naming a
    # secret it does not hold is about another secret (restored elsewhere, since replaced).
    if ($null -ne $registry) {
        if ($null -eq $current -or -not ($registry -contains $current)) {
            $current = $null
            $previous = $null
            if ($registry.Count -eq 1) { $current = $registry[0] }
        } elseif ($null -ne $previous -and -not ($registry -contains $previous)) {
            $previous = $null
        }
    }
    if ($null -eq $current) {
        $advice = Get-AuditAdvice $Assembly
        if ($advice -eq '') {
            $advice = ('no ENTSSO backup, restore or generate event in the Application log, and ' +
                'the registry does not tell')
        }
        Write-Diagnostic "note: the current MSID is not known here; it is null ($advice)"
    }
    return , @($current, $previous)
}

# --- operations ---------------------------------------------------------------------------------

function Invoke-Status {
    param($Assembly)
    $computer = [string] $env:COMPUTERNAME
    $service = Get-EntssoService
    $serviceState = 'stopped'
    if ($null -ne $service -and [string] $service.Status -eq 'Running') { $serviceState = 'running' }

    # Cluster ownership first: it needs neither ENTSSO nor the SSO database, and a passive node
    # (its ENTSSO service stopped) is not the secret server whatever the database says.
    $ownership = Get-SsoClusterOwnership $computer
    if ($ownership.Note -match '^(warning|note): ') { Write-Diagnostic $ownership.Note }
    $clusterInfo = $ownership.Info
    $passive = $null -ne $clusterInfo -and
        -not (Test-SsoSameComputer $clusterInfo['owner_node'] $computer)

    $secretServer = Get-SecretServer $Assembly
    if ($secretServer -eq '') {
        if (-not $passive) {
            Stop-Bridge $ExitEnvironment ('cannot find the master secret server name (ISSOAdmin.' +
                'GetGlobalInfo, ssomanage -displaydb and the SSO database all failed): check that ' +
                'this account is an SSO administrator and that the SSO database is reachable')
        }
        # The SSO role's network name is what 'ssomanage -updatedb' names on a clustered master.
        if (@($ownership.NetworkNames).Count -gt 0) { $secretServer = [string] @($ownership.NetworkNames)[0] }
        Write-Diagnostic ("note: passive node of cluster $($clusterInfo['name']) (the SSO group " +
            "$($clusterInfo['group']) is owned by $($clusterInfo['owner_node'])); the secret " +
            'server name could not be read here')
    }
    $isSecretServer = $false
    if (-not $passive) {
        $isSecretServer = Test-SsoSameComputer $secretServer $computer
        if (-not $isSecretServer -and $null -ne $clusterInfo) {
            foreach ($networkName in @($ownership.NetworkNames)) {
                if (Test-SsoSameComputer $secretServer $networkName) { $isSecretServer = $true }
            }
        }
    }
    $msids = Get-LiveMsids $Assembly

    $response = New-OkResponse
    $response['computer'] = $computer
    $response['secret_server'] = $secretServer
    $response['is_secret_server'] = [bool] $isSecretServer
    $response['current_msid'] = $msids[0]
    $response['previous_msid'] = $msids[1]
    $response['service_state'] = $serviceState
    $response['cluster'] = $clusterInfo
    return $response
}

function Resolve-RequestFile {
    param([string] $File)
    if ($File -eq '') { return $null }
    try {
        return [System.IO.Path]::GetFullPath($File)
    } catch {
        $Error.Clear()
        return $null
    }
}

function New-EntssoFailure {
    param($Assembly, [long] $Code)
    $secretServer = ''
    if ($Code -eq $CodeNotSecretServer) {
        $secretServer = Get-SecretServer $Assembly
    }
    $response = New-ErrorResponse $Code (Get-EntssoMessage $Code $secretServer)
    if ($secretServer -ne '') { $response['secret_server'] = $secretServer }
    return $response
}

# Lengths in UTF-16 code units, as Windows counts them (an emoji counts 2).
function Test-PasswordRules {
    param([int] $PasswordLength, [int] $ReminderLength)
    if ($PasswordLength -lt 7) { return $CodePasswordShort }
    if ($PasswordLength -gt 256) { return $CodePasswordLong }
    if ($ReminderLength -gt 512) { return $CodeReminderLong }
    return 0
}

# The MSIDs of an operation ENTSSO completed when its event named none: the registry when it
# tells unambiguously (one secret; after generate, the one secret that was not there before).
# Otherwise the bridge stops: with exit 3 and the setting to change when the positive audit
# level is 0, else with exit 4.
function Resolve-MissingMsids {
    param($Assembly, [string] $Method, [string] $Path, [int] $EventId, $RegistryBefore, $PreviousBefore)
    $registry = Get-RegistryMsids
    if ($null -ne $registry) {
        if ($registry.Count -eq 1) { return , @($registry[0], $null) }
        if ($EventId -eq 10525 -and $null -ne $RegistryBefore) {
            $new = @($registry | Where-Object { $RegistryBefore -notcontains $_ })
            if ($new.Count -eq 1) { return , @($new[0], $PreviousBefore) }
        }
    }
    $advice = Get-AuditAdvice $Assembly
    if ($advice -ne '') {
        Stop-Bridge $ExitEnvironment ("ENTSSO completed $Method for $Path but logged no event " +
            "$EventId naming its MSIDs: $advice")
    }
    Stop-Bridge $ExitNoMsid ("ENTSSO completed $Method for $Path but no ENTSSO event " +
        "$EventId in the Application log names its MSIDs: check the Application log " +
        '(source ENTSSO) and that ENTSSO auditing writes events')
}

# backup, generate and restore: ENTSSO through ISSOConfigSS, then the MSIDs from its event.
function Invoke-SecretOperation {
    param($Assembly, [string] $Name, $Request)
    $file = Get-RequestText $Request 'file'
    $reminder = ''
    if ($Name -ne 'restore') { $reminder = Get-RequestText $Request 'reminder' }
    Assert-RequestText $Request 'password'

    $path = Resolve-RequestFile $file
    if ($Name -ne 'restore') {
        $rule = Test-PasswordRules ([string] $Request['password']).Length $reminder.Length
        if ($rule -ne 0) { return New-EntssoFailure $Assembly $rule }
        if ($null -eq $path -or (Test-Path -LiteralPath $path -PathType Container) -or
            -not (Test-Path -LiteralPath ([System.IO.Path]::GetDirectoryName($path)) -PathType Container)) {
            return New-ErrorResponse $CodeCannotOpen ('Cannot open the file: its folder does not ' +
                'exist or it is a folder.')
        }
    } elseif ($null -eq $path -or -not (Test-Path -LiteralPath $path -PathType Leaf)) {
        return New-ErrorResponse $CodeCannotOpen 'Cannot open the file: it does not exist.'
    }

    $previousBefore = $null
    $registryBefore = $null
    if ($Name -eq 'generate') {
        $previousBefore = (Get-LiveMsids $Assembly)[0]
        $registryBefore = Get-RegistryMsids
    }
    $since = (Get-Date).AddSeconds(-2)
    if ($Name -eq 'restore') {
        $arguments = New-Object object[] 2
        $arguments[0] = [string] $path
        $arguments[1] = [string] $Request['password']
        $method = 'RestoreSecret'
        $eventId = 10523
    } else {
        $arguments = New-Object object[] 3
        $arguments[0] = [string] $path
        $arguments[1] = [string] $Request['password']
        $arguments[2] = [string] $reminder
        $method = 'BackupSecret'
        $eventId = 10559
        if ($Name -eq 'generate') {
            $method = 'GenerateSecret'
            $eventId = 10525
        }
    }
    $failure = $null
    try {
        $failure = Invoke-InterfaceMethod $Assembly 'ISSOConfigSS' 'SSOConfigOM' $method $arguments
    } finally {
        [Array]::Clear($arguments, 0, $arguments.Length)
        $Request['password'] = $null
        $script:HoldsPassword = $false
        [GC]::Collect()
    }
    if ($null -ne $failure) {
        return New-EntssoFailure $Assembly (Get-EntssoCode $failure)
    }

    $msids = Wait-OperationMsids $eventId $path $since
    if ($null -eq $msids) {
        $msids = Resolve-MissingMsids $Assembly $method $path $eventId $registryBefore $previousBefore
    }
    # 10525 names the new secret only: the previous one is the secret current before generate.
    if ($Name -eq 'generate' -and $null -eq $msids[1] -and $null -ne $previousBefore -and
        $previousBefore -ne $msids[0]) {
        $msids = @($msids[0], $previousBefore)
    }
    $response = New-OkResponse
    $response['current_msid'] = $msids[0]
    $response['previous_msid'] = $msids[1]
    return $response
}

function Invoke-Reminder {
    param($Assembly, $Request)
    $file = Get-RequestText $Request 'file'
    $path = Resolve-RequestFile $file
    if ($null -eq $path -or -not (Test-Path -LiteralPath $path -PathType Leaf)) {
        return New-ErrorResponse $CodeCannotOpen 'Cannot open the file: it does not exist.'
    }
    $arguments = New-Object object[] 2
    $arguments[0] = [string] $path
    $failure = Invoke-InterfaceMethod $Assembly 'ISSOConfigSS' 'SSOConfigOM' 'GetFilePasswordReminder' $arguments
    if ($null -ne $failure) {
        return New-EntssoFailure $Assembly (Get-EntssoCode $failure)
    }
    $response = New-OkResponse
    $response['reminder'] = [string] $arguments[1]
    return $response
}

# --- main ---------------------------------------------------------------------------------------

function Invoke-Bridge {
    param([string] $Operation, [object[]] $Extra)
    if ($Extra.Count -gt 0 -or $Operations -cnotcontains $Operation) {
        Stop-Bridge $ExitMisuse ("usage: sso-bridge.ps1 OPERATION (one of: $($Operations -join ', ')), " +
            'one JSON request on stdin')
    }

    try {
        $raw = Read-RequestBytes
        $script:HoldsPassword = $true
        $request = ConvertFrom-RequestBytes $raw[0] $raw[1]
        $raw = $null
        if (-not $request.ContainsKey('password')) { $script:HoldsPassword = $false }
        $protocolName = Get-RequestText $request 'protocol'
        if ($protocolName -cne $Protocol) {
            Stop-Bridge $ExitMisuse "malformed request: protocol is not $Protocol"
        }
        Test-Environment
        $assembly = Import-BridgeInterop

        switch ($Operation) {
            'status' { $response = Invoke-Status $assembly }
            'reminder' { $response = Invoke-Reminder $assembly $request }
            default { $response = Invoke-SecretOperation $assembly $Operation $request }
        }
        if ($request.ContainsKey('password')) { $request['password'] = $null }
        $script:HoldsPassword = $false
        Write-Response $response
        $Error.Clear()
        exit 0
    } catch {
        $where = "line $($_.InvocationInfo.ScriptLineNumber)"
        if ($script:HoldsPassword) {
            Stop-Bridge $ExitUnexpected "unexpected $($_.Exception.GetType().FullName) at $where"
        }
        Stop-Bridge $ExitUnexpected "unexpected error at ${where}: $($_.Exception.Message)"
    }
}

# Dot-sourced (the tests), the script only defines its functions.
if ($MyInvocation.InvocationName -ne '.') { Invoke-Bridge $Operation $args }
