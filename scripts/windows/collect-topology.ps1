<#
.SYNOPSIS
Collects the failover-cluster and BizTalk topology into one JSON inventory (schema
ssoescrow-topology/1) for 'ssoescrow topology check --inventory FILE'.

.DESCRIPTION
Run it on one BizTalk server of the group (on a cluster node when the BizTalk servers are
clustered). It reads, without changing anything:
  - the cluster: Get-Cluster, Get-ClusterNode, Get-ClusterGroup, Get-ClusterResource,
    Get-ClusterParameter (ServiceName, UseNetworkName, Name, ...), Get-ClusterOwnerNode
    (possible owners of each resource);
  - BizTalk, WMI namespace root\MicrosoftBizTalkServer: MSBTS_GroupSetting (group name,
    SSOServerName), MSBTS_MsgBoxSetting (MessageBox count), MSBTS_Server, MSBTS_Host,
    MSBTS_HostInstance;
  - the SSO master secret server name, from ISSOAdmin.GetGlobalInfo (the COM lookup the bridge
    uses, module ssoescrow-windows.psm1 beside this script), else 'ssomanage -displaydb' (see
    -SecretServer);
  - optionally SQL Server load figures from a CSV file (-SqlLoadCsv).
The document is written as UTF-8 without byte-order mark, "cluster" is null on a machine that is
not a cluster node (the Cluster service not installed, or installed but this computer not an
active node of a cluster: a warning says so), "sql" is null without -SqlLoadCsv. Extra fields are
never written.

Rights needed:
  - a member of the local Administrators group on a cluster node, or read-only cluster access
    granted with 'Grant-ClusterAccess -User DOMAIN\user -ReadOnly';
  - a member of the BizTalk Server Administrators group (reads the MSBTS_* WMI classes);
  - a member of the SSO Administrators group (for GetGlobalInfo or 'ssomanage -displaydb'),
    unless -SecretServer is given;
  - the FailoverClusters PowerShell module on cluster nodes (Windows feature
    RSAT-Clustering-PowerShell).

.PARAMETER OutFile
Where to write the inventory. Refused if the file exists, unless -Force.

.PARAMETER Cluster
Name of the cluster to inventory. Default: the cluster this machine is a node of; none when the
Cluster service is not installed.

.PARAMETER SecretServer
The SSO master secret server name, when neither ISSOAdmin.GetGlobalInfo nor 'ssomanage -displaydb'
can tell it here.

.PARAMETER SqlLoadCsv
CSV file with columns name,node,cpu_percent,memory_percent: the sustained CPU and memory use of
each SQL Server instance that holds BizTalk databases, in percent of its node (take the figures
from your monitoring; the checklist speaks of instances that "regularly consume" more than half
of a node). Written to "sql"; without it "sql" is null and the passive-node capacity rule is
reported as not applicable.

.PARAMETER Force
Overwrite -OutFile if it exists.

.EXAMPLE
.\collect-topology.ps1 -OutFile C:\Temp\topology.json
Then, on the machine with ssoescrow: ssoescrow topology check --inventory topology.json

.EXAMPLE
.\collect-topology.ps1 -OutFile topology.json -SqlLoadCsv sql-load.csv -SecretServer SSOBTS

.NOTES
Exit code 0 when the file was written, 1 on any error (the message says what is missing).
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)]
    [string] $OutFile,

    [string] $Cluster = '',

    [string] $SecretServer = '',

    [string] $SqlLoadCsv = '',

    [switch] $Force
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

# Shared with sso-bridge.ps1: the secret server lookup and the FailoverClusters wrappers.
Import-Module -Name (Join-Path $PSScriptRoot 'ssoescrow-windows.psm1') -Force -Verbose:$false

$SchemaVersion = 'ssoescrow-topology/1'
$BizTalkNamespace = 'root\MicrosoftBizTalkServer'

function Stop-Collector {
    param([string] $Message)
    Write-Error -Message "collect-topology: $Message" -ErrorAction Continue
    exit 1
}

function Get-TextValue {
    param($Value)
    if ($null -eq $Value) { return '' }
    return [string] $Value
}

