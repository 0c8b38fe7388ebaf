# sso-bridge.ps1: its own functions, dot-sourced, with ENTSSO, the event log, the registry and the
# cluster replaced by Pester mocks; and the script run as a process for what needs no Windows.
BeforeAll {
    $script:Bridge = (Resolve-Path (Join-Path $PSScriptRoot '../../scripts/windows/sso-bridge.ps1')).Path
    . $Bridge
    $ErrorActionPreference = 'Stop'

    $script:Msid1 = '{11111111-1111-1111-1111-111111111111}'
    $script:Msid2 = '{22222222-2222-2222-2222-222222222222}'
    $script:Msid3 = '{33333333-3333-3333-3333-333333333333}'
    $script:Tracking = '{99999999-8888-7777-6666-555555555555}'

    function New-Event {
        param([int] $Id, [string[]] $Values)
        return [pscustomobject] @{
            Id         = $Id
            Properties = @($Values | ForEach-Object { [pscustomobject] @{ Value = $_ } })
        }
    }

    function New-Request {
        param([hashtable] $Members)
        $request = New-MemberDictionary
        $request['protocol'] = 'ssoescrow-bridge/1'
        foreach ($key in $Members.Keys) { $request[$key] = $Members[$key] }
        return , $request
    }

    function ConvertTo-RequestBytes {
        param([string] $Text)
        $bytes = [System.Text.Encoding]::UTF8.GetBytes($Text)
        $buffer = New-Object byte[] ($bytes.Length + 16)
        [Array]::Copy($bytes, $buffer, $bytes.Length)
        return , @($buffer, $bytes.Length)
    }
}

