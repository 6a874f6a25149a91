#!/usr/bin/env bash
# Fetches the test photos: the six group photos demo/sample1.jpg..sample6.jpg of the npm package
# @vladmandic/face-api 1.7.15, pinned by the tarball's SHA-256. Nothing from the package is
# committed; the photos land in tests/data/face-api/ (ignored by git). Safe to run again.
set -euo pipefail

PACKAGE="@vladmandic/face-api@1.7.15"
TARBALL="vladmandic-face-api-1.7.15.tgz"
SHA256="0d77fffeef362ef9c0939cf6c567f3a2e8e177f114fa257a3270cbd2e509b031"

root=$(cd "$(dirname "$0")/.." && pwd)
data="$root/tests/data"
out="$data/face-api"
mkdir -p "$data"

if [ -f "$out/sample6.jpg" ]; then
    echo "test photos: already in $out"
    exit 0
fi

if [ ! -f "$data/$TARBALL" ]; then
    echo "test photos: downloading $PACKAGE from the npm registry"
    (cd "$data" && npm pack --silent "$PACKAGE" >/dev/null)
fi

actual=$(sha256sum "$data/$TARBALL" | cut -d' ' -f1)
if [ "$actual" != "$SHA256" ]; then
    echo "test photos: $TARBALL has SHA-256 $actual, expected $SHA256; delete it and run again" >&2
    exit 1
fi

mkdir -p "$out"
tar -xzf "$data/$TARBALL" -C "$out" --strip-components=2 \
    package/demo/sample1.jpg package/demo/sample2.jpg package/demo/sample3.jpg \
    package/demo/sample4.jpg package/demo/sample5.jpg package/demo/sample6.jpg
echo "test photos: extracted sample1.jpg..sample6.jpg into $out"
