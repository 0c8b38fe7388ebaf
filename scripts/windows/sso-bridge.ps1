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
protocol is defined in DESIGN.md section 5 of the ssoescrow sources; this script implements it
as follows.

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

Where the answers come from:
  - computer: $env:COMPUTERNAME.
  - secret_server: ISSOAdmin.GetGlobalInfo (the SSO database); when the ENTSSO service does not
    answer, 'ssomanage -displaydb'; then the SSO database itself (SSOX_GlobalInfo.gi_SecretServer,
    server and database from HKLM\SOFTWARE\Microsoft\ENTSSO\SQL, Windows authentication).
  - is_secret_server: secret_server equals this computer's name (case-insensitive, the host part
    of a DNS name), or, on a failover cluster, it equals the network name of the cluster group
    that holds the ENTSSO resource and this node owns that group.
  - current_msid / previous_msid (MSIDs, printed "{GUID}" upper-case): ENTSSO has no call that
    returns them. The bridge reads the ENTSSO events of the Application log that name them:
    10559 (backup succeeded: file, current MSID, previous MSID), 10523 (restore succeeded) and
    10525 (new secret generated), in that order of insertion strings, and checks the result
    against the GUID subkeys of HKLM\SOFTWARE\Microsoft\ENTSSO\SSOSS, which hold the secrets of
    this computer. When no event tells, and SSOSS holds exactly one secret, that one is current.
    Otherwise the status MSIDs are null (the log was cleared, or this computer holds no secret),
    which ssoescrow accepts: take a backup to record them. After backup, generate and restore
    the bridge waits up to 10 seconds for the operation's own event; if ENTSSO did the work but
    no MSID can be found, the bridge fails (exit 4) rather than invent one, and ssoescrow does
    not seal that file.
  - service_state: Get-Service ENTSSO.
  - cluster: Get-Cluster and the Generic Service resource whose ServiceName is ENTSSO
    (FailoverClusters module); null on a machine that is not a cluster node, when that module
    is missing (a warning on stderr: install RSAT-Clustering-PowerShell) or when no such
    resource exists. resource_state is "online", "offline", "failed", "pending" or "unknown".

The COM calls go through Microsoft.EnterpriseSingleSignOn.Interop.dll in
%CommonProgramW6432%\Enterprise Single Sign-On (coclass SSOConfigOM, interface ISSOConfigSS:
BackupSecret, GenerateSecret, RestoreSecret, GetFilePasswordReminder; coclass SSOAdmin,
interface ISSOAdmin: GetGlobalInfo), the same object ssoconfig.exe uses. Relative file names
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
python bridge-conformance "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File 'C:/Program Files/ssoescrow/sso-bridge.ps1'"
The conformance test (tools/bridge-conformance of the ssoescrow sources, Python 3) checks this
bridge against the protocol table on the master secret server: status, refused passwords and
reminders, a backup into a missing folder, a backup, its reminder, a random file, a wrong
password and a restore of the same secret (nothing changes). It writes its test backups into a
private temporary folder and deletes them. Run it from an elevated prompt as an SSO
administrator. It splits its argument as a POSIX shell does: use forward slashes or single
quotes for the path.

.NOTES
Exit status: 0 a response was written (it may report an ENTSSO error); 2 misuse or a malformed
request (not one JSON object of at most 1 MiB in UTF-8, another protocol, a required member
missing or not a string, an unknown operation); 3 the environment is wrong (not Windows, a
32-bit PowerShell on 64-bit Windows, not elevated, ENTSSO or its interop assembly missing, the
master secret server name unreadable); 4 ENTSSO did the work but its MSIDs cannot be found;
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
$GuidPattern = '\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?'

