#!/usr/bin/env bash
# install-test-deps.sh makes sure the real dependencies of the test suite are on
# this machine, and writes $HOME/.cache/jumpgate/env.sh for the tests to find them.
#
# It is idempotent and cheap once everything is in place, so `make test` runs it
# every time. Each prerequisite has one ensure_* function that prints one line:
# "ok" when it was already there, "installed" when this run added it.
set -euo pipefail

CACHE_DIR="${JUMPGATE_CACHE_DIR:-$HOME/.cache/jumpgate}"
ENV_FILE="$CACHE_DIR/env.sh"
PG_MAJOR=15

# Terraform for the provider's acceptance tests, its benchmark and tfplugindocs.
# Without one on PATH it is built from the Go module proxy: the release's own
# go.mod replaces its nested modules with directories that the module zip
# leaves out, so `go install github.com/hashicorp/terraform@v1.11.4` is refused;
# a throwaway wrapper module requires the release and takes the nested modules
# from the proxy at the release commit's pseudo-version instead.
TERRAFORM_VERSION=1.11.4
TERRAFORM_NESTED_VERSION=v0.0.0-20250409131005-35645b8fca68 # commit 35645b8fca68, tag v1.11.4
TERRAFORM_NESTED_MODULES=(
	internal/backend/remote-state/azure internal/backend/remote-state/consul internal/backend/remote-state/cos
	internal/backend/remote-state/gcs internal/backend/remote-state/kubernetes internal/backend/remote-state/oss
	internal/backend/remote-state/pg internal/backend/remote-state/s3 internal/legacy
)

