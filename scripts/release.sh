#!/usr/bin/env bash
# Builds the linux-amd64 release archive and writes its uri and real sha256 into plugin.yaml.
# Usage: scripts/release.sh            (version from Cargo.toml)
set -euo pipefail
cd "$(dirname "$0")/.."

version="v$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)"
name="kubectl-istio-rev_${version}_linux_amd64"
dist="target/dist"

cargo build --release --locked --bin kubectl-istio_rev
rm -rf "${dist:?}/$name" && mkdir -p "$dist/$name"
cp target/release/kubectl-istio_rev README.md "$dist/$name/"
# A fixed mtime, owner and order keep the archive's bytes (and so its sha256) a function of its
# contents.
tar --sort=name --mtime='2026-01-01 00:00Z' --owner=0 --group=0 --numeric-owner \
    -C "$dist/$name" -cf - kubectl-istio_rev README.md | gzip -n > "$dist/$name.tar.gz"
sha=$(sha256sum "$dist/$name.tar.gz" | cut -d' ' -f1)
uri="https://github.com/kubectl-istio-rev/kubectl-istio-rev/releases/download/$version/$name.tar.gz"

sed -i \
    -e "s|^  version: .*|  version: \"$version\"|" \
    -e "s|^      uri: .*|      uri: $uri|" \
    -e "s|^      sha256: .*|      sha256: \"$sha\"|" \
    plugin.yaml
echo "$dist/$name.tar.gz sha256 $sha"
