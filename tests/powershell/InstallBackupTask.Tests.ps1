# install-backup-task.ps1: the task plan (programs, arguments, folders and their access lists) and
# a whole installation with Task Scheduler, the ACL calls and the ENTSSO service lookup mocked.
BeforeAll {
    $script:Installer = (Resolve-Path (Join-Path $PSScriptRoot '../../scripts/windows/install-backup-task.ps1')).Path
    $script:Policy = 'sha256:' + ('ab' * 32)
    . $Installer -Vault 'D:\Escrow' -ExpectPolicy $Policy -RunAsAccount 'CONTOSO\svc-ssoescrow$'
    $ErrorActionPreference = 'Stop'

    function New-Settings {
        param([hashtable] $Overrides = @{})
        $settings = @{
            Vault             = 'D:\R&D\vault'
            SsoescrowPath     = 'C:\Program Files\ssoescrow\ssoescrow.exe'
            BridgeScript      = 'C:\Program Files\ssoescrow\sso-bridge.ps1'
            PowershellExe     = 'C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe'
            LogJson           = 'C:\ProgramData\ssoescrow\backup-log.jsonl'
            StatusReport      = 'C:\ProgramData\ssoescrow\status.json'
            DataFolder        = 'C:\ProgramData\ssoescrow'
            StateDir          = 'C:\ProgramData\ssoescrow\state'
            TempDir           = 'C:\ProgramData\ssoescrow\scratch'
            ExpectPolicy      = $Policy
            RunAsAccount      = 'CONTOSO\svc-ssoescrow$'
            EntssoAccount     = 'CONTOSO\svc-sso'
            SkipOnPassiveNode = $false
            BackupTime        = '02:30'
            StatusDay         = [System.DayOfWeek]::Monday
            StatusTime        = '06:00'
        }
        foreach ($key in $Overrides.Keys) { $settings[$key] = $Overrides[$key] }
        return $settings
    }

    # The arguments of a Windows command line as CommandLineToArgvW splits them (enough of it for
    # these tests: quotes, and backslashes before a quote).
    function Split-WindowsArguments {
        param([string] $Line)
        $words = New-Object 'System.Collections.Generic.List[string]'
        $current = New-Object System.Text.StringBuilder
        $inQuotes = $false
        $have = $false
        for ($i = 0; $i -lt $Line.Length; $i++) {
            $c = $Line[$i]
            if ($c -eq [char] 92) {
                $count = 0
                while ($i -lt $Line.Length -and $Line[$i] -eq [char] 92) { $count++; $i++ }
                if ($i -lt $Line.Length -and $Line[$i] -eq '"') {
                    [void] $current.Append([string]::new([char] 92, [int][math]::Floor($count / 2)))
                    if ($count % 2 -eq 1) { [void] $current.Append('"'); $have = $true; continue }
                    $i--
                    $have = $true
                    continue
                }
                [void] $current.Append([string]::new([char] 92, $count))
                $have = $true
                $i--
                continue
            }
            if ($c -eq '"') { $inQuotes = -not $inQuotes; $have = $true; continue }
            if (-not $inQuotes -and [char]::IsWhiteSpace($c)) {
                if ($have) { $words.Add($current.ToString()); [void] $current.Clear(); $have = $false }
                continue
            }
            [void] $current.Append($c)
            $have = $true
        }
        if ($have) { $words.Add($current.ToString()) }
        return , $words.ToArray()
    }
}

