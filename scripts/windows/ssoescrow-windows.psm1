<#
.SYNOPSIS
What sso-bridge.ps1 and collect-topology.ps1 both need: the ENTSSO interop assembly and its COM
calls, the master secret server's name (ISSOAdmin.GetGlobalInfo, then 'ssomanage -displaydb'),
and the failover cluster seen from this node (which node owns the group of the ENTSSO resource).

.DESCRIPTION
Every call that reaches Windows (COM, ssomanage, the FailoverClusters cmdlets) sits in one small
function of its own, so that the tests (tests/powershell) replace it with a Pester mock and run
the logic around it on any PowerShell. Windows PowerShell 5.1 and PowerShell 7 both load this
module: no 7-only syntax (the tests parse it and refuse any).

Errors: a function that cannot work in this environment (no ENTSSO interop, an unsupported
ENTSSO version) throws an SsoEnvironmentError (Get-SsoEnvironmentMessage tells whether an error
record is one); the caller decides how to end. Exception texts of COM calls are never used:
the arguments of a call may hold a password.
#>
Set-StrictMode -Version Latest

$script:InteropNamespace = 'Microsoft.EnterpriseSingleSignOn.Interop'
$script:Mask32 = [long] 4294967295  # 0xFFFFFFFF as a 64-bit value
$script:EnvironmentPrefix = 'SsoEnvironmentError: '
# "Secret Server Name : SSOBTS" (wording varies between versions).
$script:DisplayDbPattern = '(?im)^\s*(?:SSO\s+)?secret\s+server(?:\s+name)?\s*:\s*(\S+)\s*$'

# --- errors -------------------------------------------------------------------------------------

function New-SsoEnvironmentError {
    param([string] $Message)
    return (New-Object System.InvalidOperationException -ArgumentList ($script:EnvironmentPrefix + $Message))
}

# The message of an environment error raised by this module, or $null for any other error.
function Get-SsoEnvironmentMessage {
    param($ErrorRecord)
    $exception = $ErrorRecord
    if ($ErrorRecord -is [System.Management.Automation.ErrorRecord]) { $exception = $ErrorRecord.Exception }
    while ($null -ne $exception) {
        if ($exception -is [System.InvalidOperationException] -and
            $exception.Message.StartsWith($script:EnvironmentPrefix)) {
            return $exception.Message.Substring($script:EnvironmentPrefix.Length)
        }
        $exception = $exception.InnerException
    }
    return $null
}

function Format-SsoHresult {
    param([long] $Value)
    return ('0x{0:X8}' -f ($Value -band $script:Mask32))
}

# --- ENTSSO through COM -------------------------------------------------------------------------

function Get-SsoFolder {
    # The 64-bit variable: a 32-bit host sees the x86 Common Files folder otherwise.
    $commonFiles = $env:CommonProgramW6432
    if ([string]::IsNullOrEmpty($commonFiles)) { $commonFiles = $env:CommonProgramFiles }
    if ([string]::IsNullOrEmpty($commonFiles)) { return 'Enterprise Single Sign-On' }
    return (Join-Path $commonFiles 'Enterprise Single Sign-On')
}

function Import-SsoInterop {
    $path = Join-Path (Get-SsoFolder) "$script:InteropNamespace.dll"
    if (-not (Test-Path -LiteralPath $path -PathType Leaf)) {
        throw (New-SsoEnvironmentError ("$path not found: install or repair Enterprise Single " +
                'Sign-On (BizTalk Server setup), then run this again'))
    }
    try {
        return [System.Reflection.Assembly]::LoadFrom($path)
    } catch {
        throw (New-SsoEnvironmentError "cannot load ${path}: $($_.Exception.Message)")
    }
}

function Get-SsoInteropType {
    param($Assembly, [string] $Name)
    $type = $Assembly.GetType("$script:InteropNamespace.$Name", $false)
    if ($null -eq $type) {
        throw (New-SsoEnvironmentError ("$($Assembly.Location) has no type " +
                "$script:InteropNamespace.${Name}: this ENTSSO version is not supported"))
    }
    return $type
}

# The creatable class of a coclass: tlbimp turns coclass X into an interface X marked with
# [CoClass(typeof(XClass))].
function Get-SsoInteropClass {
    param($Assembly, [string] $Name)
    $type = Get-SsoInteropType $Assembly $Name
    if ($type.IsInterface) {
        $marks = @($type.GetCustomAttributes([Runtime.InteropServices.CoClassAttribute], $false))
        if ($marks.Count -gt 0) { return $marks[0].CoClass }
        return (Get-SsoInteropType $Assembly "${Name}Class")
    }
    return $type
}

