#!/usr/bin/env bash
# Packages an already-built ssoescrow.exe for Windows into OUTDIR (default dist/):
#
#   ssoescrow-<version>-windows-x64.zip   ssoescrow-<version>/ with ssoescrow.exe, the PowerShell
#                                        scripts (scripts/windows/*.ps1, *.psm1) and the docs
#   ssoescrow-<version>-windows-x64.msi   the same files under %ProgramFiles%\ssoescrow, and the
#                                        Application event-log source "ssoescrow" (registry key
#                                        HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\ssoescrow,
#                                        EventMessageFile = .NET's EventLogMessages.dll,
#                                        TypesSupported = 7), all removed on uninstall
#
#   scripts/package-windows.sh [--exe PATH] [OUTDIR]
#
# PATH defaults to build-windows/ssoescrow.exe (scripts/build-windows.sh's output). The version is
# the one in CMakeLists.txt's project(). Needs wixl (Debian package wixl) and zip; the MSI is
# built with wixl from a WiX source generated here (OUTDIR/ssoescrow.wxs, kept for review).
# Component GUIDs are derived from the file names (UUID v5), and the UpgradeCode is fixed, so a
# newer MSI replaces an older one (MajorUpgrade).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
exe=$root/build-windows/ssoescrow.exe
out=$root/dist
while [[ $# -gt 0 ]]; do
    case $1 in
        --exe)
            [[ $# -ge 2 ]] || { echo "package-windows: --exe needs a path" >&2; exit 2; }
            exe=$2
            shift 2
            ;;
        -h | --help)
            sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        -*)
            echo "package-windows: unknown option $1" >&2
            exit 2
            ;;
        *)
            out=$1
            shift
            ;;
    esac
done

die() {
    echo "package-windows: $*" >&2
    exit 1
}

[[ -f $exe ]] || die "$exe not found: build it with scripts/build-windows.sh or give --exe PATH"
command -v wixl >/dev/null || die "wixl not found: install Debian's wixl (scripts/bootstrap.sh)"
command -v zip >/dev/null || die "zip not found: install Debian's zip (scripts/bootstrap.sh)"

version=$(sed -nE 's/^project\(ssoescrow VERSION ([0-9]+\.[0-9]+\.[0-9]+).*/\1/p' "$root/CMakeLists.txt")
[[ -n $version ]] || die "no project(ssoescrow VERSION x.y.z) in CMakeLists.txt"
name=ssoescrow-$version
mkdir -p "$out"
out=$(cd "$out" && pwd)

# The files of the package: "SOURCE|NAME IN THE PACKAGE".
files=("$exe|ssoescrow.exe")
for script in "$root"/scripts/windows/*.ps1 "$root"/scripts/windows/*.psm1; do
    [[ -f $script ]] && files+=("$script|$(basename "$script")")
done
files+=("$root/README.md|README.md" "$root/SECURITY.md|SECURITY.md" "$root/vault/FORMAT.md|FORMAT.md")
for license in LICENSE LICENSE.txt LICENSE.md COPYING; do
    [[ -f $root/$license ]] && files+=("$root/$license|$license")
done

stage=$(mktemp -d "${TMPDIR:-/tmp}/ssoescrow-package.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/$name"
for entry in "${files[@]}"; do
    cp "${entry%%|*}" "$stage/$name/${entry##*|}"
done

# --- zip --------------------------------------------------------------------------------------
zip_file=$out/$name-windows-x64.zip
rm -f "$zip_file"
(cd "$stage" && zip -q -X -r "$zip_file" "$name")

# --- msi --------------------------------------------------------------------------------------
# A stable GUID per name (UUID v5 in a namespace of this product): the same file keeps the same
# component from one version to the next, as Windows Installer's component rules want.
guid() {
    python3 -c 'import sys, uuid; print(uuid.uuid5(uuid.UUID("6f1d3c52-8e0b-4b7a-9c2d-3a5e7f9b1c04"), sys.argv[1]))' "$1"
}
xml_escape() {
    local text=${1//&/&amp;}
    text=${text//</&lt;}
    text=${text//>/&gt;}
    printf '%s' "${text//\"/&quot;}"
}
# Identifiers: letters, digits, '_' and '.', starting with a letter.
identifier() {
    local id=${1//[^A-Za-z0-9_.]/_}
    printf 'f_%s' "$id"
}

event_key='SYSTEM\CurrentControlSet\Services\EventLog\Application\ssoescrow'
wxs=$out/ssoescrow.wxs
{
    cat <<EOF
<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="ssoescrow" Language="1033" Version="$version" Manufacturer="ssoescrow"
           UpgradeCode="5b8e6a52-3c2e-4d0f-9a51-1f0b8c3e7a11">
    <Package InstallerVersion="500" Compressed="yes" InstallScope="perMachine"
             Description="ssoescrow $version: ENTSSO master secret escrow"/>
    <Media Id="1" Cabinet="ssoescrow.cab" EmbedCab="yes"/>
    <MajorUpgrade DowngradeErrorMessage="A newer version of ssoescrow is installed."/>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFiles64Folder">
        <Directory Id="INSTALLDIR" Name="ssoescrow">
EOF
    for entry in "${files[@]}"; do
        target=${entry##*|}
        id=$(identifier "$target")
        cat <<EOF
          <Component Id="$id" Guid="$(guid "file:$target")" Win64="yes">
            <File Id="$id" Name="$(xml_escape "$target")" Source="$(xml_escape "$name/$target")" KeyPath="yes"/>
          </Component>
EOF
    done
    # The event source: the key is created on install and removed with its values on uninstall
    # (Registry row Name "*"); the message file is .NET's, whose every message is "%1".
    cat <<EOF
          <Component Id="EventSource" Guid="$(guid "registry:event-source")" Win64="yes">
            <RegistryKey Root="HKLM" Key="$event_key">
              <RegistryValue Name="EventMessageFile" Type="string"
                             Value="[WindowsFolder]Microsoft.NET\\Framework64\\v4.0.30319\\EventLogMessages.dll" KeyPath="yes"/>
              <RegistryValue Name="TypesSupported" Type="integer" Value="7"/>
              <RegistryValue Name="*" Type="string" Value=""/>
            </RegistryKey>
          </Component>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Main" Title="ssoescrow" Level="1">
EOF
    for entry in "${files[@]}"; do
        echo "      <ComponentRef Id=\"$(identifier "${entry##*|}")\"/>"
    done
    cat <<EOF
      <ComponentRef Id="EventSource"/>
    </Feature>
  </Product>
</Wix>
EOF
} >"$wxs"

msi_file=$out/$name-windows-x64.msi
rm -f "$msi_file"
# wixl takes the Source paths relative to its working folder: the staging folder.
(cd "$stage" && wixl -a x64 -o "$msi_file" "$wxs")

echo "package-windows: $zip_file"
echo "package-windows: $msi_file"
