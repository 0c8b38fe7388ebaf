# collect-topology.ps1: its functions dot-sourced, the cluster cmdlets, BizTalk WMI, ENTSSO and
# ssomanage replaced by Pester mocks; ssomanage's stderr handling run against a real process.
BeforeAll {
    $script:Collector = (Resolve-Path (Join-Path $PSScriptRoot '../../scripts/windows/collect-topology.ps1')).Path
    . $Collector -OutFile (Join-Path $TestDrive 'unused.json')
    $ErrorActionPreference = 'Stop'
}

Describe 'collect-topology.ps1' {
    BeforeEach {
        Mock Stop-Collector { throw "Stop-Collector $Message" }
    }

    Context 'the cluster' {
        It 'the Cluster service installed but this computer not an active node: "cluster" is null' {
            Mock Test-SsoClusterServiceInstalled { $true }
            Mock Test-SsoClusterModule { $true }
            Mock Get-SsoClusterObject { throw 'The cluster service is not running on this node' }
            Mock Write-Warning { }
            Get-ClusterInventory -ClusterName '' | Should -BeNullOrEmpty
            Should -Invoke Stop-Collector -Times 0
            Should -Invoke Write-Warning -Times 1 -ParameterFilter { $Message -like '*not an active cluster node*' }
        }

        It 'a cluster named with -Cluster that cannot be read is an error' {
            Mock Test-SsoClusterModule { $true }
            Mock Get-SsoClusterObject { throw 'no such cluster' }
            { Get-ClusterInventory -ClusterName 'CL9' } | Should -Throw -ExpectedMessage 'Stop-Collector cannot read the cluster CL9*'
        }

        It 'no Cluster service: "cluster" is null without asking the cmdlets' {
            Mock Test-SsoClusterServiceInstalled { $false }
            Mock Get-SsoClusterObject { throw 'must not be called' }
            Get-ClusterInventory -ClusterName '' | Should -BeNullOrEmpty
        }

        It 'inventories nodes, groups, resources, possible owners and parameters' {
            Mock Test-SsoClusterServiceInstalled { $true }
            Mock Test-SsoClusterModule { $true }
            Mock Get-SsoClusterObject { [pscustomobject] @{ Name = 'CL1' } }
            Mock Get-SsoClusterNodeList { @([pscustomobject] @{ Name = 'N1'; State = 'Up' }, [pscustomobject] @{ Name = 'N2'; State = 'Down' }) }
            Mock Get-SsoClusterGroupList { @([pscustomobject] @{ Name = 'SSOGRP'; OwnerNode = [pscustomobject] @{ Name = 'N1' }; State = 'Online' }) }
            Mock Get-SsoClusterResourceList {
                @([pscustomobject] @{ Name = 'SSO'; OwnerGroup = [pscustomobject] @{ Name = 'SSOGRP' };
                        ResourceType = [pscustomobject] @{ Name = 'Generic Service' }; State = 'Online';
                        OwnerNode = [pscustomobject] @{ Name = 'N1' } })
            }
            Mock Get-SsoClusterPossibleOwnerList { , [string[]] @('N1', 'N2') }
            Mock Get-SsoClusterParameterList {
                @([pscustomobject] @{ Name = 'ServiceName'; Value = 'ENTSSO' },
                    [pscustomobject] @{ Name = 'UseNetworkName'; Value = [uint32] 1 },
                    [pscustomobject] @{ Name = 'Blob'; Value = [byte[]] @(1, 2) })
            }
            $cluster = Get-ClusterInventory -ClusterName ''
            $cluster.name | Should -Be 'CL1'
            $cluster.nodes[1].state | Should -Be 'Down'
            $cluster.groups[0].owner_node | Should -Be 'N1'
            $resource = $cluster.resources[0]
            $resource.type | Should -Be 'Generic Service'
            $resource.possible_owners | Should -Be @('N1', 'N2')
            $resource.parameters['ServiceName'] | Should -Be 'ENTSSO'
            $resource.parameters['UseNetworkName'] | Should -Be 1
            $resource.parameters.Contains('Blob') | Should -BeFalse
        }
    }

    Context 'the master secret server' {
        BeforeEach {
            Mock Import-SsoInterop { [pscustomobject] @{ Location = 'interop' } }
        }

        It 'comes from the shared COM lookup (ISSOAdmin.GetGlobalInfo) first; ssomanage is not run' {
            Mock Get-SsoSecretServerFromCom { 'SSOVN' }
            Mock Invoke-Ssomanage { throw 'must not be called' }
            Get-SecretServerName -Override '' | Should -Be 'SSOVN'
            Should -Invoke Invoke-Ssomanage -Times 0
        }

        It 'falls back to ssomanage -displaydb when COM does not answer' {
            Mock Get-SsoSecretServerFromCom { '' }
            Mock Invoke-Ssomanage { [pscustomobject] @{ ExitCode = 0; Output = "Using SSO server on this computer`r`nSecret Server Name : SSOBTS`r`n"; Errors = 'a warning on stderr' } }
            Get-SecretServerName -Override '' | Should -Be 'SSOBTS'
        }

        It 'falls back to ssomanage when the interop assembly is missing' {
            Mock Import-SsoInterop { throw (New-SsoEnvironmentError 'not found') }
            Mock Get-SsoSecretServerFromCom { throw 'must not be called' }
            Mock Invoke-Ssomanage { [pscustomobject] @{ ExitCode = 0; Output = 'SSO Secret Server : SSOX'; Errors = '' } }
            Get-SecretServerName -Override '' | Should -Be 'SSOX'
        }

        It 'says what failed when ssomanage fails too' {
            Mock Get-SsoSecretServerFromCom { '' }
            Mock Invoke-Ssomanage { [pscustomobject] @{ ExitCode = 5; Output = ''; Errors = 'access denied' } }
            { Get-SecretServerName -Override '' } | Should -Throw -ExpectedMessage "Stop-Collector 'ssomanage -displaydb' failed (exit code 5): access denied*"
        }

        It '-SecretServer overrides every lookup' {
            Mock Get-SsoSecretServerFromCom { throw 'must not be called' }
            Get-SecretServerName -Override 'GIVEN' | Should -Be 'GIVEN'
        }
    }

    Context 'ssomanage writing to stderr' {
        It 'is read from a process: stderr neither terminates nor mixes into the output' -Skip:($IsWindows) {
            $fake = Join-Path $TestDrive 'ssomanage'
            Set-Content -LiteralPath $fake -Value @(
                '#!/bin/sh',
                'echo "warning: the SSO database is slow" >&2',
                'echo "Secret Server Name : SSOBTS"',
                'echo "more warnings" >&2',
                'exit 0')
            & chmod +x $fake
            $ErrorActionPreference = 'Stop'
            $Error.Clear()
            $result = Invoke-Ssomanage @('-displaydb') $fake
            $result.ExitCode | Should -Be 0
            $result.Output | Should -Match 'Secret Server Name : SSOBTS'
            $result.Output | Should -Not -Match 'warning'
            $result.Errors | Should -Match 'slow'
            $Error.Count | Should -Be 0
        }

        It 'a missing ssomanage is $null, not an error' {
            Invoke-Ssomanage @('-displaydb') (Join-Path $TestDrive 'none.exe') | Should -BeNullOrEmpty
        }
    }

    Context 'a whole run' {
        It 'writes the inventory with "cluster": null on a node that is not active' {
            $out = Join-Path $TestDrive 'topology.json'
            $OutFile = $out
            Mock Test-SsoClusterServiceInstalled { $true }
            Mock Test-SsoClusterModule { $true }
            Mock Get-SsoClusterObject { throw 'not an active node' }
            Mock Write-Warning { }
            Mock Write-Host { }
            Mock Get-SecretServerName { 'SSOVN' }
            Mock Test-BizTalkNamespace { $true }
            Mock Get-BizTalkWmiInstance {
                switch ($ClassName) {
                    'MSBTS_GroupSetting' { @([pscustomobject] @{ Name = 'BizTalk Group'; SSOServerName = 'SSOVN' }) }
                    'MSBTS_MsgBoxSetting' { @([pscustomobject] @{ Name = 'mb1' }) }
                    'MSBTS_Server' { @([pscustomobject] @{ Name = 'BTS1' }) }
                    'MSBTS_Host' { @([pscustomobject] @{ Name = 'H1'; HostType = 1; HostTracking = $true; ClusterResourceGroupName = $null }) }
                    'MSBTS_HostInstance' { @([pscustomobject] @{ HostName = 'H1'; RunningServer = 'BTS1'; ClusterInstanceType = 0; IsDisabled = $false; ConfigurationState = 1 }) }
                }
            }
            Invoke-Collector
            $document = Get-Content -Raw -LiteralPath $out | ConvertFrom-Json
            $document.schema | Should -Be 'ssoescrow-topology/1'
            $document.cluster | Should -BeNullOrEmpty
            $document.PSObject.Properties.Name | Should -Contain 'cluster'
            $document.sso.secret_server | Should -Be 'SSOVN'
            $document.biztalk.host_instances[0].server | Should -Be 'BTS1'
            $document.biztalk.messagebox_count | Should -Be 1
            Should -Invoke Stop-Collector -Times 0
        }
    }
}