# envtest assets for the Kubernetes operator's tests (controller-runtime's
# envtest starts a real etcd and kube-apiserver): no download site for them is
# reachable, so both are built once from the Go module proxy into
# $ENVTEST_DIR. etcd's go.mod and kubernetes' go.mod replace modules with
# directories, so `go install` is refused; throwaway wrapper modules build them.
# kubernetes' staging modules (k8s.io/api, ...) come from the proxy at
# v0.<minor>.<patch>; v1.37.2's module zip is refused by the proxy.
ENVTEST_K8S_VERSION=1.37.1
ENVTEST_K8S_STAGING_VERSION=0.${ENVTEST_K8S_VERSION#1.} # 0.37.1
ENVTEST_ETCD_VERSION=3.6.16
ENVTEST_DIR="$CACHE_DIR/envtest/$ENVTEST_K8S_VERSION"

# env_lines collects the `export` lines that end up in $ENV_FILE.
env_lines=()

report() { printf '%-18s %s\n' "$1:" "$2"; }

die() {
	echo "install-test-deps: $*" >&2
	exit 1
}

# as_root runs a command as root, through sudo when we are not root already.
as_root() {
	if [[ $(id -u) -eq 0 ]]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		die "need root (or sudo) to run: $*"
	fi
}

apt_install() {
	command -v apt-get >/dev/null || die "apt-get not found; install $* by hand"
	export DEBIAN_FRONTEND=noninteractive
	# A fresh container often has no package lists yet; update only when needed.
	as_root apt-get install -y --no-install-recommends "$@" >/dev/null ||
		{ as_root apt-get update -qq && as_root apt-get install -y --no-install-recommends "$@" >/dev/null; }
}

# pg_bin_dir prints the first directory that holds PostgreSQL $PG_MAJOR server
# binaries: $JUMPGATE_PG_BIN, the one of initdb on PATH, then Debian's location.
pg_bin_dir() {
	local candidates=() dir
	[[ -n ${JUMPGATE_PG_BIN:-} ]] && candidates+=("$JUMPGATE_PG_BIN")
	if command -v initdb >/dev/null; then
		# Resolve symlinks such as /usr/local/bin/initdb so the directory also
		# holds the rest of the installation.
		candidates+=("$(dirname "$(readlink -f "$(command -v initdb)")")")
	fi
	candidates+=("/usr/lib/postgresql/$PG_MAJOR/bin")
	for dir in "${candidates[@]}"; do
		if [[ -x $dir/initdb && -x $dir/pg_ctl && -x $dir/postgres ]] &&
			[[ $("$dir/initdb" --version) =~ \ $PG_MAJOR\. ]]; then
			echo "$dir"
			return 0
		fi
	done
	return 1
}

ensure_postgres() {
	local dir status=ok
	if ! dir=$(pg_bin_dir); then
		apt_install "postgresql-$PG_MAJOR"
		dir=$(pg_bin_dir) || die "postgresql-$PG_MAJOR installed but its binaries were not found"
		status=installed
	fi
	env_lines+=("export JUMPGATE_PG_BIN=$(printf '%q' "$dir")")
	report postgresql "$status ($("$dir/postgres" --version | awk '{print $3}') in $dir)"
}

# ensure_postgres_user: initdb refuses to run as root, so when the tests run as
# root the harness runs it as the postgres user.
ensure_postgres_user() {
	if [[ $(id -u) -ne 0 ]]; then
		report "postgres user" "ok (not needed: tests do not run as root)"
		return
	fi
	if id -u postgres >/dev/null 2>&1; then
		report "postgres user" ok
		return
	fi
	useradd --system --user-group --no-create-home --shell /usr/sbin/nologin postgres
	report "postgres user" installed
}

# ensure_terraform_config writes a Terraform CLI config; the machine may export
# TF_CLI_CONFIG_FILE pointing at a file that does not exist.
ensure_terraform_config() {
	local file="$CACHE_DIR/terraform.rc" want
	want='disable_checkpoint = true'
	env_lines+=("export TF_CLI_CONFIG_FILE=$(printf '%q' "$file")" "export CHECKPOINT_DISABLE=1")
	if [[ -f $file && $(<"$file") == "$want" ]]; then
		report "terraform config" "ok ($file)"
		return
	fi
	printf '%s\n' "$want" >"$file"
	report "terraform config" "installed ($file)"
}

# terraform_version prints the version of the terraform binary $1.
terraform_version() {
	TF_CLI_CONFIG_FILE=/dev/null CHECKPOINT_DISABLE=1 "$1" version -json 2>/dev/null |
		sed -n 's/.*"terraform_version": *"\([^"]*\)".*/\1/p'
}

# build_terraform builds terraform $TERRAFORM_VERSION from the Go module proxy
# into $1, with throwaway module and build caches (about 4 GB while it runs,
# 10–12 minutes on 2 busy cores).
build_terraform() {
	local out=$1 tmp m
	command -v go >/dev/null || die "terraform is not on PATH and go is missing to build it"
	tmp=$(mktemp -d)
	# shellcheck disable=SC2064 # expand $tmp now
	trap "chmod -R u+w '$tmp' 2>/dev/null; rm -rf '$tmp'" EXIT
	echo "terraform: not on PATH; building v$TERRAFORM_VERSION from the Go module proxy (several minutes, once)" >&2
	(
		# set -e does not apply on the left of ||: every step checks itself.
		export GOMODCACHE=$tmp/mod GOCACHE=$tmp/cache GOFLAGS=-mod=mod GOWORK=off CGO_ENABLED=0
		mkdir "$tmp/wrapper" && cd "$tmp/wrapper" || exit 1
		go mod init local/terraform-build >"$tmp/log" 2>&1 || exit 1
		go mod edit -require="github.com/hashicorp/terraform@v$TERRAFORM_VERSION" || exit 1
		for m in "${TERRAFORM_NESTED_MODULES[@]}"; do
			go mod edit -replace="github.com/hashicorp/terraform/$m=github.com/hashicorp/terraform/$m@$TERRAFORM_NESTED_VERSION" || exit 1
		done
		nice go get -tool "github.com/hashicorp/terraform@v$TERRAFORM_VERSION" >>"$tmp/log" 2>&1 || exit 1
		nice go build -trimpath -ldflags '-s -w -X github.com/hashicorp/terraform/version.dev=no' \
			-o "$tmp/terraform" github.com/hashicorp/terraform >>"$tmp/log" 2>&1
	) || { tail -20 "$tmp/log" >&2 2>/dev/null; die "building terraform v$TERRAFORM_VERSION from the Go module proxy failed (above); install terraform $TERRAFORM_VERSION on PATH instead"; }
	[[ $(terraform_version "$tmp/terraform") == "$TERRAFORM_VERSION" ]] ||
		die "the terraform built from the Go module proxy does not report version $TERRAFORM_VERSION"
	mkdir -p "$(dirname "$out")"
	mv "$tmp/terraform" "$out"
	chmod -R u+w "$tmp" 2>/dev/null
	rm -rf "$tmp"
	trap - EXIT
}

# ensure_terraform: the provider's acceptance tests (TF_ACC=1, in make test
# and make testacc) and its benchmark run the real terraform: the one on PATH
# (preinstalled), else one built once into $CACHE_DIR/bin. Never
# TF_ACC_TERRAFORM_VERSION, which makes the tests download one.
ensure_terraform() {
	local tf status=ok cached="$CACHE_DIR/bin/terraform"
	if tf=$(command -v terraform); then
		tf=$(realpath -s "$tf")
	elif [[ -x $cached && $(terraform_version "$cached") == "$TERRAFORM_VERSION" ]]; then
		tf=$cached status="ok, built earlier from the Go module proxy"
	else
		build_terraform "$cached"
		tf=$cached status="installed, built from the Go module proxy"
	fi
	env_lines+=("export TF_ACC=1" "export TF_ACC_TERRAFORM_PATH=$(printf '%q' "$tf")")
	if [[ $tf == "$cached" ]]; then
		# tfplugindocs (make generate) and hand runs look for terraform on PATH.
		env_lines+=("export PATH=$(printf '%q' "$CACHE_DIR/bin"):\$PATH")
	fi
	report terraform "$status (v$(terraform_version "$tf"), $tf)"
}

# ensure_asciinema: the session tests play shell recordings with the real
# `asciinema play`, the player users are told to use.
ensure_asciinema() {
	local status=ok
	if ! command -v asciinema >/dev/null; then
		apt_install asciinema
		command -v asciinema >/dev/null || die "asciinema installed but not found on PATH"
		status=installed
	fi
	report asciinema "$status ($(asciinema --version 2>/dev/null | head -1))"
}

# ensure_tmux: a session test runs `jumpgate shell` in a real terminal.
ensure_tmux() {
	local status=ok
	if ! command -v tmux >/dev/null; then
		apt_install tmux
		command -v tmux >/dev/null || die "tmux installed but not found on PATH"
		status=installed
	fi
	report tmux "$status ($(tmux -V))"
}

# ensure_node: the API's patterns are checked in ECMA-262 with Node, as the
# web console runs them (api/rules_ecma_test.go). Debian's nodejs is enough:
# the test needs only RegExp with the u flag.
ensure_node() {
	local status=ok node
	if ! node=$(command -v node); then
		apt_install nodejs
		node=$(command -v node) || die "nodejs installed but node not found on PATH"
		status=installed
	fi
	env_lines+=("export JUMPGATE_NODE=$(printf '%q' "$node")")
	report node "$status ($("$node" --version), $node)"
}

# ensure_chromium: the web console's browser tests drive Debian's chromium
# headless (internal/browsertest); no tool may download a
# browser of its own.
ensure_chromium() {
	local status=ok chromium
	if ! chromium=$(command -v chromium); then
		apt_install chromium
		chromium=$(command -v chromium) || die "chromium installed but not found on PATH"
		status=installed
	fi
	env_lines+=("export JUMPGATE_CHROMIUM=$(printf '%q' "$chromium")")
	report chromium "$status ($("$chromium" --version 2>/dev/null | head -1), $chromium)"
}

# ensure_console_deps: the browser tests run axe-core from web/node_modules,
# which npm ci installs from web/package-lock.json (hack/console-build.sh
# deps, with npm's cache under $CACHE_DIR).
ensure_console_deps() {
	local status=ok axe
	axe="$(cd "$(dirname "$0")/.." && pwd)/web/node_modules/axe-core/axe.min.js"
	if [[ ! -f $axe ]]; then
		"$(dirname "$0")/console-build.sh" deps
		[[ -f $axe ]] || die "npm ci in web/ did not install $axe"
		status=installed
	fi
	env_lines+=("export JUMPGATE_AXE=$(printf '%q' "$axe")")
	report axe-core "$status ($axe)"
}

# ensure_openssh: the tunnel benchmark (make bench) measures `ssh -L` and
# `ssh host cmd` through a private sshd it starts on a loopback port. The
# package's own service is never started: Debian's policy-rc.d convention
# (exit 101) holds it back while apt runs, and under systemd the units it
# enables are disabled again.
ensure_openssh() {
	local sshd=/usr/sbin/sshd status=ok policy=/usr/sbin/policy-rc.d made_policy=
	if [[ ! -x $sshd ]] || ! command -v ssh >/dev/null || ! command -v ssh-keygen >/dev/null; then
		if [[ ! -e $policy ]]; then
			printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
			as_root chmod 0755 "$policy"
			made_policy=1
		fi
		apt_install openssh-server openssh-client || { [[ -n $made_policy ]] && as_root rm -f "$policy"; exit 1; }
		[[ -n $made_policy ]] && as_root rm -f "$policy"
		if [[ -d /run/systemd/system ]]; then
			as_root systemctl disable --now ssh.service ssh.socket >/dev/null 2>&1 || true
		fi
		[[ -x $sshd ]] || die "openssh-server installed but $sshd was not found"
		status="installed, its system service left stopped"
	fi
	env_lines+=("export JUMPGATE_SSHD=$(printf '%q' "$sshd")")
	report openssh "$status ($("$sshd" -V 2>&1 | cut -d, -f1), $sshd)"
}

# etcd_version prints the version the etcd binary $1 reports ("3.6.16").
etcd_version() {
	"$1" --version 2>/dev/null | sed -n 's/^etcd Version: *//p' || true
}

# kube_apiserver_version prints the version the kube-apiserver binary $1
# reports, without its "v" ("1.37.1").
kube_apiserver_version() {
	"$1" --version 2>/dev/null | sed -n 's/^Kubernetes v//p' || true
}

# envtest_etcd_ok and envtest_kube_apiserver_ok tell whether $ENVTEST_DIR holds
# a working binary of the pinned version, and leave the version it reports in
# envtest_etcd_have and envtest_kube_apiserver_have. Debian's etcd-server
# (3.4), which a run falls back to when the build fails, is marked by the file
# etcd.debian and then also accepted: remove $ENVTEST_DIR to try the build again.
envtest_etcd_have=
envtest_kube_apiserver_have=
envtest_etcd_ok() {
	envtest_etcd_have=$(etcd_version "$ENVTEST_DIR/etcd")
	[[ $envtest_etcd_have == "$ENVTEST_ETCD_VERSION" ]] ||
		[[ -n $envtest_etcd_have && -f $ENVTEST_DIR/etcd.debian ]]
}
envtest_kube_apiserver_ok() {
	envtest_kube_apiserver_have=$(kube_apiserver_version "$ENVTEST_DIR/kube-apiserver")
	[[ $envtest_kube_apiserver_have == "$ENVTEST_K8S_VERSION" ]]
}

# kubectl_version prints the client version the kubectl binary $1 reports,
# without its "v" ("1.37.1"); empty when it does not run.
kubectl_version() {
	"$1" version --client -o json 2>/dev/null |
		sed -n 's/^ *"gitVersion": *"v\([^"]*\)".*/\1/p' | head -1 || true
}

# envtest_kubectl_ok tells whether $ENVTEST_DIR/kubectl runs (any version: it
# is either a link to the kubectl on PATH or one built at
# $ENVTEST_K8S_VERSION), and leaves its version in envtest_kubectl_have.
envtest_kubectl_have=
envtest_kubectl_ok() {
	envtest_kubectl_have=$(kubectl_version "$ENVTEST_DIR/kubectl")
	[[ -n $envtest_kubectl_have ]]
}

# path_kubectl prints the resolved path of the kubectl on PATH when it runs.
path_kubectl() {
	local k
	k=$(command -v kubectl) || return 1
	k=$(readlink -f "$k") || return 1
	[[ -n $(kubectl_version "$k") ]] && echo "$k"
}

# build_envtest_etcd builds etcd $ENVTEST_ETCD_VERSION from the Go module proxy
# into $1/etcd, with module and build caches under $1 (about 1 minute).
build_envtest_etcd() {
	local tmp=$1
	(
		# set -e does not apply on the left of ||: every step checks itself.
		export GOMODCACHE=$tmp/mod GOCACHE=$tmp/cache GOFLAGS=-mod=mod GOWORK=off CGO_ENABLED=0
		mkdir "$tmp/etcd-wrapper" && cd "$tmp/etcd-wrapper" || exit 1
		go mod init local/etcd-build || exit 1
		nice go get -tool "go.etcd.io/etcd/server/v3@v$ENVTEST_ETCD_VERSION" || exit 1
		nice go build -trimpath -ldflags '-s -w' -o "$tmp/etcd" go.etcd.io/etcd/server/v3
	) >"$tmp/etcd.log" 2>&1 || return 1
	[[ $(etcd_version "$tmp/etcd") == "$ENVTEST_ETCD_VERSION" ]] ||
		{ echo "the etcd built reports version '$(etcd_version "$tmp/etcd")', not $ENVTEST_ETCD_VERSION" >>"$tmp/etcd.log"; return 1; }
}

# fetch_debian_etcd puts the etcd of Debian's etcd-server package into $1/etcd,
# without installing the package (no service, no root unless the package
# lists must be fetched first).
fetch_debian_etcd() {
	local tmp=$1 debs
	command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
		{ echo "apt-get or dpkg-deb not found" >>"$tmp/etcd.log"; return 1; }
	(
		mkdir -p "$tmp/deb" && cd "$tmp/deb" || exit 1
		apt-get download etcd-server || { as_root apt-get update -qq && apt-get download etcd-server; }
	) >>"$tmp/etcd.log" 2>&1 || return 1
	debs=("$tmp"/deb/etcd-server_*.deb)
	[[ -f ${debs[0]} ]] && dpkg-deb -x "${debs[0]}" "$tmp/deb/root" >>"$tmp/etcd.log" 2>&1 &&
		cp "$tmp/deb/root/usr/bin/etcd" "$tmp/etcd" && [[ -n $(etcd_version "$tmp/etcd") ]]
}

# build_envtest_kube_apiserver builds kube-apiserver $ENVTEST_K8S_VERSION from
# the Go module proxy into $1/kube-apiserver, with module and build caches
# under $1 (about 3.5 GB; 5 minutes on 2 idle cores, 13 on 2 busy ones).
# k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them
# with ./staging directories that its module zip leaves out; the wrapper module
# takes each from the proxy at $ENVTEST_K8S_STAGING_VERSION instead.
build_envtest_kube_apiserver() {
	local tmp=$1
	build_k8s_command "$tmp" kube-apiserver >"$tmp/kube-apiserver.log" 2>&1 || return 1
	[[ $(kube_apiserver_version "$tmp/kube-apiserver") == "$ENVTEST_K8S_VERSION" ]] ||
		{ echo "the kube-apiserver built reports version '$(kube_apiserver_version "$tmp/kube-apiserver")', not $ENVTEST_K8S_VERSION" >>"$tmp/kube-apiserver.log"; return 1; }
}

# build_envtest_kubectl builds kubectl $ENVTEST_K8S_VERSION into $1/kubectl
# the same way, in the same wrapper module and caches: cheaper right after
# kube-apiserver, whose packages it shares; alone about 1 GB of temporary
# caches and 5 minutes of CPU (24 minutes on 2 cores busy with other builds).
build_envtest_kubectl() {
	local tmp=$1
	build_k8s_command "$tmp" kubectl >"$tmp/kubectl.log" 2>&1 || return 1
	[[ $(kubectl_version "$tmp/kubectl") == "$ENVTEST_K8S_VERSION" ]] ||
		{ echo "the kubectl built reports version '$(kubectl_version "$tmp/kubectl")', not $ENVTEST_K8S_VERSION" >>"$tmp/kubectl.log"; return 1; }
}

# build_k8s_command builds k8s.io/kubernetes/cmd/$2 at $ENVTEST_K8S_VERSION
# into $1/$2, in the wrapper module $1/k8s-wrapper (made on first use) with
# module and build caches under $1. The version goes into both places a
# command reads it from (component-base for servers, client-go for kubectl).
build_k8s_command() {
	local tmp=$1 cmd=$2 major=${ENVTEST_K8S_VERSION%%.*} minor=${ENVTEST_K8S_VERSION#*.} v
	minor=${minor%%.*}
	(
		export GOMODCACHE=$tmp/mod GOCACHE=$tmp/cache GOFLAGS=-mod=mod GOWORK=off CGO_ENABLED=0
		if [[ ! -f $tmp/k8s-wrapper/go.mod ]]; then
			rm -rf "$tmp/k8s-wrapper"
			mkdir "$tmp/k8s-wrapper" && cd "$tmp/k8s-wrapper" || exit 1
			go mod init local/k8s-build || exit 1
			gomod=$(go list -m -f '{{.GoMod}}' "k8s.io/kubernetes@v$ENVTEST_K8S_VERSION") && [[ -f $gomod ]] || exit 1
			staging=$(awk '$1 == "replace" { $1 = ""; $0 = $0 } $2 == "=>" && $3 ~ /^\.\/staging\// { print $1 }' "$gomod")
			[[ -n $staging ]] || { echo "no ./staging replaces found in $gomod"; exit 1; }
			go mod edit -require="k8s.io/kubernetes@v$ENVTEST_K8S_VERSION" || exit 1
			for m in $staging; do
				go mod edit -replace="$m=$m@v$ENVTEST_K8S_STAGING_VERSION" || exit 1
			done
		fi
		cd "$tmp/k8s-wrapper" || exit 1
		nice go get -tool "k8s.io/kubernetes/cmd/$cmd@v$ENVTEST_K8S_VERSION" || exit 1
		v="-X k8s.io/component-base/version.gitVersion=v$ENVTEST_K8S_VERSION"
		v+=" -X k8s.io/component-base/version.gitMajor=$major -X k8s.io/component-base/version.gitMinor=$minor"
		v+=" -X k8s.io/client-go/pkg/version.gitVersion=v$ENVTEST_K8S_VERSION"
		v+=" -X k8s.io/client-go/pkg/version.gitMajor=$major -X k8s.io/client-go/pkg/version.gitMinor=$minor"
		nice go build -trimpath -ldflags "-s -w $v" -o "$tmp/$cmd" "k8s.io/kubernetes/cmd/$cmd"
	)
}

# build_envtest_assets builds what $ENVTEST_DIR lacks. It builds in a temporary
# directory next to it (so each binary is moved into place in one rename) that
# is removed afterwards, also on failure or interrupt; only the binaries stay.
build_envtest_assets() {
	local tmp parent=${ENVTEST_DIR%/*}
	command -v go >/dev/null || die "go is missing to build the envtest assets (etcd, kube-apiserver) into $ENVTEST_DIR"
	rm -rf "$parent"/.build.* 2>/dev/null || { chmod -R u+w "$parent"/.build.* && rm -rf "$parent"/.build.*; } # left by a killed run
	tmp=$(mktemp -d "$parent/.build.XXXXXX")
	# shellcheck disable=SC2064 # expand $tmp now
	trap "chmod -R u+w '$tmp' 2>/dev/null; rm -rf '$tmp'" EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	mkdir -p "$ENVTEST_DIR"
	if ! envtest_etcd_ok; then
		echo "envtest: building etcd v$ENVTEST_ETCD_VERSION from the Go module proxy (about a minute, once)" >&2
		if build_envtest_etcd "$tmp"; then
			rm -f "$ENVTEST_DIR/etcd.debian"
			mv -f "$tmp/etcd" "$ENVTEST_DIR/etcd"
		else
			tail -20 "$tmp/etcd.log" >&2
			echo "envtest: building etcd v$ENVTEST_ETCD_VERSION failed (above); falling back to Debian's etcd-server package" >&2
			fetch_debian_etcd "$tmp" ||
				{ tail -20 "$tmp/etcd.log" >&2; die "no etcd for envtest: building etcd v$ENVTEST_ETCD_VERSION from the Go module proxy and fetching Debian's etcd-server both failed (above); put an etcd binary into $ENVTEST_DIR by hand"; }
			mv -f "$tmp/etcd" "$ENVTEST_DIR/etcd"
			echo "Debian etcd-server, used because building etcd v$ENVTEST_ETCD_VERSION failed" >"$ENVTEST_DIR/etcd.debian"
		fi
		envtest_etcd_ok || die "the etcd installed into $ENVTEST_DIR does not run"
	fi
	if ! envtest_kube_apiserver_ok; then
		echo "envtest: building kube-apiserver v$ENVTEST_K8S_VERSION from the Go module proxy (5 to 15 minutes and 3.5 GB of temporary caches, once)" >&2
		build_envtest_kube_apiserver "$tmp" ||
			{ tail -20 "$tmp/kube-apiserver.log" >&2; die "building kube-apiserver v$ENVTEST_K8S_VERSION from the Go module proxy failed (above); put a kube-apiserver v$ENVTEST_K8S_VERSION binary into $ENVTEST_DIR by hand"; }
		mv -f "$tmp/kube-apiserver" "$ENVTEST_DIR/kube-apiserver"
		envtest_kube_apiserver_ok || die "the kube-apiserver installed into $ENVTEST_DIR does not run"
	fi
	if ! envtest_kubectl_ok; then
		local k
		if k=$(path_kubectl); then
			ln -sfn "$k" "$ENVTEST_DIR/kubectl"
		else
			echo "envtest: kubectl is not on PATH (or does not run); building kubectl v$ENVTEST_K8S_VERSION from the Go module proxy (minutes, once)" >&2
			build_envtest_kubectl "$tmp" ||
				{ tail -20 "$tmp/kubectl.log" >&2; die "building kubectl v$ENVTEST_K8S_VERSION from the Go module proxy failed (above); install kubectl on PATH instead"; }
			mv -f "$tmp/kubectl" "$ENVTEST_DIR/kubectl"
		fi
		envtest_kubectl_ok || die "the kubectl installed into $ENVTEST_DIR does not run"
	fi
	chmod -R u+w "$tmp" 2>/dev/null
	rm -rf "$tmp"
	trap - EXIT INT TERM
}

# ensure_envtest: the Kubernetes operator's tests run controller-runtime's
# envtest, which starts the etcd and kube-apiserver in $KUBEBUILDER_ASSETS.
# They are built once into $ENVTEST_DIR; a warm run only asks them for their
# version. The end-to-end test of the operator (test/e2e) also drives the API
# server with kubectl, $ENVTEST_DIR/kubectl (envtest's own kubectl too): a
# link to the kubectl on PATH when one runs, else kubectl $ENVTEST_K8S_VERSION
# built like kube-apiserver. JUMPGATE_KUBECTL names it.
ensure_envtest() {
	local status=ok
	if ! envtest_etcd_ok || ! envtest_kube_apiserver_ok || ! envtest_kubectl_ok; then
		mkdir -p "${ENVTEST_DIR%/*}"
		# A concurrent run (another make test) may be building them: wait for
		# it, then look again before building.
		exec 9>"${ENVTEST_DIR%/*}/.lock"
		if command -v flock >/dev/null; then
			flock 9
		fi
		if ! envtest_etcd_ok || ! envtest_kube_apiserver_ok || ! envtest_kubectl_ok; then
			build_envtest_assets
			status="installed"
		fi
		exec 9>&-
	fi
	if [[ -f $ENVTEST_DIR/etcd.debian ]]; then
		status+=", etcd is Debian's etcd-server as its build failed; remove $ENVTEST_DIR to build it again"
	fi
	local kubectl=$ENVTEST_DIR/kubectl kubectl_from="built from the Go module proxy"
	if [[ -L $kubectl ]]; then
		kubectl=$(readlink -f "$kubectl") kubectl_from="from PATH"
	fi
	env_lines+=("export KUBEBUILDER_ASSETS=$(printf '%q' "$ENVTEST_DIR")" "export JUMPGATE_KUBECTL=$(printf '%q' "$kubectl")")
	report envtest "$status (kube-apiserver v$envtest_kube_apiserver_have, etcd $envtest_etcd_have, kubectl v$envtest_kubectl_have $kubectl_from, $ENVTEST_DIR)"
}

# write_env_file rewrites $ENV_FILE only when its content changes, so that a
# warm run touches nothing.
write_env_file() {
	local content
	content=$(printf '%s\n' "# Written by hack/install-test-deps.sh; source it before go test." "${env_lines[@]}")
	if [[ ! -f $ENV_FILE || $(<"$ENV_FILE") != "$content" ]]; then
		printf '%s\n' "$content" >"$ENV_FILE.tmp"
		mv "$ENV_FILE.tmp" "$ENV_FILE"
	fi
	echo "env: source $ENV_FILE"
}

main() {
	mkdir -p "$CACHE_DIR"
	ensure_postgres
	ensure_postgres_user
	ensure_terraform_config
	ensure_terraform
	ensure_openssh
	ensure_asciinema
	ensure_tmux
	ensure_node
	ensure_chromium
	ensure_console_deps
	ensure_envtest
	write_env_file
}

main "$@"