Describe 'install-backup-task.ps1' {
    BeforeEach {
        Mock Stop-Installer { throw "Stop-Installer $Message" }
    }

    Context 'the task plan' {
        It 'the status task runs ssoescrow.exe itself, no cmd.exe, and ssoescrow writes the report (--output)' {
            $plan = Get-TaskPlan (New-Settings)
            $plan.Status.Execute | Should -Be 'C:\Program Files\ssoescrow\ssoescrow.exe'
            $plan.Status.Arguments | Should -Not -Match 'cmd'
            $plan.Status.Arguments | Should -Not -Match '>'
            $words = Split-WindowsArguments $plan.Status.Arguments
            $words[0] | Should -Be 'status'
            $words[$words.IndexOf('--vault') + 1] | Should -BeExactly 'D:\R&D\vault'
            $words[$words.IndexOf('--output') + 1] | Should -BeExactly 'C:\ProgramData\ssoescrow\status.json'
            $words[$words.IndexOf('--format') + 1] | Should -Be 'json'
        }

        It 'both tasks pass an explicit --state-dir under %ProgramData%\ssoescrow' {
            $plan = Get-TaskPlan (New-Settings)
            foreach ($task in $plan.Backup, $plan.Status) {
                $words = Split-WindowsArguments $task.Arguments
                $words[$words.IndexOf('--state-dir') + 1] | Should -BeExactly 'C:\ProgramData\ssoescrow\state'
            }
        }

        It 'the backup arguments carry the vault, the bridge as one argument, the policy and the scratch folder' {
            $plan = Get-TaskPlan (New-Settings @{ Vault = 'D:\SSO Escrow\R&D' })
            $words = Split-WindowsArguments $plan.Backup.Arguments
            $words[0] | Should -Be 'backup'
            $words[$words.IndexOf('--vault') + 1] | Should -BeExactly 'D:\SSO Escrow\R&D'
            $words[$words.IndexOf('--expect-policy') + 1] | Should -BeExactly $Policy
            $words[$words.IndexOf('--temp-dir') + 1] | Should -BeExactly 'C:\ProgramData\ssoescrow\scratch'
            $bridge = Split-WindowsArguments $words[$words.IndexOf('--bridge') + 1]
            $bridge[0] | Should -BeExactly 'C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe'
            $bridge[-1] | Should -BeExactly 'C:\Program Files\ssoescrow\sso-bridge.ps1'
            $words | Should -Not -Contain '--skip-on-passive-node'
        }

        It 'cluster nodes skip when passive and wait for the lock rather than fail' {
            $plan = Get-TaskPlan (New-Settings @{ SkipOnPassiveNode = $true })
            $words = Split-WindowsArguments $plan.Backup.Arguments
            $words | Should -Contain '--skip-on-passive-node'
            $words[$words.IndexOf('--wait') + 1] | Should -Be '900'
        }

        It '%ProgramData%\ssoescrow is for Administrators, SYSTEM and the task account only' {
            $plan = Get-TaskPlan (New-Settings)
            $data = @($plan.Folders | Where-Object { $_.Path -eq 'C:\ProgramData\ssoescrow' })
            $data.Count | Should -Be 1
            $data[0].Identities | Should -Be @('BUILTIN\Administrators', 'NT AUTHORITY\SYSTEM', 'CONTOSO\svc-ssoescrow$')
        }

        It 'the scratch folder is for the task account and the ENTSSO service account, nobody else' {
            $plan = Get-TaskPlan (New-Settings)
            $scratch = @($plan.Folders | Where-Object { $_.Path -eq 'C:\ProgramData\ssoescrow\scratch' })
            $scratch[0].Identities | Should -Be @('CONTOSO\svc-ssoescrow$', 'CONTOSO\svc-sso')
        }

        It 'the scratch folder names one identity when ENTSSO runs as the task account' {
            $plan = Get-TaskPlan (New-Settings @{ EntssoAccount = 'contoso\SVC-ssoescrow$' })
            $scratch = @($plan.Folders | Where-Object { $_.Path -like '*scratch' })
            $scratch[0].Identities | Should -Be @('CONTOSO\svc-ssoescrow$')
        }
    }

    Context 'a whole installation' {
        BeforeEach {
            $root = Join-Path $TestDrive ([guid]::NewGuid().ToString())
            New-Item -ItemType Directory -Path (Join-Path $root 'Program Files/ssoescrow') -Force | Out-Null
            New-Item -ItemType File -Path (Join-Path $root 'Program Files/ssoescrow/ssoescrow.exe') | Out-Null
            New-Item -ItemType File -Path (Join-Path $root 'Program Files/ssoescrow/sso-bridge.ps1') | Out-Null
            New-Item -ItemType Directory -Path (Join-Path $root 'R&D/vault') -Force | Out-Null
            $env:ProgramFiles = Join-Path $root 'Program Files'
            $env:ProgramData = Join-Path $root 'ProgramData'
            $env:SystemRoot = Join-Path $root 'Windows'
            Mock Test-WindowsPlatform { $true }
            Mock Import-ScheduledTasksModule { $true }
            Mock Test-Elevated { $true }
            Mock Test-ExistingTask { $false }
            Mock Get-EntssoServiceAccount { 'CONTOSO\svc-sso' }
            Mock Set-DirectoryAcl { }
            Mock Register-TaskDefinition { }
            Mock Test-EventSource { $true }
            Mock Register-EventSource { }
            Mock Write-Host { }
            Mock Write-Warning { }
            $Vault = Join-Path $root 'R&D/vault'
            $SsoescrowPath = ''
            $BridgeScript = Join-Path $root 'Program Files/ssoescrow/sso-bridge.ps1'
            $LogJson = ''
            $StatusReport = ''
            $TempDir = ''
            $SkipOnPassiveNode = $false
            $Force = $false
        }

        It 'registers both tasks running ssoescrow.exe, after giving the folders their access lists' {
            Install-BackupTask
            Should -Invoke Register-TaskDefinition -Times 2
            Should -Invoke Register-TaskDefinition -Times 1 -ParameterFilter {
                $Task.Name -eq 'ssoescrow status' -and $Task.Execute -like '*ssoescrow.exe' -and
                $Task.Arguments -like '*--output *status.json*' -and $IsGmsa
            }
            Should -Invoke Register-TaskDefinition -Times 1 -ParameterFilter {
                $Task.Name -eq 'ssoescrow backup' -and $Task.Arguments -like "*--vault *R&D*vault*"
            }
            Should -Invoke Set-DirectoryAcl -Times 1 -ParameterFilter {
                $Path -eq (Join-Path $env:ProgramData 'ssoescrow') -and
                ($Identities -join ',') -eq 'BUILTIN\Administrators,NT AUTHORITY\SYSTEM,CONTOSO\svc-ssoescrow$'
            }
            Should -Invoke Set-DirectoryAcl -Times 1 -ParameterFilter {
                $Path -like '*scratch' -and ($Identities -join ',') -eq 'CONTOSO\svc-ssoescrow$,CONTOSO\svc-sso'
            }
        }

        It '-WhatIf changes nothing' {
            Mock Test-EventSource { $false }
            Install-BackupTask -WhatIf
            Should -Invoke Register-TaskDefinition -Times 0
            Should -Invoke Set-DirectoryAcl -Times 0
            Should -Invoke Register-EventSource -Times 0
        }

        It 'registers the event source ssoescrow when the Application log does not know it' {
            Mock Test-EventSource { $false }
            Install-BackupTask
            Should -Invoke Register-EventSource -Times 1 -ParameterFilter { $Source -ceq 'ssoescrow' }
            Should -Invoke Test-EventSource -ParameterFilter { $Source -ceq 'ssoescrow' }
        }

        It 'keeps an event source that is registered already (by the MSI)' {
            Install-BackupTask
            Should -Invoke Register-EventSource -Times 0
        }

        It 'an existing task is kept unless -Force' {
            Mock Test-ExistingTask { $true }
            { Install-BackupTask } | Should -Throw -ExpectedMessage 'Stop-Installer task *exists*'
            Should -Invoke Register-TaskDefinition -Times 0
        }

        It 'a path with a double quote or % is refused' {
            $Vault = Join-Path $root '100%'
            { Install-BackupTask } | Should -Throw -ExpectedMessage "Stop-Installer -Vault*"
        }

        It 'without ENTSSO here only the task account may write the scratch folder, with a warning' {
            Mock Get-EntssoServiceAccount { '' }
            Install-BackupTask
            Should -Invoke Set-DirectoryAcl -Times 1 -ParameterFilter {
                $Path -like '*scratch' -and ($Identities -join ',') -eq 'CONTOSO\svc-ssoescrow$'
            }
            Should -Invoke Write-Warning -ParameterFilter { $Message -like '*ENTSSO service is not installed*' }
        }
    }

    Context 'quoting' {
        It 'ConvertTo-WindowsArgument round-trips through the Windows rules' {
            foreach ($value in 'plain', 'with space', 'C:\dir with space\', 'a"b', 'x\\"y') {
                $quoted = ConvertTo-WindowsArgument $value
                (Split-WindowsArguments $quoted) | Should -Be @($value)
            }
        }
    }
}
