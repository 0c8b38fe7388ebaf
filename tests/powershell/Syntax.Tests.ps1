# Every script and module under scripts/windows, read by PowerShell's own parser: no syntax error,
# nothing Windows PowerShell 5.1 cannot run, strict mode on, no native stderr merged into the
# output (PowerShell issue 3996), and a main that does not run when the file is dot-sourced.
BeforeDiscovery {
    # SSOESCROW_WINDOWS_SCRIPTS checks another copy (e.g. an older version of the scripts).
    $windows = $env:SSOESCROW_WINDOWS_SCRIPTS
    if ([string]::IsNullOrEmpty($windows)) { $windows = Join-Path $PSScriptRoot '../../scripts/windows' }
    $script:Files = @(Get-ChildItem -LiteralPath $windows -File |
            Where-Object { $_.Extension -in '.ps1', '.psm1' } |
            ForEach-Object { @{ Name = $_.Name; Path = $_.FullName; IsScript = $_.Extension -eq '.ps1' } })
}

BeforeAll {
    function Read-Ast {
        param([string] $Path, [string] $Text = '')
        $tokens = $null
        $errors = $null
        if ($Path -ne '') {
            $ast = [System.Management.Automation.Language.Parser]::ParseFile($Path, [ref] $tokens, [ref] $errors)
        } else {
            $ast = [System.Management.Automation.Language.Parser]::ParseInput($Text, [ref] $tokens, [ref] $errors)
        }
        return [pscustomobject] @{ Ast = $ast; Tokens = $tokens; Errors = $errors }
    }

    # Each finding: "line N: what" for syntax that PowerShell 5.1 does not have.
    function Find-SevenOnlySyntax {
        param($Parsed)
        $findings = New-Object 'System.Collections.Generic.List[string]'
        $all = $Parsed.Ast.FindAll({ $true }, $true)
        foreach ($node in $all) {
            $line = $node.Extent.StartLineNumber
            $type = $node.GetType().Name
            switch ($type) {
                'TernaryExpressionAst' { $findings.Add("line ${line}: ternary operator ? :") }
                'PipelineChainAst' { $findings.Add("line ${line}: pipeline chain && or ||") }
                'BinaryExpressionAst' {
                    if ($node.Operator -eq 'QuestionQuestion') { $findings.Add("line ${line}: ?? operator") }
                }
                'AssignmentStatementAst' {
                    if ($node.Operator -eq 'QuestionQuestionEquals') { $findings.Add("line ${line}: ??= operator") }
                }
                'MemberExpressionAst' {
                    if ($node.PSObject.Properties['NullConditional'] -and $node.NullConditional) {
                        $findings.Add("line ${line}: ?. operator")
                    }
                }
                'InvokeMemberExpressionAst' {
                    if ($node.PSObject.Properties['NullConditional'] -and $node.NullConditional) {
                        $findings.Add("line ${line}: ?. operator")
                    }
                }
                'IndexExpressionAst' {
                    if ($node.PSObject.Properties['NullConditional'] -and $node.NullConditional) {
                        $findings.Add("line ${line}: ?[] operator")
                    }
                }
                'CommandParameterAst' {
                    if ($node.ParameterName -in 'Parallel', 'ThrottleLimit', 'AsJob' -and
                        $node.Parent.GetCommandName() -in 'ForEach-Object', '%', 'foreach') {
                        $findings.Add("line ${line}: ForEach-Object -$($node.ParameterName)")
                    }
                }
                'ScriptBlockAst' {
                    if ($node.PSObject.Properties['CleanBlock'] -and $null -ne $node.CleanBlock) {
                        $findings.Add("line ${line}: clean {} block")
                    }
                }
                'CommandAst' {
                    $name = $node.GetCommandName()
                    if ($name -in 'Join-String', 'Get-Error', 'Test-Json', 'ConvertFrom-Markdown',
                        'Get-Uptime', 'Remove-Alias', 'Remove-Service') {
                        $findings.Add("line ${line}: cmdlet $name (PowerShell 6 or later)")
                    }
                }
            }
        }
        foreach ($token in $Parsed.Tokens) {
            if ($token.Kind -in 'QuestionDot', 'QuestionLBracket', 'QuestionQuestion',
                'QuestionQuestionEquals', 'AndAnd', 'OrOr') {
                $findings.Add("line $($token.Extent.StartLineNumber): token $($token.Text)")
            }
        }
        return , @($findings | Select-Object -Unique)
    }
}