# The exception a .NET method raised, without the wrappers of PowerShell and reflection.
function Get-SsoInnerException {
    param($Exception)
    while ($null -ne $Exception.InnerException -and
        ($Exception -is [System.Reflection.TargetInvocationException] -or
        $Exception -is [System.Management.Automation.MethodInvocationException])) {
        $Exception = $Exception.InnerException
    }
    return $Exception
}

# Calls a method of an ENTSSO COM interface through reflection (no cmdlet sees the arguments).
# Arguments (an object[]; left untyped so that it is the caller's array) receives out parameters
# in place. Returns $null on success, else the exception ENTSSO raised (unwrapped). Its message
# is never used: the arguments may hold a password.
function Invoke-SsoComMethod {
    param($Assembly, [string] $Interface, [string] $Class, [string] $Method, $Arguments)
    $interfaceType = Get-SsoInteropType $Assembly $Interface
    $classType = Get-SsoInteropClass $Assembly $Class
    $methodInfo = $interfaceType.GetMethod($Method)
    if ($null -eq $methodInfo) {
        throw (New-SsoEnvironmentError "$Interface has no method ${Method}: unsupported ENTSSO version")
    }
    $object = $null
    try {
        $object = [Activator]::CreateInstance($classType)
    } catch {
        $hresult = Format-SsoHresult (Get-SsoInnerException $_.Exception).HResult
        $Error.Clear()
        throw (New-SsoEnvironmentError ("cannot create the ENTSSO COM object " +
                "$($classType.FullName) ($hresult): repair the Enterprise Single Sign-On installation"))
    }
    try {
        [void] $methodInfo.Invoke($object, $Arguments)
        return $null
    } catch {
        return (Get-SsoInnerException $_.Exception)
    } finally {
        if ($null -ne $object -and [Runtime.InteropServices.Marshal]::IsComObject($object)) {
            [void] [Runtime.InteropServices.Marshal]::ReleaseComObject($object)
        }
        $Error.Clear()
    }
}

# ISSOAdmin.GetGlobalInfo(flags, auditAppDeleteMax, auditMappingDeleteMax, auditNtpLookupMax,
# auditXpLookupMax, ticketTimeout, creditCardMask, secretServer, ssoAdminGroup, affiliateAppMgrGroup):
# the secret server is the 8th argument. '' when the call fails (the failure's HRESULT goes to
# stderr through $Diagnostic, a script block taking one string).
function Get-SsoSecretServerFromCom {
    param($Assembly, [scriptblock] $Diagnostic = $null)
    if ($null -eq $Assembly) { return '' }
    $arguments = New-Object object[] 10
    $failure = Invoke-SsoComMethod $Assembly 'ISSOAdmin' 'SSOAdmin' 'GetGlobalInfo' $arguments
    if ($null -ne $failure) {
        if ($null -ne $Diagnostic) {
            & $Diagnostic "ISSOAdmin.GetGlobalInfo failed ($(Format-SsoHresult $failure.HResult)); trying ssomanage -displaydb"
        }
        return ''
    }
    return ([string] $arguments[7]).Trim()
}

# ISSOConfigOM.GetServerStatus(flags, ssoServerName, sqlServer, sqlDatabase, serviceAccount,
# computerNameCluster, computerNameNode, eventCountInformational, eventCountWarning,
# eventCountError, versionInfoM, versionInfoL, auditLevelN, auditLevelP, passwordSyncAge,
# statusFlags): the service account and the audit levels, or $null when the call fails.
function Get-SsoServerStatus {
    param($Assembly)
    if ($null -eq $Assembly) { return $null }
    $arguments = New-Object object[] 16
    $arguments[0] = 0
    $failure = Invoke-SsoComMethod $Assembly 'ISSOConfigOM' 'SSOConfigOM' 'GetServerStatus' $arguments
    if ($null -ne $failure) { return $null }
    return [pscustomobject] @{
        ServiceAccount        = [string] $arguments[4]
        NegativeAuditLevel    = [int] $arguments[12]
        PositiveAuditLevel    = [int] $arguments[13]
    }
}

# --- ssomanage ----------------------------------------------------------------------------------

