#!/usr/bin/env bash
# scripts/package-windows.sh from a stand-in ssoescrow.exe (the package's content is tested, not
# the binary): the zip holds every file under ssoescrow-<version>/; the MSI's tables install the
# same files under ProgramFiles64Folder\ssoescrow, register the Application event-log source
# "ssoescrow" (EventMessageFile, TypesSupported 7, the key created and removed with the product)
# in one feature, and msiextract gives back the exact bytes. Skipped (77) without wixl, msitools
# or zip. Env: none (the repository is found from this script's folder).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
for tool in wixl msiinfo msiextract zip unzip python3; do
    command -v "$tool" >/dev/null || {
        echo "$tool not found (Debian packages wixl, msitools, zip, unzip): skipped"
        exit 77
    }
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ssoescrow-package-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
FAILURES=0
CHECKS=0
fail() {
    echo "FAIL: $*" >&2
    FAILURES=$((FAILURES + 1))
}
check() {  # DESCRIPTION COMMAND...
    local what=$1
    shift
    CHECKS=$((CHECKS + 1))
    "$@" || fail "$what"
}

version=$(sed -nE 's/^project\(ssoescrow VERSION ([0-9.]+).*/\1/p' "$root/CMakeLists.txt")
printf 'MZ stand-in for ssoescrow.exe %s\n' "$RANDOM$RANDOM" >"$WORK/ssoescrow.exe"

# Refusals first: no executable, an unknown option.
CHECKS=$((CHECKS + 1))
if "$root/scripts/package-windows.sh" --exe "$WORK/missing.exe" "$WORK/none" 2>"$WORK/err"; then
    fail "a missing executable was packaged"
fi
grep -q 'missing.exe not found' "$WORK/err" || fail "missing executable message: $(cat "$WORK/err")"
[[ ! -e $WORK/none/ssoescrow-$version-windows-x64.msi ]] || fail "an MSI was written without an executable"

"$root/scripts/package-windows.sh" --exe "$WORK/ssoescrow.exe" "$WORK/dist" >"$WORK/out" 2>"$WORK/err" ||
    { cat "$WORK/err" >&2; fail "package-windows.sh failed"; exit 1; }
zip_file=$WORK/dist/ssoescrow-$version-windows-x64.zip
msi=$WORK/dist/ssoescrow-$version-windows-x64.msi
check "the zip exists" test -s "$zip_file"
check "the msi exists" test -s "$msi"
CHECKS=$((CHECKS + 1))
grep -q 'CRITICAL\|WARNING' "$WORK/err" && fail "wixl complained: $(cat "$WORK/err")"

expected=(ssoescrow.exe sso-bridge.ps1 install-backup-task.ps1 collect-topology.ps1
    ssoescrow-windows.psm1 README.md SECURITY.md FORMAT.md)