# ENTSSO message numbers (reference/entsso-facts.md, DESIGN.md section 5).
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

    $members = New-Object 'System.Collections.Generic.Dictionary[string,object]' -ArgumentList ([StringComparer]::Ordinal)
    $parsed = $false
    if ($PSVersionTable.PSEdition -eq 'Core') {
        $document = $null
        try {
            $options = New-Object System.Text.Json.JsonDocumentOptions
            $document = [System.Text.Json.JsonDocument]::Parse($text, $options)
            if ($document.RootElement.ValueKind -eq [System.Text.Json.JsonValueKind]::Object) {
                $parsed = $true
                foreach ($property in $document.RootElement.EnumerateObject()) {
                    if ($members.ContainsKey($property.Name)) {
                        $parsed = $false
                        break
                    }
                    if ($property.Value.ValueKind -eq [System.Text.Json.JsonValueKind]::String) {
                        $members[$property.Name] = $property.Value.GetString()
                    } else {
                        $members[$property.Name] = $null
                    }
                }
            }
        } catch {
            $parsed = $false
        } finally {
            if ($null -ne $document) { $document.Dispose() }
        }
    } else {
        try {
            Add-Type -AssemblyName 'System.Web.Extensions'
            $serializer = New-Object System.Web.Script.Serialization.JavaScriptSerializer
            $serializer.MaxJsonLength = 2 * $MaxRequestBytes
            $root = $serializer.DeserializeObject($text)
            if ($root -is [System.Collections.Generic.IDictionary[string, object]]) {
                $parsed = $true
                foreach ($key in $root.Keys) {
                    $value = $root[$key]
                    if ($value -is [string]) {
                        $members[$key] = $value
                    } else {
                        $members[$key] = $null
                    }
                }
                $root.Clear()
            }
        } catch {
            $parsed = $false
        }
    }
    $text = $null
    $Error.Clear()
    if (-not $parsed) {
        Stop-Bridge $ExitMisuse 'malformed request: not one JSON object without duplicate members'
    }
    return , $members
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
    if ($null -eq (Get-Service -Name 'ENTSSO' -ErrorAction SilentlyContinue)) {
        Stop-Bridge $ExitEnvironment ('the Enterprise Single Sign-On service (ENTSSO) is not ' +
            'installed on this computer: run the bridge on the master secret server')
    }
}

function Get-SsoFolder {
    $commonFiles = $env:CommonProgramW6432
    if ([string]::IsNullOrEmpty($commonFiles)) { $commonFiles = $env:CommonProgramFiles }
    return (Join-Path $commonFiles 'Enterprise Single Sign-On')
}

function Import-SsoInterop {
    $path = Join-Path (Get-SsoFolder) "$InteropNamespace.dll"
    if (-not (Test-Path -LiteralPath $path -PathType Leaf)) {
        Stop-Bridge $ExitEnvironment ("$path not found: install or repair Enterprise Single " +
            'Sign-On (BizTalk Server setup), then run the bridge again')
    }
    try {
        return [System.Reflection.Assembly]::LoadFrom($path)
    } catch {
        Stop-Bridge $ExitEnvironment "cannot load ${path}: $($_.Exception.Message)"
    }
}

function Get-InteropType {
    param($Assembly, [string] $Name)
    $type = $Assembly.GetType("$InteropNamespace.$Name", $false)
    if ($null -eq $type) {
        Stop-Bridge $ExitEnvironment ("$($Assembly.Location) has no type $InteropNamespace.${Name}: " +
            'this ENTSSO version is not supported by the bridge')
    }
    return $type
}

# The creatable class of a coclass: tlbimp turns coclass X into an interface X marked with
# [CoClass(typeof(XClass))].
function Get-InteropClass {
    param($Assembly, [string] $Name)
    $type = Get-InteropType $Assembly $Name
    if ($type.IsInterface) {
        $marks = @($type.GetCustomAttributes([Runtime.InteropServices.CoClassAttribute], $false))
        if ($marks.Count -gt 0) { return $marks[0].CoClass }
        return (Get-InteropType $Assembly "${Name}Class")
    }
    return $type
}

# The exception a .NET method raised, without the wrappers of PowerShell and reflection.
function Get-InnerException {
    param($Exception)
    while ($null -ne $Exception.InnerException -and
        ($Exception -is [System.Reflection.TargetInvocationException] -or
        $Exception -is [System.Management.Automation.MethodInvocationException])) {
        $Exception = $Exception.InnerException
    }
    return $Exception
}