# --- the cluster --------------------------------------------------------------------------------

function Get-ClusterInventory {
    param([string] $ClusterName)

    if ($ClusterName -eq '' -and -not (Test-SsoClusterServiceInstalled)) {
        Write-Verbose 'the Cluster service is not installed here: "cluster" is null'
        return $null
    }
    if (-not (Test-SsoClusterModule)) {
        Stop-Collector ('the FailoverClusters PowerShell module is missing: install it with ' +
            '"Install-WindowsFeature RSAT-Clustering-PowerShell" (run as administrator), then run ' +
            'the collector again')
    }

    try {
        $clusterObject = Get-SsoClusterObject $ClusterName
    } catch {
        $reason = $_.Exception.Message
        $Error.Clear()
        if ($ClusterName -ne '') {
            Stop-Collector ("cannot read the cluster ${ClusterName}: $reason. Run the collector on a " +
                'cluster node as a local administrator, or get read-only access with Grant-ClusterAccess')
        }
        # The Cluster service is installed (a node evicted, the cluster not formed yet, the
        # service stopped) but this computer is not an active node: no cluster to inventory.
        Write-Warning ("the Cluster service is installed but this computer is not an active " +
            "cluster node ($reason): `"cluster`" is null; give -Cluster NAME to inventory a " +
            'cluster from here')
        return $null
    }
    $name = Get-SsoNameOf $clusterObject

    $nodes = @(Get-SsoClusterNodeList $name | ForEach-Object {
            [ordered]@{ name = Get-SsoNameOf $_; state = [string] $_.State }
        })

    $groups = @(Get-SsoClusterGroupList $name | ForEach-Object {
            [ordered]@{ name = Get-SsoNameOf $_; owner_node = Get-SsoNameOf $_.OwnerNode; state = [string] $_.State }
        })

    $resources = @(Get-SsoClusterResourceList $name | ForEach-Object {
            $resource = $_
            # Possible owners of the resource (Get-ClusterOwnerNode -Resource), not the preferred
            # owners of its group.
            $possible = @(Get-SsoClusterPossibleOwnerList $name (Get-SsoNameOf $resource) | ForEach-Object { $_ })
            # Private properties: ServiceName marks a Generic Service (ENTSSO, BTSSvc$<Host>,
            # W3SVC), UseNetworkName its "Use Network Name for computer name" flag, Name a
            # Network Name. Only strings and integers are kept.
            $parameters = [ordered]@{}
            foreach ($parameter in @(Get-SsoClusterParameterList $resource)) {
                $value = $parameter.Value
                if ($value -is [string]) {
                    $parameters[$parameter.Name] = $value
                } elseif ($value -is [int] -or $value -is [uint32] -or $value -is [long] -or
                    $value -is [uint64]) {
                    $parameters[$parameter.Name] = [long] $value
                }
            }
            [ordered]@{
                name            = Get-SsoNameOf $resource
                group           = Get-SsoNameOf $resource.OwnerGroup
                type            = Get-SsoNameOf $resource.ResourceType
                state           = [string] $resource.State
                owner_node      = Get-SsoNameOf $resource.OwnerNode
                possible_owners = [object[]] $possible
                parameters      = $parameters
            }
        })

    return [ordered]@{
        name      = $name
        nodes     = [object[]] $nodes
        groups    = [object[]] $groups
        resources = [object[]] $resources
    }
}

# --- BizTalk ------------------------------------------------------------------------------------

# The instances of one BizTalk WMI class (mocked by the tests).
function Get-BizTalkWmiInstance {
    param([string] $ClassName)
    return @(Get-CimInstance -Namespace $BizTalkNamespace -ClassName $ClassName)
}

# Whether the BizTalk WMI namespace exists here (mocked by the tests).
function Test-BizTalkNamespace {
    $namespace = Get-CimInstance -Namespace 'root' -ClassName '__NAMESPACE' `
        -Filter "Name='MicrosoftBizTalkServer'" -ErrorAction SilentlyContinue
    return ($null -ne $namespace)
}

function Get-BizTalkClass {
    param([string] $ClassName)
    try {
        return @(Get-BizTalkWmiInstance $ClassName)
    } catch {
        Stop-Collector ("cannot read WMI class $ClassName in namespace ${BizTalkNamespace}: " +
            "$($_.Exception.Message). Run the collector on a configured BizTalk server, as a member " +
            'of the BizTalk Server Administrators group')
    }
}

function Get-BizTalkInventory {
    if (-not (Test-BizTalkNamespace)) {
        Stop-Collector ("the WMI namespace $BizTalkNamespace does not exist here: run the collector " +
            'on a BizTalk server whose BizTalk group is configured')
    }

    $group = @(Get-BizTalkClass 'MSBTS_GroupSetting')
    if ($group.Count -ne 1) {
        Stop-Collector "expected one MSBTS_GroupSetting instance, found $($group.Count)"
    }
    $messageBoxes = @(Get-BizTalkClass 'MSBTS_MsgBoxSetting')
    $servers = @(Get-BizTalkClass 'MSBTS_Server' | ForEach-Object { $_.Name })

    $hosts = @(Get-BizTalkClass 'MSBTS_Host' | ForEach-Object {
            # HostType: 1 in-process, 2 isolated.
            $type = 'in-process'
            if ([int] $_.HostType -eq 2) { $type = 'isolated' }
            [ordered]@{
                name          = $_.Name
                type          = $type
                tracking      = [bool] $_.HostTracking
                cluster_group = Get-TextValue $_.ClusterResourceGroupName
            }
        })

    $serverSet = @{}
    foreach ($server in $servers) { $serverSet[$server.ToUpperInvariant()] = $true }
    $instances = @(Get-BizTalkClass 'MSBTS_HostInstance' | Where-Object {
            # ConfigurationState 1 = installed; other states never run.
            if ([int] $_.ConfigurationState -ne 1) {
                Write-Warning "skipping host instance $($_.HostName) on $($_.RunningServer): not installed (ConfigurationState $($_.ConfigurationState))"
                return $false
            }
            # A clustered virtual instance (ClusterInstanceType 2) that does not name a BizTalk
            # server stands for the clustered host as a whole; its per-node instances are listed.
            if ([int] $_.ClusterInstanceType -eq 2 -and
                -not $serverSet.ContainsKey(([string] $_.RunningServer).ToUpperInvariant())) {
                Write-Verbose "skipping clustered virtual instance $($_.HostName) on $($_.RunningServer)"
                return $false
            }
            return $true
        } | ForEach-Object {
            [ordered]@{
                host                  = $_.HostName
                server                = $_.RunningServer
                cluster_instance_type = [long] $_.ClusterInstanceType
                disabled              = [bool] $_.IsDisabled
            }
        })

    return [ordered]@{
        group            = Get-TextValue $group[0].Name
        sso_server       = Get-TextValue $group[0].SSOServerName
        messagebox_count = [long] $messageBoxes.Count
        servers          = [object[]] $servers
        hosts            = [object[]] $hosts
        host_instances   = [object[]] $instances
    }
}

# --- the SSO master secret server ---------------------------------------------------------------

function Get-SecretServerName {
    param([string] $Override)
    if ($Override -ne '') { return $Override }

    # reference/entsso-facts.md, "Finding the master secret server": ISSOAdmin.GetGlobalInfo (the
    # SSO database through ENTSSO, as the bridge asks), then 'ssomanage -displaydb'.
    $assembly = $null
    try {
        $assembly = Import-SsoInterop
    } catch {
        Write-Verbose "no ENTSSO interop here: $($_.Exception.Message)"
        $Error.Clear()
    }
    $name = ''
    if ($null -ne $assembly) {
        try {
            $name = Get-SsoSecretServerFromCom $assembly { param([string] $Text) Write-Verbose $Text }
        } catch {
            Write-Verbose "ISSOAdmin.GetGlobalInfo failed: $($_.Exception.Message)"
            $Error.Clear()
        }
    }
    if ($name -ne '') { return $name }

    # The fallback. ssomanage runs through a .NET process (Invoke-Ssomanage), so that its stderr
    # cannot become a terminating error under Windows PowerShell 5.1.
    $result = Invoke-Ssomanage @('-displaydb')
    if ($null -eq $result) {
        Stop-Collector ("ISSOAdmin.GetGlobalInfo did not answer and ssomanage.exe was not found in " +
            "$(Get-SsoFolder): run the collector on an SSO server, or give the master secret " +
            'server name with -SecretServer')
    }
    $output = [string] $result.Output
    if ($result.ExitCode -ne 0) {
        Stop-Collector ("'ssomanage -displaydb' failed (exit code $($result.ExitCode)): " +
            "$(($output + ' ' + [string] $result.Errors).Trim()). Run as a member of SSO " +
            'Administrators, or give the name with -SecretServer')
    }
    $match = [regex]::Match($output, '(?im)^\s*(?:SSO\s+)?secret\s+server(?:\s+name)?\s*:\s*(\S+)\s*$')
    if (-not $match.Success) {
        Stop-Collector ("no secret server name in the output of 'ssomanage -displaydb'; give it " +
            'with -SecretServer. Output was: ' + $output.Trim())
    }
    return $match.Groups[1].Value
}

# --- SQL Server load ----------------------------------------------------------------------------

function Get-SqlInventory {
    param([string] $CsvPath)
    if ($CsvPath -eq '') { return $null }
    if (-not (Test-Path -LiteralPath $CsvPath -PathType Leaf)) {
        Stop-Collector "the SQL load file $CsvPath does not exist"
    }
    $culture = [Globalization.CultureInfo]::InvariantCulture
    $rows = @(Import-Csv -LiteralPath $CsvPath)
    $instances = @(for ($i = 0; $i -lt $rows.Count; $i++) {
            $row = $rows[$i]
            foreach ($column in 'name', 'node', 'cpu_percent', 'memory_percent') {
                if ($row.PSObject.Properties.Name -notcontains $column -or
                    [string]::IsNullOrWhiteSpace($row.$column)) {
                    Stop-Collector "${CsvPath}: row $($i + 2): column '$column' is missing or empty"
                }
            }
            $figures = @{}
            foreach ($column in 'cpu_percent', 'memory_percent') {
                $value = 0.0
                if (-not [double]::TryParse($row.$column, [Globalization.NumberStyles]::Float,
                        $culture, [ref] $value) -or $value -lt 0 -or $value -gt 100) {
                    Stop-Collector "${CsvPath}: row $($i + 2): $column must be a number from 0 to 100"
                }
                $figures[$column] = $value
            }
            [ordered]@{
                name           = $row.name
                node           = $row.node
                cpu_percent    = $figures['cpu_percent']
                memory_percent = $figures['memory_percent']
            }
        })
    return [ordered]@{ instances = [object[]] $instances }
}

# --- main ---------------------------------------------------------------------------------------

function Invoke-Collector {
    $target = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($OutFile)
    if ((Test-Path -LiteralPath $target) -and -not $Force) {
        Stop-Collector "$target exists; use -Force to overwrite it"
    }

    $inventory = [ordered]@{
        schema       = $SchemaVersion
        collected_at = (Get-Date).ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'",
            [Globalization.CultureInfo]::InvariantCulture)
        cluster      = Get-ClusterInventory -ClusterName $Cluster
        sso          = [ordered]@{ secret_server = Get-SecretServerName -Override $SecretServer }
        biztalk      = Get-BizTalkInventory
        sql          = Get-SqlInventory -CsvPath $SqlLoadCsv
    }

    $json = ConvertTo-Json -InputObject $inventory -Depth 10
    $utf8NoBom = New-Object System.Text.UTF8Encoding -ArgumentList $false
    try {
        [System.IO.File]::WriteAllText($target, $json + "`n", $utf8NoBom)
    } catch {
        Stop-Collector "cannot write ${target}: $($_.Exception.Message)"
    }
    Write-Host "collect-topology: wrote $target"
}

# Dot-sourced (the tests), the script only defines its functions.
if ($MyInvocation.InvocationName -ne '.') {
    Invoke-Collector
    exit 0
}