# Runs ssomanage.exe with a .NET Process, not the PowerShell call operator: Windows PowerShell 5.1
# turns each line a native command writes to stderr, when redirected, into an error record, and
# with $ErrorActionPreference 'Stop' the first one ends the script (PowerShell issue 3996).
# Returns ExitCode, Output (stdout) and Errors (stderr), or $null when ssomanage is missing.
function Invoke-Ssomanage {
    param([string[]] $Arguments, [string] $Path = '')
    if ($Path -eq '') { $Path = Join-Path (Get-SsoFolder) 'ssomanage.exe' }
    if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) { return $null }
    $start = New-Object System.Diagnostics.ProcessStartInfo
    $start.FileName = $Path
    $quoted = foreach ($argument in $Arguments) {
        if ($argument -match '[\s"]') { '"' + $argument.Replace('"', '\"') + '"' } else { $argument }
    }
    $start.Arguments = ($quoted -join ' ')
    $start.UseShellExecute = $false
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $start.CreateNoWindow = $true
    $process = [System.Diagnostics.Process]::Start($start)
    try {
        # Both streams at once: reading one to its end while the other fills its pipe deadlocks.
        $errorTask = $process.StandardError.ReadToEndAsync()
        $output = $process.StandardOutput.ReadToEnd()
        $process.WaitForExit()
        return [pscustomobject] @{
            ExitCode = $process.ExitCode
            Output   = $output
            Errors   = $errorTask.Result
        }
    } finally {
        $process.Dispose()
    }
}

# The secret server as 'ssomanage -displaydb' prints it, or ''.
function Get-SsoSecretServerFromSsomanage {
    $result = $null
    try {
        $result = Invoke-Ssomanage @('-displaydb')
    } catch {
        $Error.Clear()
        return ''
    }
    if ($null -eq $result -or $result.ExitCode -ne 0) { return '' }
    $match = [regex]::Match([string] $result.Output, $script:DisplayDbPattern)
    if ($match.Success) { return $match.Groups[1].Value }
    return ''
}

# The master secret server: ISSOAdmin.GetGlobalInfo (the SSO database through the ENTSSO service),
# then 'ssomanage -displaydb'; '' when both fail.
function Get-SsoSecretServer {
    param($Assembly, [scriptblock] $Diagnostic = $null)
    $name = ''
    try {
        $name = Get-SsoSecretServerFromCom $Assembly $Diagnostic
    } catch {
        $Error.Clear()
        $name = ''
    }
    if ($name -eq '') { $name = Get-SsoSecretServerFromSsomanage }
    return $name
}

function Test-SsoSameComputer {
    param([string] $Left, [string] $Right)
    if ($Left -eq '' -or $Right -eq '') { return $false }
    $leftHost = $Left.Split('.')[0]
    $rightHost = $Right.Split('.')[0]
    return [string]::Equals($leftHost, $rightHost, [StringComparison]::OrdinalIgnoreCase)
}

# --- the failover cluster -----------------------------------------------------------------------
# Thin wrappers of the FailoverClusters cmdlets (mocked by the tests; the module exists only on
# Windows Server with RSAT-Clustering-PowerShell).

function Test-SsoClusterServiceInstalled {
    return ($null -ne (Get-Service -Name 'ClusSvc' -ErrorAction SilentlyContinue))
}

function Test-SsoClusterModule {
    if ($null -eq (Get-Module -ListAvailable -Name 'FailoverClusters')) { return $false }
    Import-Module -Name 'FailoverClusters' -Verbose:$false
    return $true
}

function Get-SsoClusterObject {
    param([string] $Name = '')
    if ($Name -eq '') { return (Get-Cluster) }
    return (Get-Cluster -Name $Name)
}

function Get-SsoClusterNodeList {
    param([string] $Cluster)
    return @(Get-ClusterNode -Cluster $Cluster)
}

function Get-SsoClusterGroupList {
    param([string] $Cluster)
    return @(Get-ClusterGroup -Cluster $Cluster)
}

function Get-SsoClusterResourceList {
    param([string] $Cluster)
    return @(Get-ClusterResource -Cluster $Cluster)
}

# The private properties of a resource: objects with Name and Value.
function Get-SsoClusterParameterList {
    param($Resource)
    return @($Resource | Get-ClusterParameter -ErrorAction SilentlyContinue)
}

# The names of the possible owner nodes of a resource.
function Get-SsoClusterPossibleOwnerList {
    param([string] $Cluster, [string] $Resource)
    $names = New-Object 'System.Collections.Generic.List[string]'
    foreach ($entry in @(Get-ClusterOwnerNode -Cluster $Cluster -Resource $Resource)) {
        foreach ($node in @($entry.OwnerNodes)) { $names.Add([string] $node.Name) }
    }
    return , $names.ToArray()
}

function Get-SsoNameOf {
    param($Value)
    if ($null -eq $Value) { return '' }
    if ($Value -is [string]) { return $Value }
    if ($null -ne $Value.PSObject.Properties['Name']) { return [string] $Value.Name }
    return [string] $Value
}