Describe 'PowerShell syntax of <Name>' -ForEach $Files {
    BeforeAll {
        $parsed = Read-Ast $Path
    }

    It 'parses without errors' {
        @($parsed.Errors | ForEach-Object { "line $($_.Extent.StartLineNumber): $($_.Message)" }) |
            Should -BeNullOrEmpty
    }

    It 'uses no syntax that Windows PowerShell 5.1 lacks' {
        Find-SevenOnlySyntax $parsed | Should -BeNullOrEmpty
    }

    It 'turns strict mode on at the top level' {
        $top = @($parsed.Ast.EndBlock.Statements | Where-Object {
                $_ -is [System.Management.Automation.Language.PipelineAst] -and
                $_.PipelineElements[0] -is [System.Management.Automation.Language.CommandAst] -and
                $_.PipelineElements[0].GetCommandName() -eq 'Set-StrictMode'
            })
        $top.Count | Should -Be 1
        $top[0].Extent.Text | Should -Match '-Version\s+Latest'
    }

    It 'never merges a command''s error stream into its output (PowerShell issue 3996)' {
        $merges = @($parsed.Ast.FindAll({
                    param($node)
                    $node -is [System.Management.Automation.Language.MergingRedirectionAst] -and
                    $node.FromStream -eq [System.Management.Automation.Language.RedirectionStream]::Error
                }, $true) | ForEach-Object { "line $($_.Extent.StartLineNumber): $($_.Extent.Text)" })
        $merges | Should -BeNullOrEmpty
    }

    It 'runs its main only when not dot-sourced' -Skip:(-not $IsScript) {
        $last = $parsed.Ast.EndBlock.Statements[-1]
        $last | Should -BeOfType ([System.Management.Automation.Language.IfStatementAst])
        $last.Clauses[0].Item1.Extent.Text | Should -Be '$MyInvocation.InvocationName -ne ''.'''
        # Nothing but definitions, assignments and module imports before it.
        foreach ($statement in $parsed.Ast.EndBlock.Statements | Select-Object -SkipLast 1) {
            if ($statement -is [System.Management.Automation.Language.FunctionDefinitionAst]) { continue }
            if ($statement -is [System.Management.Automation.Language.AssignmentStatementAst]) { continue }
            $command = $statement.PipelineElements[0].GetCommandName()
            $command | Should -BeIn @('Set-StrictMode', 'Import-Module') -Because $statement.Extent.Text
        }
    }
}

Describe 'the 5.1 syntax check itself' {
    It 'finds <Text>' -ForEach @(
        @{ Text = '$a = $b ? 1 : 2' }
        @{ Text = '$a = $b ?? 1' }
        @{ Text = '$a ??= 1' }
        @{ Text = '${a}?.Length' }
        @{ Text = '${a}?[0]' }
        @{ Text = 'git status && git log' }
        @{ Text = 'git status || exit 1' }
        @{ Text = '1..3 | ForEach-Object -Parallel { $_ }' }
        @{ Text = 'function f { process { } clean { } }' }
    ) {
        Find-SevenOnlySyntax (Read-Ast '' $Text) | Should -Not -BeNullOrEmpty
    }

    It 'accepts 5.1 syntax' {
        Find-SevenOnlySyntax (Read-Ast '' 'if ($a) { 1 } else { 2 }; $b = @($c | ForEach-Object { $_ })') |
            Should -BeNullOrEmpty
    }
}

Describe 'the scripts load when dot-sourced' {
    It 'defines the bridge''s functions without reading stdin or exiting' {
        $bridge = Join-Path $PSScriptRoot '../../scripts/windows/sso-bridge.ps1'
        . $bridge
        Get-Command Invoke-Bridge -CommandType Function | Should -Not -BeNullOrEmpty
    }
}
