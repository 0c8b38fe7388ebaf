# Runs every *.Tests.ps1 beside this file with Pester 5; exit 1 when any test failed or none ran,
# 77 when Pester 5 is not installed (run-pester.sh turns that into a skip).
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$pester = Get-Module -ListAvailable -Name 'Pester' | Where-Object { $_.Version.Major -eq 5 } |
    Sort-Object Version -Descending | Select-Object -First 1
if ($null -eq $pester) {
    [Console]::Error.WriteLine('run-pester: Pester 5 not found in PSModulePath')
    exit 77
}
Import-Module $pester -Force

$configuration = New-PesterConfiguration
$configuration.Run.Path = $PSScriptRoot
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Normal'
$configuration.Should.ErrorAction = 'Stop'
$result = Invoke-Pester -Configuration $configuration

Write-Host ("run-pester: Pester {0}, PowerShell {1}: {2} passed, {3} failed, {4} skipped" -f
    $pester.Version, $PSVersionTable.PSVersion, $result.PassedCount, $result.FailedCount, $result.SkippedCount)
if ($result.FailedCount -gt 0 -or $result.PassedCount -eq 0 -or $result.Result -ne 'Passed') { exit 1 }
exit 0