Describe 'sso-bridge.ps1' {
    BeforeEach {
        # Stop-Bridge ends the process: here it throws what it would have said.
        Mock Stop-Bridge { throw "Stop-Bridge $ExitCode $Message" }
        Mock Write-Diagnostic { }
        Mock Start-Sleep { }
        $env:COMPUTERNAME = 'N1'
    }

    Describe 'MSIDs come from the documented insertion strings of each event' {
        It '10525 (generate): the MSID is string 0; the tracking id is not the previous MSID' {
            $fields = Get-EventMsids (New-Event 10525 @($Msid2, 'CONTOSO\admin', 'N1', $Tracking))
            $fields.Current | Should -Be $Msid2
            $fields.Previous | Should -BeNullOrEmpty
        }

        It '10559 (backup): file, current, previous; GUIDs elsewhere (file name, user) are ignored' {
            $file = "C:\scratch\ssoescrow-$($Tracking.Trim('{}')).bak"
            $fields = Get-EventMsids (New-Event 10559 @($file, $Msid2, $Msid1, $Tracking, 'N1'))
            $fields.Current | Should -Be $Msid2
            $fields.Previous | Should -Be $Msid1
            $fields.File | Should -Be $file
        }

        It '10523 (restore) with only a current MSID has no previous one' {
            $fields = Get-EventMsids (New-Event 10523 @('C:\x.bak', $Msid1.ToLowerInvariant().Trim('{}')))
            $fields.Current | Should -Be $Msid1
            $fields.Previous | Should -BeNullOrEmpty
        }

        It 'an event names a file only in string 0' {
            Test-EventNamesFile (New-Event 10559 @('C:\other.bak', $Msid1, $Msid2, 'C:\mine.bak')) 'C:\mine.bak' |
                Should -BeFalse
            Test-EventNamesFile (New-Event 10559 @('C:\Mine.bak', $Msid1, $Msid2)) 'C:\mine.bak' | Should -BeTrue
        }

        It 'status after a generate: previous is the current MSID of the event before, not the tracking id' {
            Mock Get-SsossSubkeyNames { , [string[]] @($Msid2.Trim('{}'), $Msid1.Trim('{}')) }
            Mock Get-EntssoEvents {
                , @((New-Event 10525 @($Msid2, 'CONTOSO\admin', 'N1', $Tracking)),
                    (New-Event 10559 @('C:\old.bak', $Msid1, $null)))
            }
            $msids = Get-LiveMsids
            $msids[0] | Should -Be $Msid2
            $msids[1] | Should -Be $Msid1
        }

        It 'generate answers the secret current before it as previous, not the tracking id' {
            $folder = Join-Path $TestDrive 'gen'
            New-Item -ItemType Directory -Path $folder | Out-Null
            Mock Get-LiveMsids { , @($Msid1, $null) }
            Mock Get-SsossSubkeyNames { , [string[]] @($Msid1.Trim('{}')) }
            Mock Invoke-InterfaceMethod { $null }
            Mock Get-EntssoEvents { , @(New-Event 10525 @($Msid2, 'CONTOSO\admin', 'N1', $Tracking)) }
            $request = New-Request @{ file = (Join-Path $folder 'new.bak'); password = 'pa55word!'; reminder = 'r' }
            $response = Invoke-SecretOperation $null 'generate' $request
            $response['current_msid'] | Should -Be $Msid2
            $response['previous_msid'] | Should -Be $Msid1
        }
    }

    Describe 'the SSOSS registry key' {
        BeforeEach {
            Mock Get-EntssoEvents { , @(New-Event 10559 @('C:\b.bak', $Msid2, $Msid1)) }
        }

        It 'present without GUID subkeys means unknown, not "no secret": the events stand' {
            Mock Get-SsossSubkeyNames { , [string[]] @() }
            $msids = Get-LiveMsids
            $msids[0] | Should -Be $Msid2
            $msids[1] | Should -Be $Msid1
        }

        It 'present with subkeys of another layout means unknown too' {
            Mock Get-SsossSubkeyNames { , [string[]] @('Config', 'Keys') }
            (Get-LiveMsids)[0] | Should -Be $Msid2
        }

        It 'missing or unreadable means unknown' {
            Mock Get-SsossSubkeyNames { $null }
            (Get-LiveMsids)[0] | Should -Be $Msid2
        }

        It 'holding GUID subkeys overrules an event about a secret this computer does not hold' {
            Mock Get-SsossSubkeyNames { , [string[]] @($Msid3.Trim('{}')) }
            $msids = Get-LiveMsids
            $msids[0] | Should -Be $Msid3
            $msids[1] | Should -BeNullOrEmpty
        }

        It 'drops a previous MSID it does not hold' {
            Mock Get-SsossSubkeyNames { , [string[]] @($Msid2.Trim('{}'), $Msid3.Trim('{}')) }
            $msids = Get-LiveMsids
            $msids[0] | Should -Be $Msid2
            $msids[1] | Should -BeNullOrEmpty
        }
    }

    Describe 'no success event after ENTSSO did the work' {
        BeforeEach {
            $folder = Join-Path $TestDrive 'audit'
            New-Item -ItemType Directory -Path $folder -Force | Out-Null
            $script:Request = New-Request @{ file = (Join-Path $folder 'b.bak'); password = 'pa55word!'; reminder = 'r' }
            Mock Invoke-InterfaceMethod { $null }
            Mock Get-EntssoEvents { , @() }
            Mock Get-SsossSubkeyNames { , [string[]] @($Msid1.Trim('{}'), $Msid2.Trim('{}')) }
        }

        It 'positive audit level 0: exit 3 naming the setting to change (GetServerStatus)' {
            Mock Get-SsoServerStatus { [pscustomobject] @{ ServiceAccount = 'CONTOSO\sso'; NegativeAuditLevel = 1; PositiveAuditLevel = 0 } }
            { Invoke-SecretOperation $null 'backup' $Request } |
                Should -Throw -ExpectedMessage "Stop-Bridge 3 *positive audit level is 0*ssoconfig -auditlevel 1*"
        }

        It 'a positive audit level above 0: exit 4 (the event is missing for another reason)' {
            Mock Get-SsoServerStatus { [pscustomobject] @{ ServiceAccount = 'CONTOSO\sso'; NegativeAuditLevel = 1; PositiveAuditLevel = 1 } }
            { Invoke-SecretOperation $null 'backup' $Request } | Should -Throw -ExpectedMessage 'Stop-Bridge 4 *'
        }

        It 'the audit level unreadable: exit 4' {
            Mock Get-SsoServerStatus { $null }
            { Invoke-SecretOperation $null 'backup' $Request } | Should -Throw -ExpectedMessage 'Stop-Bridge 4 *'
        }

        It 'one secret in the registry answers without any event' {
            Mock Get-SsossSubkeyNames { , [string[]] @($Msid1.Trim('{}')) }
            $response = Invoke-SecretOperation $null 'backup' $Request
            $response['current_msid'] | Should -Be $Msid1
        }

        It 'generate: the one new GUID subkey is the new secret, the old current the previous' {
            $script:calls = 0
            Mock Get-SsossSubkeyNames {
                $script:calls++
                if ($script:calls -le 2) { return , [string[]] @($Msid1.Trim('{}')) }
                return , [string[]] @($Msid1.Trim('{}'), $Msid3.Trim('{}'))
            }
            Mock Get-SsoServerStatus { [pscustomobject] @{ ServiceAccount = 'x'; NegativeAuditLevel = 1; PositiveAuditLevel = 0 } }
            $response = Invoke-SecretOperation $null 'generate' $Request
            $response['current_msid'] | Should -Be $Msid3
            $response['previous_msid'] | Should -Be $Msid1
        }

        It 'status names the setting when the MSID is unknown at level 0' {
            Mock Get-SsossSubkeyNames { $null }
            Mock Get-SsoServerStatus { [pscustomobject] @{ ServiceAccount = 'x'; NegativeAuditLevel = 1; PositiveAuditLevel = 0 } }
            $msids = Get-LiveMsids
            $msids[0] | Should -BeNullOrEmpty
            Should -Invoke Write-Diagnostic -ParameterFilter { $Message -like '*ssoconfig -auditlevel*' }
        }
    }

    Describe 'status on a failover cluster' {
        BeforeEach {
            Mock Get-EntssoService { [pscustomobject] @{ Status = 'Stopped' } }
            Mock Get-LiveMsids { , @($null, $null) }
            Mock Get-SsoClusterOwnership {
                $info = [ordered]@{ name = 'CL1'; node = $env:COMPUTERNAME; group = 'SSOGRP'; owner_node = 'N1';
                    possible_owners = [string[]] @('N1', 'N2'); resource_state = 'online' }
                [pscustomobject] @{ Info = $info; NetworkNames = [string[]] @('SSOVN'); Note = '' }
            }
        }

        It 'a passive node answers is_secret_server false without the secret server''s name' {
            $env:COMPUTERNAME = 'N2'
            Mock Get-SecretServer { '' }
            $response = Invoke-Status $null
            $response['is_secret_server'] | Should -BeFalse
            $response['secret_server'] | Should -Be 'SSOVN'
            $response['cluster']['owner_node'] | Should -Be 'N1'
            $response['service_state'] | Should -Be 'stopped'
            Should -Invoke Stop-Bridge -Times 0
        }

        It 'a passive node is not the secret server even when the name read says so' {
            $env:COMPUTERNAME = 'N2'
            Mock Get-SecretServer { 'SSOVN' }
            (Invoke-Status $null)['is_secret_server'] | Should -BeFalse
        }

        It 'the owner node is the secret server through the group''s network name' {
            Mock Get-SecretServer { 'ssovn.contoso.com' }
            Mock Get-EntssoService { [pscustomobject] @{ Status = 'Running' } }
            $response = Invoke-Status $null
            $response['is_secret_server'] | Should -BeTrue
            $response['service_state'] | Should -Be 'running'
        }

        It 'the owner node without a secret server name is an environment error (exit 3)' {
            Mock Get-SecretServer { '' }
            { Invoke-Status $null } | Should -Throw -ExpectedMessage 'Stop-Bridge 3 *'
        }

        It 'no cluster: the secret server is compared with this computer' {
            Mock Get-SsoClusterOwnership { [pscustomobject] @{ Info = $null; NetworkNames = @(); Note = 'the Cluster service is not installed here' } }
            Mock Get-SecretServer { 'n1.contoso.com' }
            $response = Invoke-Status $null
            $response['is_secret_server'] | Should -BeTrue
            $response['cluster'] | Should -BeNullOrEmpty
            Should -Invoke Write-Diagnostic -Times 0 -ParameterFilter { $Message -like '*Cluster service*' }
        }

        It 'answers every status member of the protocol, as one JSON line' {
            Mock Get-SecretServer { 'SSOVN' }
            $json = ConvertTo-Json -InputObject (Invoke-Status $null) -Compress -Depth 5
            $parsed = $json | ConvertFrom-Json
            foreach ($member in 'protocol', 'ok', 'computer', 'secret_server', 'is_secret_server',
                'current_msid', 'previous_msid', 'service_state', 'cluster') {
                $parsed.PSObject.Properties.Name | Should -Contain $member
            }
            $parsed.protocol | Should -BeExactly 'ssoescrow-bridge/1'
            $parsed.cluster.resource_state | Should -BeExactly 'online'
            @($parsed.cluster.possible_owners) | Should -Be @('N1', 'N2')
        }
    }

    Describe 'the cluster ownership of the shared module' {
        BeforeAll {
            $script:ModuleName = 'ssoescrow-windows'
        }

        It 'cluster service installed but not an active node: no cluster, a note, no error' {
            Mock -ModuleName $ModuleName Test-SsoClusterServiceInstalled { $true }
            Mock -ModuleName $ModuleName Test-SsoClusterModule { $true }
            Mock -ModuleName $ModuleName Get-SsoClusterObject { throw 'The cluster service is not running on this node' }
            $result = Get-SsoClusterOwnership 'N2'
            $result.Info | Should -BeNullOrEmpty
            $result.Note | Should -BeLike 'note: this computer is not an active cluster node*'
        }

        It 'finds the ENTSSO Generic Service, its group owner, possible owners and network name' {
            Mock -ModuleName $ModuleName Test-SsoClusterServiceInstalled { $true }
            Mock -ModuleName $ModuleName Test-SsoClusterModule { $true }
            Mock -ModuleName $ModuleName Get-SsoClusterObject { [pscustomobject] @{ Name = 'CL1' } }
            Mock -ModuleName $ModuleName Get-SsoClusterResourceList {
                @(
                    [pscustomobject] @{ Name = 'BizTalk'; ResourceType = [pscustomobject] @{ Name = 'Generic Service' }; OwnerGroup = [pscustomobject] @{ Name = 'SSOGRP' }; State = 'Online' },
                    [pscustomobject] @{ Name = 'SSO'; ResourceType = [pscustomobject] @{ Name = 'Generic Service' }; OwnerGroup = [pscustomobject] @{ Name = 'SSOGRP' }; State = 'OnlinePending' },
                    [pscustomobject] @{ Name = 'SSO Name'; ResourceType = [pscustomobject] @{ Name = 'Network Name' }; OwnerGroup = [pscustomobject] @{ Name = 'SSOGRP' }; State = 'Online' }
                )
            }
            Mock -ModuleName $ModuleName Get-SsoClusterParameterList {
                switch ($Resource.Name) {
                    'BizTalk' { @([pscustomobject] @{ Name = 'ServiceName'; Value = 'BTSSvc$Host' }) }
                    'SSO' { @([pscustomobject] @{ Name = 'ServiceName'; Value = 'entsso' }) }
                    'SSO Name' { @([pscustomobject] @{ Name = 'Name'; Value = 'SSOVN' }) }
                }
            }
            Mock -ModuleName $ModuleName Get-SsoClusterGroupList {
                @([pscustomobject] @{ Name = 'SSOGRP'; OwnerNode = [pscustomobject] @{ Name = 'N1' } })
            }
            Mock -ModuleName $ModuleName Get-SsoClusterPossibleOwnerList { , [string[]] @('N1', 'N2') }
            $result = Get-SsoClusterOwnership 'N2'
            $result.Info['name'] | Should -Be 'CL1'
            $result.Info['node'] | Should -Be 'N2'
            $result.Info['group'] | Should -Be 'SSOGRP'
            $result.Info['owner_node'] | Should -Be 'N1'
            $result.Info['possible_owners'] | Should -Be @('N1', 'N2')
            $result.Info['resource_state'] | Should -BeExactly 'pending'
            $result.NetworkNames | Should -Be @('SSOVN')
        }

        It 'resource states are the protocol''s lower-case words' {
            ConvertTo-SsoResourceState 'Online' | Should -BeExactly 'online'
            ConvertTo-SsoResourceState 'Offline' | Should -BeExactly 'offline'
            ConvertTo-SsoResourceState 'Failed' | Should -BeExactly 'failed'
            ConvertTo-SsoResourceState 'OfflinePending' | Should -BeExactly 'pending'
            ConvertTo-SsoResourceState 'Initializing' | Should -BeExactly 'unknown'
        }
    }

    Describe 'the request' {
        It 'duplicate members are refused on Windows PowerShell 5.1 (JavaScriptSerializer keeps the last)' {
            Mock Test-DesktopEdition { $true }
            # What JavaScriptSerializer does with the text: no error, the last value wins.
            Mock ConvertFrom-JsonWithSerializer {
                $members = New-MemberDictionary
                $members['protocol'] = 'ssoescrow-bridge/1'
                $members['file'] = 'C:\b.bak'
                return , $members
            }
            $raw = ConvertTo-RequestBytes '{"protocol":"ssoescrow-bridge/1","file":"C:\\a.bak","file":"C:\\b.bak"}'
            { ConvertFrom-RequestBytes $raw[0] $raw[1] } |
                Should -Throw -ExpectedMessage 'Stop-Bridge 2 malformed request*duplicate*'
        }

        It 'a duplicate spelled with an escape is a duplicate on 5.1 too' {
            Mock Test-DesktopEdition { $true }
            Mock ConvertFrom-JsonWithSerializer { , (New-MemberDictionary) }
            $raw = ConvertTo-RequestBytes '{"protocol":"ssoescrow-bridge/1","password":"1234567","\u0070assword":"x"}'
            { ConvertFrom-RequestBytes $raw[0] $raw[1] } | Should -Throw -ExpectedMessage 'Stop-Bridge 2 *'
            Should -Invoke ConvertFrom-JsonWithSerializer -Times 0
        }

        It 'the same name in different objects is no duplicate' {
            Test-JsonUniqueMembers '{"a":{"a":1},"b":[{"a":1},{"a":"}"}],"c":"\"a\""}' | Should -BeTrue
            Test-JsonUniqueMembers '{"a":{"b":1,"b":2}}' | Should -BeFalse
        }

        It 'duplicate members are refused on PowerShell 7 (System.Text.Json)' {
            Mock Test-DesktopEdition { $false }
            $raw = ConvertTo-RequestBytes '{"protocol":"ssoescrow-bridge/1","file":"a","file":"b"}'
            { ConvertFrom-RequestBytes $raw[0] $raw[1] } | Should -Throw -ExpectedMessage 'Stop-Bridge 2 *'
        }

        It 'a valid request parses into strings, and other types into $null' {
            $raw = ConvertTo-RequestBytes '{"protocol":"ssoescrow-bridge/1","file":"C:\\a.bak","n":5}'
            $members = ConvertFrom-RequestBytes $raw[0] $raw[1]
            $members['file'] | Should -BeExactly 'C:\a.bak'
            $members.ContainsKey('n') | Should -BeTrue
            $members['n'] | Should -BeNullOrEmpty
            $raw[0][0] | Should -Be 0 -Because 'the request bytes are wiped'
        }

        It 'password rules use ENTSSO''s numbers' {
            Test-PasswordRules 6 0 | Should -Be 10836
            Test-PasswordRules 257 0 | Should -Be 10839
            Test-PasswordRules 7 513 | Should -Be 10840
            Test-PasswordRules 7 512 | Should -Be 0
        }

        It 'ENTSSO HRESULTs become ENTSSO numbers' {
            Get-EntssoCode ([pscustomobject] @{ HResult = [int] -1073731058 }) | Should -Be 10766
            Get-EntssoCode ([pscustomobject] @{ HResult = [int] -2147023174 }) | Should -Be -2147023174
        }
    }

    Describe 'the bridge run as a process' {
        BeforeAll {
            # The pwsh on PATH (a .NET global tool runs under the dotnet host: the process path is
            # dotnet's, not pwsh's).
            $script:Pwsh = @(Get-Command -Name 'pwsh', 'powershell' -CommandType Application -ErrorAction SilentlyContinue)[0].Source
            function Invoke-BridgeProcess {
                param([string[]] $Arguments, [string] $Stdin)
                $start = New-Object System.Diagnostics.ProcessStartInfo
                $start.FileName = $Pwsh
                foreach ($argument in @('-NoProfile', '-NonInteractive', '-File', $Bridge) + $Arguments) {
                    $start.ArgumentList.Add($argument)
                }
                $start.UseShellExecute = $false
                $start.RedirectStandardInput = $true
                $start.RedirectStandardOutput = $true
                $start.RedirectStandardError = $true
                $process = [System.Diagnostics.Process]::Start($start)
                $process.StandardInput.Write($Stdin)
                $process.StandardInput.Close()
                $errorTask = $process.StandardError.ReadToEndAsync()
                $output = $process.StandardOutput.ReadToEnd()
                $process.WaitForExit()
                return [pscustomobject] @{ Code = $process.ExitCode; Out = $output; Err = $errorTask.Result }
            }
        }

        It 'an unknown operation is misuse (exit 2), nothing on stdout' {
            $result = Invoke-BridgeProcess @('explode') '{"protocol":"ssoescrow-bridge/1"}'
            $result.Code | Should -Be 2
            $result.Out | Should -BeNullOrEmpty
            $result.Err | Should -BeLike 'sso-bridge: error: usage: *'
        }

        It 'a duplicate member is misuse (exit 2) without echoing the request' {
            $result = Invoke-BridgeProcess @('status') '{"protocol":"ssoescrow-bridge/1","password":"s3cret-pw","password":"x"}'
            $result.Code | Should -Be 2
            $result.Err | Should -Not -BeLike '*s3cret-pw*'
        }

        It 'another protocol is misuse (exit 2)' {
            (Invoke-BridgeProcess @('status') '{"protocol":"ssoescrow-bridge/2"}').Code | Should -Be 2
        }

        It 'off Windows the environment is wrong (exit 3)' -Skip:($IsWindows) {
            $result = Invoke-BridgeProcess @('status') '{"protocol":"ssoescrow-bridge/1"}'
            $result.Code | Should -Be 3
            $result.Err | Should -BeLike '*runs only on Windows*'
        }
    }
}
