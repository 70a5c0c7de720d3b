#!/usr/bin/env bash
# Packs SliceGpt.Native, SliceGpt.Kernels and SliceGpt.Runtime (with XML docs, symbols, readme and licence) into
# artifacts/packages, then builds tests/PackageConsumer against those packages from that local folder (as a user would,
# outside this repository's build settings) and runs it on stories260K. Also checks that a missing OpenBLAS named by
# SLICEGPT_OPENBLAS gives the clear error. Exit 0 when all of that works.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props)
feed="$PWD/artifacts/packages"
rm -rf "$feed"
mkdir -p "$feed"
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
for project in src/SliceGpt.Native src/SliceGpt.Kernels src/SliceGpt.Runtime; do
    dotnet pack "$project" -c Release -o "$feed" -p:RepositoryCommit="$commit" --nologo -v q
done
for id in SliceGpt.Native SliceGpt.Kernels SliceGpt.Runtime; do
    package="$feed/$id.$version.nupkg"
    [ -f "$package" ] && [ -f "$feed/$id.$version.snupkg" ] || { echo "pack: $id $version or its symbols are missing" >&2; exit 1; }
    listing=$(unzip -l "$package") # not piped into grep -q: pipefail would see unzip's SIGPIPE
    for entry in "lib/net10.0/$id.dll" "lib/net10.0/$id.xml" README.md LICENSE; do
        grep -q " $entry\$" <<< "$listing" || { echo "pack: $package lacks $entry" >&2; exit 1; }
    done
done
nuspec=$(unzip -p "$feed/SliceGpt.Runtime.$version.nupkg" SliceGpt.Runtime.nuspec)
grep -q 'id="SliceGpt.Kernels"' <<< "$nuspec" \
    || { echo "pack: SliceGpt.Runtime does not depend on SliceGpt.Kernels" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp tests/PackageConsumer/*.cs tests/PackageConsumer/*.csproj tests/PackageConsumer/Directory.*.props "$work/"
cat > "$work/nuget.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
CONFIG
export NUGET_PACKAGES="$work/nuget-cache" # a fresh cache: the packages come from the feed just packed
dotnet build "$work/PackageConsumer.csproj" -c Release -p:SliceGptVersion="$version" -o "$work/bin" --nologo -v q
model=../shared/models/stories260K
dotnet "$work/bin/PackageConsumer.dll" "$model/stories260K.bin" "$model/tok512.bin"
set +e
SLICEGPT_OPENBLAS=/nonexistent/libopenblas.so dotnet "$work/bin/PackageConsumer.dll" "$model/stories260K.bin" "$model/tok512.bin" \
    > "$work/blas.out" 2>&1
code=$?
set -e
if [ "$code" -ne 3 ] || ! grep -q "SLICEGPT_OPENBLAS" "$work/blas.out" || ! grep -q "apt-get install libopenblas0-pthread liblapacke" "$work/blas.out"; then
    echo "pack: a missing OpenBLAS did not give the clear error (exit $code):" >&2
    cat "$work/blas.out" >&2
    exit 1
fi
echo "packages: SliceGpt.Native, SliceGpt.Kernels, SliceGpt.Runtime $version in $feed; the consumer built from them and ran"