source_of() {
    case $1 in
        ssoescrow.exe) echo "$WORK/ssoescrow.exe" ;;
        README.md | SECURITY.md) echo "$root/$1" ;;
        FORMAT.md) echo "$root/vault/FORMAT.md" ;;
        *) echo "$root/scripts/windows/$1" ;;
    esac
}
# Every script of scripts/windows is in the expected list (a new one must be packaged too).
for script in "$root"/scripts/windows/*.ps1 "$root"/scripts/windows/*.psm1; do
    CHECKS=$((CHECKS + 1))
    [[ " ${expected[*]} " == *" $(basename "$script") "* ]] || fail "$(basename "$script") is not expected"
done

echo "--- the zip"
mkdir "$WORK/unzipped"
unzip -q "$zip_file" -d "$WORK/unzipped"
for name in "${expected[@]}"; do
    check "zip: $name has the source's bytes" cmp -s "$(source_of "$name")" "$WORK/unzipped/ssoescrow-$version/$name"
done
CHECKS=$((CHECKS + 1))
count=$(find "$WORK/unzipped" -type f | wc -l)
[[ $count -eq ${#expected[@]} ]] || fail "zip holds $count files, expected ${#expected[@]}"

echo "--- the msi's tables"
msiinfo tables "$msi" >"$WORK/tables"
for table in File Component Directory Feature FeatureComponents Registry Media Upgrade; do
    check "msi has table $table" grep -qx "$table" "$WORK/tables"
done
(cd "$WORK" && msiinfo export "$msi" File >File.idt && msiinfo export "$msi" Registry >Registry.idt &&
    msiinfo export "$msi" Directory >Directory.idt && msiinfo export "$msi" Component >Component.idt &&
    msiinfo export "$msi" FeatureComponents >FeatureComponents.idt &&
    msiinfo export "$msi" Property >Property.idt)
python3 - "$WORK" "$version" "${expected[@]}" <<'PY' || fail "msi tables (see above)"
import sys
work, version, expected = sys.argv[1], sys.argv[2], sys.argv[3:]

def rows(table):
    lines = open(f"{work}/{table}.idt", encoding="utf-8").read().replace("\r", "").split("\n")
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"))) for line in lines[3:] if line]

errors = []
files = {r["FileName"].split("|")[-1]: r for r in rows("File")}
if sorted(files) != sorted(expected):
    errors.append(f"File table: {sorted(files)} != {sorted(expected)}")
components = {r["Component"]: r for r in rows("Component")}
directories = {r["Directory"]: r for r in rows("Directory")}
install = directories.get("INSTALLDIR", {})
if install.get("DefaultDir") != "ssoescrow" or install.get("Directory_Parent") != "ProgramFiles64Folder":
    errors.append(f"INSTALLDIR is not ProgramFiles64Folder\\ssoescrow: {install}")
for name, row in files.items():
    component = components.get(row["Component_"])
    if component is None or component["Directory_"] != "INSTALLDIR":
        errors.append(f"{name} is not installed into INSTALLDIR: {component}")
    elif not int(component["Attributes"]) & 256:
        errors.append(f"{name}'s component is not 64-bit")
key = "SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\ssoescrow"
registry = [r for r in rows("Registry") if r["Key"].rstrip("\\") == key]
values = {r["Name"]: r for r in registry}
if any(r["Root"] != "2" for r in registry):
    errors.append("the event source is not under HKLM")
message_file = values.get("EventMessageFile", {}).get("Value", "")
if message_file != "[WindowsFolder]Microsoft.NET\\Framework64\\v4.0.30319\\EventLogMessages.dll":
    errors.append(f"EventMessageFile: {message_file!r}")
if values.get("TypesSupported", {}).get("Value") != "#7":
    errors.append(f"TypesSupported: {values.get('TypesSupported')}")
if "*" not in values or values["*"].get("Value", "") != "":
    errors.append("no '*' row: the key would not be removed on uninstall")
featured = {r["Component_"] for r in rows("FeatureComponents")}
for component in list(components):
    if component not in featured:
        errors.append(f"component {component} is in no feature")
properties = {r["Property"]: r["Value"] for r in rows("Property")}
if properties.get("ProductVersion") != version:
    errors.append(f"ProductVersion {properties.get('ProductVersion')} != {version}")
if properties.get("UpgradeCode", "").upper() != "{5B8E6A52-3C2E-4D0F-9A51-1F0B8C3E7A11}":
    errors.append(f"UpgradeCode {properties.get('UpgradeCode')}")
for e in errors:
    print("FAIL:", e, file=sys.stderr)
print(f"msi tables: {len(files)} files, {len(registry)} registry rows, {len(components)} components")
sys.exit(1 if errors else 0)
PY
CHECKS=$((CHECKS + 1))

echo "--- the msi's files"
mkdir "$WORK/extracted"
(cd "$WORK/extracted" && msiextract "$msi" >/dev/null)
for name in "${expected[@]}"; do
    found=$(find "$WORK/extracted" -type f -name "$name" | head -1)
    check "msi: $name has the source's bytes" cmp -s "$(source_of "$name")" "$found"
done

echo "--- a second build gives the same component GUIDs (stable across versions)"
"$root/scripts/package-windows.sh" --exe "$WORK/ssoescrow.exe" "$WORK/dist2" >/dev/null 2>&1
msiinfo export "$WORK/dist2/ssoescrow-$version-windows-x64.msi" Component >"$WORK/Component2.idt"
check "component GUIDs are stable" cmp -s <(sort "$WORK/Component.idt") <(sort "$WORK/Component2.idt")

if [[ $FAILURES -ne 0 ]]; then
    echo "$FAILURES of $CHECKS checks failed" >&2
    exit 1
fi
echo "all $CHECKS checks passed"