function Get-SsoClusterParameterValue {
    param($Resource, [string] $Name)
    foreach ($parameter in @(Get-SsoClusterParameterList $Resource)) {
        if ($null -ne $parameter -and [string]::Equals([string] $parameter.Name, $Name,
                [StringComparison]::OrdinalIgnoreCase)) {
            return $parameter.Value
        }
    }
    return $null
}

function ConvertTo-SsoResourceState {
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

# The cluster group of the ENTSSO Generic Service resource seen from this node, or $null when this
# computer is not an active cluster node, has no FailoverClusters module, or the cluster has no
# ENTSSO resource (Note says why). Asks nothing of ENTSSO or the SSO database: a passive node,
# whose ENTSSO service is stopped, learns from this alone that it does not own the group.
function Get-SsoClusterOwnership {
    param([string] $Computer)
    $result = [pscustomobject] @{ Info = $null; NetworkNames = @(); Note = '' }
    if (-not (Test-SsoClusterServiceInstalled)) {
        $result.Note = 'the Cluster service is not installed here'
        return $result
    }
    if (-not (Test-SsoClusterModule)) {
        $result.Note = ('warning: the Cluster service is installed but the FailoverClusters ' +
            'module is missing, so "cluster" is reported as null: install it with ' +
            '"Install-WindowsFeature RSAT-Clustering-PowerShell"')
        return $result
    }
    try {
        $cluster = Get-SsoClusterObject
    } catch {
        $result.Note = "note: this computer is not an active cluster node ($($_.Exception.Message)); `"cluster`" is null"
        $Error.Clear()
        return $result
    }
    $clusterName = Get-SsoNameOf $cluster
    $resources = @(Get-SsoClusterResourceList $clusterName)
    $resource = $null
    foreach ($candidate in $resources) {
        if ((Get-SsoNameOf $candidate.ResourceType) -ne 'Generic Service') { continue }
        $service = Get-SsoClusterParameterValue $candidate 'ServiceName'
        if ($null -ne $service -and [string]::Equals([string] $service, 'ENTSSO',
                [StringComparison]::OrdinalIgnoreCase)) {
            $resource = $candidate
            break
        }
    }
    if ($null -eq $resource) {
        $result.Note = "note: cluster $clusterName has no Generic Service resource for ENTSSO; `"cluster`" is null"
        return $result
    }
    $groupName = Get-SsoNameOf $resource.OwnerGroup
    $ownerNode = ''
    foreach ($group in @(Get-SsoClusterGroupList $clusterName)) {
        if ((Get-SsoNameOf $group) -eq $groupName) { $ownerNode = Get-SsoNameOf $group.OwnerNode }
    }
    $networkNames = New-Object 'System.Collections.Generic.List[string]'
    foreach ($member in $resources) {
        if ((Get-SsoNameOf $member.OwnerGroup) -ne $groupName) { continue }
        if ((Get-SsoNameOf $member.ResourceType) -ne 'Network Name') { continue }
        $name = Get-SsoClusterParameterValue $member 'Name'
        if ($null -ne $name -and [string] $name -ne '') { $networkNames.Add([string] $name) }
    }
    $info = [ordered]@{}
    $info['name'] = $clusterName
    $info['node'] = $Computer
    $info['group'] = $groupName
    $info['owner_node'] = $ownerNode
    $info['possible_owners'] = [string[]] (Get-SsoClusterPossibleOwnerList $clusterName (Get-SsoNameOf $resource))
    $info['resource_state'] = ConvertTo-SsoResourceState ([string] $resource.State)
    $result.Info = $info
    $result.NetworkNames = [string[]] $networkNames.ToArray()
    return $result
}

Export-ModuleMember -Function @(
    'New-SsoEnvironmentError', 'Get-SsoEnvironmentMessage', 'Format-SsoHresult',
    'Get-SsoFolder', 'Import-SsoInterop', 'Get-SsoInteropType', 'Get-SsoInteropClass',
    'Get-SsoInnerException', 'Invoke-SsoComMethod', 'Get-SsoSecretServerFromCom',
    'Get-SsoServerStatus', 'Invoke-Ssomanage', 'Get-SsoSecretServerFromSsomanage',
    'Get-SsoSecretServer', 'Test-SsoSameComputer', 'Test-SsoClusterServiceInstalled',
    'Test-SsoClusterModule', 'Get-SsoClusterObject', 'Get-SsoClusterNodeList',
    'Get-SsoClusterGroupList', 'Get-SsoClusterResourceList', 'Get-SsoClusterParameterList',
    'Get-SsoClusterPossibleOwnerList', 'Get-SsoNameOf', 'Get-SsoClusterParameterValue',
    'ConvertTo-SsoResourceState', 'Get-SsoClusterOwnership'
)
