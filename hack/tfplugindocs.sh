#!/usr/bin/env bash
# tfplugindocs.sh regenerates the Terraform provider's documentation,
# provider/docs, from the provider's schema descriptions, the examples in
# examples/terraform and the templates in provider/templates. `make generate`
# runs it through the //go:generate line of provider/main.go.
#
# It works offline: tfplugindocs builds the provider, then asks the terraform
# on PATH for its schema (terraform init -plugin-dir, never a download; we
# never pass --tf-version). The output has no timestamps or local paths, so a
# second run changes nothing.
#
# TFPLUGINDOCS names the pinned binary (make generate passes it); without it
# the script installs the version pinned in the GNUmakefile into bin/tools.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

die() {
	echo "tfplugindocs.sh: $*" >&2
	exit 1
}

if [[ -z ${TFPLUGINDOCS:-} ]]; then
	version=$(sed -n 's/^TFPLUGINDOCS_VERSION *:= *//p' GNUmakefile)
	[[ -n $version ]] || die "TFPLUGINDOCS_VERSION not found in GNUmakefile"
	TFPLUGINDOCS=$root/bin/tools/tfplugindocs-$version
	[[ -x $TFPLUGINDOCS ]] || make --no-print-directory -C "$root" tfplugindocs >&2
fi
[[ -x $TFPLUGINDOCS ]] || die "$TFPLUGINDOCS is not an executable (make tfplugindocs installs it)"

# Without a terraform on PATH tfplugindocs would try to download the latest
# one. install-test-deps.sh may have built one into the cache.
cache_bin=${JUMPGATE_CACHE_DIR:-$HOME/.cache/jumpgate}/bin
if ! command -v terraform >/dev/null && [[ -x $cache_bin/terraform ]]; then
	PATH=$cache_bin:$PATH
fi
command -v terraform >/dev/null ||
	die "terraform is not on PATH; tfplugindocs needs it to read the provider's schema offline (hack/install-test-deps.sh provides it)"

# A private, valid CLI configuration: the machine's TF_CLI_CONFIG_FILE may
# name a missing file, or hold dev_overrides meant for hand runs.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'disable_checkpoint = true\n' >"$tmp/terraform.rc"
export TF_CLI_CONFIG_FILE=$tmp/terraform.rc CHECKPOINT_DISABLE=1
unset TF_PLUGIN_CACHE_DIR TF_LOG TF_CLI_ARGS TF_CLI_ARGS_init

# tfplugindocs logs every step; keep its output for when it fails.
if ! "$TFPLUGINDOCS" generate \
	--provider-dir provider \
	--provider-name jumpgate \
	--rendered-provider-name Jumpgate \
	--examples-dir ../examples/terraform \
	--website-source-dir templates \
	--rendered-website-dir docs \
	--website-temp-dir "$tmp/website" >"$tmp/log" 2>&1; then
	cat "$tmp/log" >&2
	die "tfplugindocs generate failed"
fi
echo "tfplugindocs.sh: provider/docs regenerated ($(find provider/docs -name '*.md' | wc -l) pages)"