# Calls a method of a COM interface through reflection (no cmdlet sees the arguments). Arguments
# (an object[]; left untyped so that it is the caller's array) receives out parameters in place.
# Returns $null on success, else the exception ENTSSO raised (unwrapped).
function Invoke-InterfaceMethod {
    param($Assembly, [string] $Interface, [string] $Class, [string] $Method, $Arguments)
    $interfaceType = Get-InteropType $Assembly $Interface
    $classType = Get-InteropClass $Assembly $Class
    $methodInfo = $interfaceType.GetMethod($Method)
    if ($null -eq $methodInfo) {
        Stop-Bridge $ExitEnvironment "$Interface has no method ${Method}: unsupported ENTSSO version"
    }
    $object = $null
    try {
        $object = [Activator]::CreateInstance($classType)
    } catch {
        $hresult = Format-Hresult (Get-InnerException $_.Exception).HResult
        Stop-Bridge $ExitEnvironment ("cannot create the ENTSSO COM object $($classType.FullName) " +
            "($hresult): repair the Enterprise Single Sign-On installation")
    }
    try {
        [void] $methodInfo.Invoke($object, $Arguments)
        return $null
    } catch {
        return (Get-InnerException $_.Exception)
    } finally {
        if ($null -ne $object -and [Runtime.InteropServices.Marshal]::IsComObject($object)) {
            [void] [Runtime.InteropServices.Marshal]::ReleaseComObject($object)
        }
        $Error.Clear()
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

function Format-Hresult {
    param([long] $Value)
    return ('0x{0:X8}' -f ($Value -band $Mask32))
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
    $hex = Format-Hresult $Code
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

function Get-SecretServerFromCom {
    param($Assembly)
    $arguments = New-Object object[] 10
    $failure = Invoke-InterfaceMethod $Assembly 'ISSOAdmin' 'SSOAdmin' 'GetGlobalInfo' $arguments
    if ($null -ne $failure) {
        Write-Diagnostic "ISSOAdmin.GetGlobalInfo failed ($(Format-Hresult $failure.HResult)); trying ssomanage -displaydb"
        return ''
    }
    return [string] $arguments[7]
}

function Get-SecretServerFromSsomanage {
    $ssomanage = Join-Path (Get-SsoFolder) 'ssomanage.exe'
    if (-not (Test-Path -LiteralPath $ssomanage -PathType Leaf)) { return '' }
    $output = ''
    # Windows PowerShell turns redirected native stderr into error records: with 'Stop' the first
    # stderr line would end the script.
    $ErrorActionPreference = 'Continue'
    try {
        $output = & $ssomanage -displaydb 2>&1 | Out-String
    } catch {
        $Error.Clear()
        return ''
    }
    if ($LASTEXITCODE -ne 0) { return '' }
    # e.g. "Secret Server Name : SSOBTS" (wording varies between versions).
    $match = [regex]::Match($output, '(?im)^\s*(?:SSO\s+)?secret\s+server(?:\s+name)?\s*:\s*(\S+)\s*$')
    if ($match.Success) { return $match.Groups[1].Value }
    return ''
}

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

function Get-SecretServer {
    param($Assembly)
    $name = Get-SecretServerFromCom $Assembly
    if ($name -eq '') { $name = Get-SecretServerFromSsomanage }
    if ($name -eq '') { $name = Get-SecretServerFromDatabase }
    return $name
}

function Test-SameComputer {
    param([string] $Left, [string] $Right)
    if ($Left -eq '' -or $Right -eq '') { return $false }
    $leftHost = $Left.Split('.')[0]
    $rightHost = $Right.Split('.')[0]
    return [string]::Equals($leftHost, $rightHost, [StringComparison]::OrdinalIgnoreCase)
}

function ConvertTo-ResourceState {
    param([string] $State)
    switch ($State) {
        'Online' { return 'online' }
        'Offline' { return 'offline' }
        'Failed' { return 'failed' }
        'OnlinePending' { return 'pending' }
        'OfflinePending' { return 'pending' }
        'Pending' { return 'pending' }
    }
    return 'unknown'
}

# The SSO cluster group seen from this node, or $null. Also returns the group's network names.
function Get-SsoCluster {
    if ($null -eq (Get-Service -Name 'ClusSvc' -ErrorAction SilentlyContinue)) { return $null }
    if ($null -eq (Get-Module -ListAvailable -Name 'FailoverClusters')) {
        Write-Diagnostic ('warning: the Cluster service is installed but the FailoverClusters ' +
            'module is missing, so "cluster" is reported as null: install it with ' +
            '"Install-WindowsFeature RSAT-Clustering-PowerShell"')
        return $null
    }
    try {
        Import-Module -Name 'FailoverClusters' -Verbose:$false
        $cluster = Get-Cluster
    } catch {
        Write-Diagnostic "note: this computer is not an active cluster node ($($_.Exception.Message)); `"cluster`" is null"
        $Error.Clear()
        return $null
    }
    $resource = $null
    foreach ($candidate in @(Get-ClusterResource -Cluster $cluster.Name)) {
        if ($candidate.ResourceType.Name -ne 'Generic Service') { continue }
        $parameter = $candidate | Get-ClusterParameter -Name 'ServiceName' -ErrorAction SilentlyContinue
        if ($null -ne $parameter -and [string]::Equals([string] $parameter.Value, 'ENTSSO',
                [StringComparison]::OrdinalIgnoreCase)) {
            $resource = $candidate
            break
        }
    }
    if ($null -eq $resource) {
        Write-Diagnostic "note: cluster $($cluster.Name) has no Generic Service resource for ENTSSO; `"cluster`" is null"
        return $null
    }
    $group = Get-ClusterGroup -Cluster $cluster.Name -Name $resource.OwnerGroup.Name
    $ownerNode = ''
    if ($null -ne $group.OwnerNode) { $ownerNode = [string] $group.OwnerNode.Name }
    $owners = New-Object 'System.Collections.Generic.List[string]'
    foreach ($entry in @(Get-ClusterOwnerNode -Cluster $cluster.Name -Resource $resource.Name)) {
        foreach ($node in @($entry.OwnerNodes)) { $owners.Add([string] $node.Name) }
    }
    $networkNames = New-Object 'System.Collections.Generic.List[string]'
    foreach ($member in @(Get-ClusterResource -Cluster $cluster.Name | Where-Object {
                $_.OwnerGroup.Name -eq $group.Name -and $_.ResourceType.Name -eq 'Network Name' })) {
        $name = $member | Get-ClusterParameter -Name 'Name' -ErrorAction SilentlyContinue
        if ($null -ne $name -and [string] $name.Value -ne '') { $networkNames.Add([string] $name.Value) }
    }
    $info = [ordered]@{}
    $info['name'] = [string] $cluster.Name
    $info['node'] = [string] $env:COMPUTERNAME
    $info['group'] = [string] $group.Name
    $info['owner_node'] = $ownerNode
    $info['possible_owners'] = [string[]] $owners.ToArray()
    $info['resource_state'] = ConvertTo-ResourceState ([string] $resource.State)
    return , @($info, [string[]] $networkNames.ToArray())
}

# --- MSIDs --------------------------------------------------------------------------------------

function ConvertTo-Msid {
    param([string] $Text)
    $guid = [guid]::Empty
    if (-not [guid]::TryParse($Text, [ref] $guid)) { return $null }
    return '{' + $guid.ToString().ToUpperInvariant() + '}'
}

# The GUID subkeys of SSOSS (this computer's secrets), or $null when the key cannot be read.
function Get-RegistryMsids {
    try {
        $keys = @(Get-ChildItem -LiteralPath $SsossKey -ErrorAction Stop)
    } catch {
        $Error.Clear()
        return $null
    }
    $msids = New-Object 'System.Collections.Generic.List[string]'
    foreach ($key in $keys) {
        $msid = ConvertTo-Msid $key.PSChildName
        if ($null -ne $msid) { $msids.Add($msid) }
    }
    return , $msids.ToArray()
}

# The MSIDs named by one event, in the order of its insertion strings.
function Get-EventMsids {
    param($Record)
    $msids = New-Object 'System.Collections.Generic.List[string]'
    foreach ($property in @($Record.Properties)) {
        foreach ($match in [regex]::Matches([string] $property.Value, $GuidPattern)) {
            $msid = ConvertTo-Msid $match.Value
            if ($null -ne $msid -and -not $msids.Contains($msid)) { $msids.Add($msid) }
        }
    }
    return , $msids.ToArray()
}

function Test-EventNamesFile {
    param($Record, [string] $File)
    foreach ($property in @($Record.Properties)) {
        if ([string]::Equals(([string] $property.Value).Trim(), $File, [StringComparison]::OrdinalIgnoreCase)) {
            return $true
        }
    }
    return $false
}

function Get-EntssoEvents {
    param([int[]] $Ids, $Since)
    $filter = @{ LogName = 'Application'; ProviderName = 'ENTSSO'; Id = $Ids }
    if ($null -ne $Since) { $filter['StartTime'] = $Since }
    # Newest first; none (and a suppressed "No events were found") when the log has none.
    $records = @(Get-WinEvent -FilterHashtable $filter -MaxEvents 50 -ErrorAction SilentlyContinue)
    $Error.Clear()
    return , $records
}

# After backup (10559), restore (10523) or generate (10525): the MSIDs from the operation's own
# event, waiting up to 10 seconds for it. Returns @(current, previous) or $null.
function Wait-OperationMsids {
    param([int] $EventId, [string] $File, $Since)
    for ($attempt = 0; $attempt -lt 20; $attempt++) {
        $records = Get-EntssoEvents @($EventId) $Since
        $chosen = $null
        foreach ($record in $records) {
            if (Test-EventNamesFile $record $File) { $chosen = $record; break }
        }
        if ($null -eq $chosen -and $records.Count -eq 1) { $chosen = $records[0] }
        if ($null -ne $chosen) {
            $msids = Get-EventMsids $chosen
            if ($msids.Count -ge 1) {
                $previous = $null
                if ($msids.Count -ge 2) { $previous = $msids[1] }
                return , @($msids[0], $previous)
            }
        }
        Start-Sleep -Milliseconds 500
    }
    return $null
}

# The live MSIDs for status: @(current, previous), each possibly $null.
function Get-LiveMsids {
    $registry = Get-RegistryMsids
    $current = $null
    $previous = $null
    $records = Get-EntssoEvents @(10559, 10523, 10525) $null
    # Newest first. A 10525 (generate) names the new secret only; the previous one is the current
    # secret of the newest backup or restore before it.
    foreach ($record in $records) {
        $msids = Get-EventMsids $record
        if ($msids.Count -eq 0) { continue }
        if ($null -eq $current) {
            $current = $msids[0]
            if ($record.Id -ne 10525) {
                if ($msids.Count -ge 2) { $previous = $msids[1] }
                break
            }
            continue
        }
        if ($msids[0] -ne $current) { $previous = $msids[0] }
        break
    }
    if ($null -ne $registry -and $registry.Count -gt 0) {
        if ($null -eq $current -or -not ($registry -contains $current)) {
            $current = $null
            $previous = $null
            if ($registry.Count -eq 1) { $current = $registry[0] }
        } elseif ($null -ne $previous -and -not ($registry -contains $previous)) {
            $previous = $null
        }
    } elseif ($null -ne $registry) {
        # SSOSS is readable and empty: this computer holds no secret.
        $current = $null
        $previous = $null
    }
    if ($null -eq $current) {
        Write-Diagnostic ('note: the current MSID is not known here (no ENTSSO backup, restore or ' +
            'generate event in the Application log, or no secret in this registry); it is null')
    }
    return , @($current, $previous)
}

# --- operations ---------------------------------------------------------------------------------

function Invoke-Status {
    param($Assembly)
    $computer = [string] $env:COMPUTERNAME
    $secretServer = Get-SecretServer $Assembly
    if ($secretServer -eq '') {
        Stop-Bridge $ExitEnvironment ('cannot find the master secret server name (ISSOAdmin.' +
            'GetGlobalInfo, ssomanage -displaydb and the SSO database all failed): check that ' +
            'this account is an SSO administrator and that the SSO database is reachable')
    }
    $service = Get-Service -Name 'ENTSSO'
    $serviceState = 'stopped'
    if ($service.Status -eq [System.ServiceProcess.ServiceControllerStatus]::Running) {
        $serviceState = 'running'
    }
    $clusterInfo = $null
    $networkNames = @()
    $clusterResult = Get-SsoCluster
    if ($null -ne $clusterResult) {
        $clusterInfo = $clusterResult[0]
        $networkNames = $clusterResult[1]
    }
    $isSecretServer = Test-SameComputer $secretServer $computer
    if (-not $isSecretServer -and $null -ne $clusterInfo -and
        (Test-SameComputer $clusterInfo['owner_node'] $computer)) {
        foreach ($networkName in $networkNames) {
            if (Test-SameComputer $secretServer $networkName) { $isSecretServer = $true }
        }
    }
    $msids = Get-LiveMsids

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
    if ($Name -eq 'generate') { $previousBefore = (Get-LiveMsids)[0] }
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
        $registry = Get-RegistryMsids
        if ($null -ne $registry -and $registry.Count -eq 1) {
            $msids = @($registry[0], $null)
        } else {
            Stop-Bridge $ExitNoMsid ("ENTSSO completed $method for $path but no ENTSSO event " +
                "$eventId in the Application log names its MSIDs: check the Application log " +
                '(source ENTSSO) and that ENTSSO auditing writes events')
        }
    }
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

if ($args.Count -gt 0 -or $Operations -cnotcontains $Operation) {
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
    $assembly = Import-SsoInterop

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
