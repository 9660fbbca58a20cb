#!/usr/bin/env bash
# Builds the programs the tests and the demo run, from the Go module proxy, once per version:
# kube-apiserver, kube-controller-manager and kubectl (wrapper module kube/), etcd (etcd/), the
# distribution registry (registry/), cosign (cosign/), and crane and ggcr-registry, a registry with
# the OCI referrers API (crane/). Each wrapper's go.mod is the one place its version is pinned.
# Results live in ~/.cache/signwarden/<name>-<version>/; a build is written to a temporary
# directory and renamed into place with a stamp last, so a partial or stale build (different
# go.mod, go.sum, Go toolchain, flags or build recipe) is detected and redone.
# Prints, as JSON, the path of every binary.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${SIGNWARDEN_CACHE:-$HOME/.cache/signwarden}
mkdir -p "$cache"

log() { printf '%s\n' "$*" >&2; }

# Part of every build's cache key: bump it when the way build() builds changes.
recipe=1

# module_version DIR MODULE: the version DIR/go.mod requires of MODULE.
module_version() {
  awk -v m="$2" '$1 == "require" && $2 == m { print $3 } $1 == m && $2 ~ /^v/ { print $2 }' "$1/go.mod" | head -n 1
}

# build NAME DIR VERSION LDFLAGS PKG...: builds PKGs of the wrapper module in DIR into
# $cache/NAME-VERSION/bin unless a complete build with the same inputs is already there.
build() {
  local name=$1 dir=$here/$2 version=$3 ldflags=$4
  shift 4
  local dest=$cache/$name-$version
  local key
  key=$( { echo "$recipe"; go version; cat "$dir/go.mod" "$dir/go.sum"; printf '%s\n' "$ldflags" "$@"; } | sha256sum | cut -c1-64)
  if [[ -f $dest/stamp && $(cat "$dest/stamp") == "$key" ]]; then
    return
  fi
  log "building $name $version (cached afterwards in $dest)"
  local start=$SECONDS tmp
  tmp=$(mktemp -d "$cache/.$name-XXXXXX")
  trap 'rm -rf "$tmp"' RETURN
  local pkg
  for pkg in "$@"; do
    (cd "$dir" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w $ldflags" -o "$tmp/bin/" "$pkg")
  done
  printf '%s\n' "$key" > "$tmp/stamp"
  rm -rf "$dest"
  mv "$tmp" "$dest"
  log "built $name $version in $((SECONDS - start))s"
}

kube_version=$(module_version "$here/kube" k8s.io/kubernetes)
kube_minor=${kube_version#v1.}
kube_minor=${kube_minor%%.*}
stamp="-X k8s.io/component-base/version.gitVersion=$kube_version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$kube_minor -X k8s.io/component-base/version.gitTreeState=clean -X k8s.io/client-go/pkg/version.gitVersion=$kube_version -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$kube_minor -X k8s.io/client-go/pkg/version.gitTreeState=clean"
build kubernetes kube "$kube_version" "$stamp" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kubectl

etcd_version=$(module_version "$here/etcd" go.etcd.io/etcd/server/v3)
build etcd etcd "$etcd_version" "" .

registry_version=$(module_version "$here/registry" github.com/distribution/distribution/v3)
build registry registry "$registry_version" \
  "-X github.com/distribution/distribution/v3/version.version=$registry_version" \
  github.com/distribution/distribution/v3/cmd/registry

cosign_version=$(module_version "$here/cosign" github.com/sigstore/cosign/v3)
build cosign cosign "$cosign_version" \
  "-X sigs.k8s.io/release-utils/version.gitVersion=$cosign_version -X sigs.k8s.io/release-utils/version.gitTreeState=clean" \
  github.com/sigstore/cosign/v3/cmd/cosign

crane_version=$(module_version "$here/crane" github.com/google/go-containerregistry)
# ggcr-registry is the wrapper's own program: its source's hash goes into the ldflags, so into the
# cache key, and a change to it makes a new build.
ggcr_source=$(sha256sum < "$here/crane/ggcr-registry/main.go" | cut -c1-12)
build crane crane "$crane_version" \
  "-X github.com/google/go-containerregistry/cmd/crane/cmd.Version=$crane_version -X main.source=$ggcr_source" \
  github.com/google/go-containerregistry/cmd/crane ./ggcr-registry

k=$cache/kubernetes-$kube_version/bin
printf '{"kubeApiserver":"%s","kubeControllerManager":"%s","kubectl":"%s","etcd":"%s","registry":"%s","cosign":"%s","crane":"%s","ggcrRegistry":"%s","kubernetesVersion":"%s"}\n' \
  "$k/kube-apiserver" "$k/kube-controller-manager" "$k/kubectl" \
  "$cache/etcd-$etcd_version/bin/etcd" "$cache/registry-$registry_version/bin/registry" \
  "$cache/cosign-$cosign_version/bin/cosign" "$cache/crane-$crane_version/bin/crane" \
  "$cache/crane-$crane_version/bin/ggcr-registry" "$kube_version"
