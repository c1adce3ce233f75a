#!/usr/bin/env bash
# demo.sh is `make demo`: the whole product on this machine, in a temporary
# directory, without root and without touching your Terraform or jumpgate
# configuration. It
#
#   1. starts bin/jumpgate-appliance on a free loopback port with a temporary
#      data dir (embedded SQLite) and the agent builds of bin/agents;
#   2. starts a small web server on 127.0.0.1 (the "remote" service);
#   3. installs bin/terraform-provider-jumpgate into a private filesystem
#      mirror and applies a copy of examples/terraform/quickstart with it;
#   4. runs `terraform plan` again, which must show no changes;
#   5. downloads the Jump Client and Jumpoint installers the configuration
#      made, and installs both into temporary directories (--scope user);
#   6. waits until both are connected;
#   7. runs a command on the Jump Client with `jumpgate run`;
#   8. fetches the web page through the Jumpoint with `jumpgate tunnel`;
#   9. deletes the Jump Client (the agent uninstalls itself) and runs
#      `terraform destroy` (the Jumpoint node uninstalls itself);
#  10. stops everything and removes the temporary directory, also on failure
#      or Ctrl-C, and prints what it did.
#
# Usage: hack/demo.sh (make demo builds the binaries first)
#
#   JUMPGATE_DEMO_BIN_DIR    directory of jumpgate-appliance, jumpgate and
#                            terraform-provider-jumpgate (default bin)
#   JUMPGATE_DEMO_AGENT_DIR  agent builds with manifest.json (default <bin dir>/agents)
#   JUMPGATE_DEMO_KEEP=1     keep the temporary directory (logs, state) after the end
#   JUMPGATE_DEMO_WEB=go     serve the page with a small Go server instead of python3
#   PROVIDER_VERSION         version the provider is installed as (default: GNUmakefile's)
#   TMPDIR                   where the temporary directory goes
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD

bin_dir=${JUMPGATE_DEMO_BIN_DIR:-$root/bin}
agent_dir=${JUMPGATE_DEMO_AGENT_DIR:-$bin_dir/agents}
keep=${JUMPGATE_DEMO_KEEP:-}
web_impl=${JUMPGATE_DEMO_WEB:-}
provider_version=${PROVIDER_VERSION:-$(sed -n 's/^PROVIDER_VERSION *?*= *\([^ ]*\).*/\1/p' GNUmakefile | head -n 1)}
provider_version=${provider_version:-0.0.1}

# hack/install-test-deps.sh builds a terraform into the cache when none is on
# PATH; use it too.
cache_bin=${JUMPGATE_CACHE_DIR:-$HOME/.cache/jumpgate}/bin
if ! command -v terraform >/dev/null 2>&1 && [[ -x $cache_bin/terraform ]]; then
	PATH=$cache_bin:$PATH
fi

# Nothing of the caller's jumpgate or Terraform setup may leak in: the
# appliance reads JUMPGATE_* (its database, TLS files), the CLI its stored
# login, terraform its CLI config, plugin cache, TF_VAR_* and TF_CLI_ARGS*.
for v in $(compgen -e); do
	case $v in
	TF_LOG | TF_LOG_PATH) ;;
	JUMPGATE_* | TF_*) unset "$v" ;;
	esac
done
# Loopback never goes through a proxy.
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"

# ---------------------------------------------------------------- output

started_at=$SECONDS
step_no=0
step_total=9
summary=()
fail_logs=()
interrupted=""

step() {
	step_no=$((step_no + 1))
	fail_logs=()
	printf '\n==> [%d/%d] %s\n' "$step_no" "$step_total" "$*"
}
info() { printf '    %s\n' "$@"; }
# indent prints a file or stdin indented, for command output.
indent() { sed 's/^/    | /' "$@"; }
# done_ records a line of the final summary.
done_() {
	summary+=("$*")
	printf '    ok: %s\n' "$*"
}
die() {
	{
		printf '\ndemo: FAILED in step %d: %s\n' "$step_no" "$*"
		local f
		for f in "${fail_logs[@]}"; do
			[[ -s $f ]] || continue
			printf 'demo: last lines of %s:\n' "${f#"$work"/}"
			tail -n 40 "$f" | indent
		done
	} >&2
	exit 1
}
# elapsed prints the seconds since the demo started.
elapsed() { echo "$((SECONDS - started_at))s"; }

# --------------------------------------------------------------- helpers

have() { command -v "$1" >/dev/null 2>&1; }

# tmo runs a command with a time limit: tmo SECONDS CMD... It keeps the
# command in the foreground, so that Ctrl-C reaches it.
tmo() {
	local s=$1
	shift
	if have timeout; then
		timeout --foreground -k 5 "$s" "$@"
	else
		"$@"
	fi
}

# wait_for DESCRIPTION SECONDS CMD...: run CMD (in this shell, so that it
# may set variables) every 0.25 s until it succeeds; fail after SECONDS with
# DESCRIPTION and CMD's last output.
wait_for() {
	local what=$1 limit=$2
	shift 2
	local deadline=$((SECONDS + limit)) last=$work/logs/wait.out
	until "$@" >"$last" 2>&1; do
		if ((SECONDS >= deadline)); then
			die "timed out after ${limit}s waiting for $what$([[ -s $last ]] && printf ' (last answer: %s)' "$(head -c 300 "$last")")"
		fi
		sleep 0.25
	done
}

# free_port prints a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
	local p
	for _ in $(seq 100); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	die "no free TCP port found on 127.0.0.1"
}

# launch starts a command in the background, in a session of its own (so
# that Ctrl-C reaches it only through cleanup), with its output in a log;
# it sets $! as usual.
launch() {
	local log=$1
	shift
	if have setsid; then
		setsid "$@" >"$log" 2>&1 </dev/null &
	else
		"$@" >"$log" 2>&1 </dev/null &
	fi
}

# stop_pid stops a process we started: TERM (or the given signal), then KILL
# after a grace period.
stop_pid() {
	local pid=$1 sig=${2:-TERM} grace=${3:-15}
	[[ -n $pid ]] || return 0
	kill -0 "$pid" 2>/dev/null || return 0
	kill -s "$sig" "$pid" 2>/dev/null || true
	local deadline=$((SECONDS + grace))
	while kill -0 "$pid" 2>/dev/null; do
		if ((SECONDS >= deadline)); then
			kill -KILL "$pid" 2>/dev/null || true
			break
		fi
		sleep 0.1
	done
	wait "$pid" 2>/dev/null || true
}

# api calls the appliance's API as the bootstrap administrator.
api() { curl -fsS --noproxy '*' --max-time 15 --cacert "$ca" -H "Authorization: Bearer $token" "$@"; }

# jg runs the jumpgate CLI (connection from JUMPGATE_URL/TOKEN/CA_CERT).
jg() { "$bin_dir/jumpgate" "$@"; }

# ---------------------------------------------------------------- checks

for f in jumpgate-appliance jumpgate terraform-provider-jumpgate; do
	[[ -x $bin_dir/$f ]] || { echo "demo: $bin_dir/$f not found; run make build (or make demo)" >&2; exit 1; }
done
[[ -f $agent_dir/manifest.json ]] || { echo "demo: no agent builds in $agent_dir (manifest.json); run make build" >&2; exit 1; }
have terraform || { echo "demo: terraform is not on PATH (nor in $cache_bin); install it, or run hack/install-test-deps.sh, which builds one" >&2; exit 1; }
have curl || { echo "demo: curl is not on PATH; the demo needs it" >&2; exit 1; }
case $(uname -s)/$(uname -m) in
Linux/x86_64 | Linux/amd64) platform=linux-amd64 ;;
Linux/aarch64 | Linux/arm64) platform=linux-arm64 ;;
*) echo "demo: make demo runs on Linux (amd64 or arm64), not $(uname -s)/$(uname -m)" >&2; exit 1 ;;
esac
[[ -f $agent_dir/jumpgate-agent-$platform ]] || { echo "demo: $agent_dir has no jumpgate-agent-$platform; run make build" >&2; exit 1; }
if [[ -z $web_impl ]]; then
	if have python3 && python3 -c 'import http.server' 2>/dev/null; then web_impl=python3; else web_impl=go; fi
fi
[[ $web_impl != go ]] || have go || { echo "demo: neither python3 nor go is on PATH to serve the demo's web page" >&2; exit 1; }
# The platform terraform itself runs as names the provider's directory.
tf_platform=$(terraform version -json 2>/dev/null | sed -n 's/.*"platform": *"\([^"]*\)".*/\1/p' | head -n 1)
tf_platform=${tf_platform:-$(uname -s | tr 'A-Z' 'a-z')_${platform#linux-}}

work=$(mktemp -d "${TMPDIR:-/tmp}/jumpgate-demo.XXXXXX")
mkdir -p "$work/logs"

# ---------------------------------------------------------------- cleanup

app_pid=""
web_pid=""
tunnel_pid=""
agent_pids=()
agent_dirs=()
tf_applied=""

cleanup() {
	local status=$?
	trap - EXIT INT TERM
	set +e
	if [[ -n $interrupted ]]; then
		status=130
		printf '\ndemo: interrupted; cleaning up\n' >&2
	fi
	stop_pid "$tunnel_pid" INT 10
	# A failed run leaves the configuration on the appliance; take it down
	# with terraform while the appliance is still there. (Its database is in
	# the temporary directory anyway.)
	if [[ -n $tf_applied && -z $interrupted && -n $app_pid ]] && kill -0 "$app_pid" 2>/dev/null; then
		local d
		for d in "${agent_dirs[@]}"; do
			[[ -x $d/init-script ]] && "$d/init-script" stop >/dev/null 2>&1
		done
		api -X DELETE "$JUMPGATE_URL/api/v1/jump-clients/${client_id:-0}" >/dev/null 2>&1
		tmo 60 terraform -chdir="$tf_dir" destroy -auto-approve -no-color >"$work/logs/cleanup-destroy.log" 2>&1 ||
			echo "demo: terraform destroy during cleanup failed (the appliance's database is removed with the temporary directory anyway)" >&2
	fi
	local d pid
	for d in "${agent_dirs[@]}"; do
		[[ -x $d/init-script ]] && "$d/init-script" stop >/dev/null 2>&1
	done
	for pid in "${agent_pids[@]}"; do
		stop_pid "$pid" TERM 10
	done
	stop_pid "$web_pid" TERM 5
	stop_pid "$app_pid" TERM 20
	if [[ -n $keep ]]; then
		echo "demo: kept $work (JUMPGATE_DEMO_KEEP)" >&2
	else
		rm -rf "$work"
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'interrupted=1; exit 130' INT TERM

printf 'Jumpgate demo: the appliance, Terraform, a Jump Client and a Jumpoint on this machine.\n'
printf 'Working directory: %s (removed at the end)\n' "$work"

# ------------------------------------------------------ 1. the appliance

step "Starting the appliance on a temporary SQLite database"
data_dir=$work/appliance
ca=$data_dir/ca.pem
for attempt in 1 2 3; do
	port=$(free_port)
	url="https://127.0.0.1:$port"
	rm -rf "$data_dir"
	app_log=$work/logs/appliance.log
	launch "$app_log" "$bin_dir/jumpgate-appliance" --listen "127.0.0.1:$port" --public-url "$url" \
		--data-dir "$data_dir" --database "sqlite://$data_dir/jumpgate.db" --agent-dir "$agent_dir"
	app_pid=$!
	fail_logs=("$app_log")
	deadline=$((SECONDS + 30))
	until [[ -f $ca ]] && curl -fsS --noproxy '*' --max-time 2 --cacert "$ca" "$url/readyz" >/dev/null 2>&1; do
		if ! kill -0 "$app_pid" 2>/dev/null; then
			wait "$app_pid" 2>/dev/null || true
			app_pid=""
			break
		fi
		((SECONDS < deadline)) || die "the appliance did not answer $url/readyz within 30s"
		sleep 0.2
	done
	[[ -n $app_pid ]] && break
	grep -qi 'address already in use' "$app_log" || die "the appliance exited before it was ready"
done
[[ -n $app_pid ]] || die "the appliance could not bind a port in 3 attempts"
token=$(<"$data_dir/admin-token")
export JUMPGATE_URL=$url JUMPGATE_TOKEN=$token JUMPGATE_CA_CERT=$ca JUMPGATE_CONFIG_DIR=$work/cli
info "URL         $url" "data dir    $data_dir (jumpgate.db, ca.pem, admin-token)"
info "agent dir   $agent_dir" "admin token ${token:0:8}… (JUMPGATE_TOKEN for terraform and the CLI)"
done_ "started the appliance at $url on a temporary SQLite database (pid $app_pid)"

# ------------------------------------------------------ 2. the web server

step "Starting a web server on 127.0.0.1 (the service behind the Jumpoint)"
www=$work/www
mkdir -p "$www"
marker="jumpgate-demo-$RANDOM$RANDOM"
cat >"$www/index.html" <<HTML
<!doctype html>
<title>Jumpgate demo</title>
<h1>Hello through the Jumpoint!</h1>
<p>Served from $www; marker $marker.</p>
HTML
if [[ $web_impl == go ]]; then
	mkdir -p "$work/websrv"
	cat >"$work/websrv/main.go" <<'GO'
// A static file server: main DIR ADDR.
package main

import (
	"log"
	"net/http"
	"os"
)

func main() { log.Fatal(http.ListenAndServe(os.Args[2], http.FileServer(http.Dir(os.Args[1])))) }
GO
	fail_logs=("$work/logs/websrv-build.log")
	(cd "$work/websrv" && GOFLAGS= GO111MODULE=off tmo 120 go build -o websrv main.go) >"$work/logs/websrv-build.log" 2>&1 ||
		die "could not build the Go web server"
fi
for attempt in 1 2 3; do
	web_port=$(free_port)
	web_log=$work/logs/web.log
	if [[ $web_impl == go ]]; then
		launch "$web_log" "$work/websrv/websrv" "$www" "127.0.0.1:$web_port"
	else
		launch "$web_log" python3 -m http.server "$web_port" --bind 127.0.0.1 --directory "$www"
	fi
	web_pid=$!
	fail_logs=("$web_log")
	deadline=$((SECONDS + 15))
	until curl -fsS --noproxy '*' --max-time 2 "http://127.0.0.1:$web_port/" >/dev/null 2>&1; do
		if ! kill -0 "$web_pid" 2>/dev/null; then
			wait "$web_pid" 2>/dev/null || true
			web_pid=""
			break
		fi
		((SECONDS < deadline)) || die "the web server did not answer on 127.0.0.1:$web_port within 15s"
		sleep 0.2
	done
	[[ -n $web_pid ]] && break
done
[[ -n $web_pid ]] || die "the web server could not start in 3 attempts"
web_desc=$([[ $web_impl == go ]] && echo "a Go file server" || echo "python3 -m http.server")
done_ "started $web_desc on 127.0.0.1:$web_port"

# ------------------------------------------------------ 3. terraform apply

step "Applying examples/terraform/quickstart with the provider from a local filesystem mirror"
tf_root=$work/terraform
mirror=$tf_root/mirror
plugin_dir=$mirror/registry.terraform.io/jumpgate/jumpgate/$provider_version/$tf_platform
mkdir -p "$plugin_dir"
cp "$bin_dir/terraform-provider-jumpgate" "$plugin_dir/terraform-provider-jumpgate_v$provider_version"
# A CLI configuration of our own: only the mirror, no registry, no checkpoint.
export TF_CLI_CONFIG_FILE=$tf_root/terraformrc CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
cat >"$TF_CLI_CONFIG_FILE" <<EOF
disable_checkpoint = true
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/jumpgate/jumpgate"]
  }
}
EOF
# A copy of the configuration, so that .terraform and the state stay out of
# the repository.
tf_dir=$tf_root/quickstart
mkdir -p "$tf_dir"
cp "$root"/examples/terraform/quickstart/*.tf "$tf_dir/"
cat >"$tf_dir/demo.auto.tfvars" <<EOF
# The provider's url, token and ca_cert_pem come from JUMPGATE_URL,
# JUMPGATE_TOKEN and JUMPGATE_CA_CERT.
name_prefix = "demo"
platform    = "$platform"
target_host = "127.0.0.1"
target_port = $web_port
EOF
info "provider    $plugin_dir/terraform-provider-jumpgate_v$provider_version" \
	"CLI config  $TF_CLI_CONFIG_FILE (filesystem_mirror only)" "config      $tf_dir (a copy of examples/terraform/quickstart)"
fail_logs=("$work/logs/init.log")
tmo 60 terraform -chdir="$tf_dir" init -no-color >"$work/logs/init.log" 2>&1 || die "terraform init failed"
grep -E 'Installed jumpgate/jumpgate|Using previously-installed' "$work/logs/init.log" | indent || true
fail_logs=("$work/logs/apply.log" "$app_log")
tf_applied=1
tmo 180 terraform -chdir="$tf_dir" apply -auto-approve -no-color >"$work/logs/apply.log" 2>&1 || die "terraform apply failed"
grep -E '^jumpgate_[a-z_]+\.[a-z_]+(\[[0-9]+\])?: Creation complete|^Apply complete' "$work/logs/apply.log" | indent
applied=$(sed -n 's/^Apply complete! Resources: \([0-9]*\) added.*/\1/p' "$work/logs/apply.log")
tmo 30 terraform -chdir="$tf_dir" output -no-color >"$work/logs/outputs.txt" 2>&1 || die "terraform output failed"
info "outputs:"
indent "$work/logs/outputs.txt"
done_ "terraform apply created ${applied:-the} resources of examples/terraform/quickstart (provider $provider_version from a filesystem mirror)"

out() { tmo 30 terraform -chdir="$tf_dir" output -raw "$1" 2>>"$work/logs/outputs.err" || die "terraform output $1 failed"; }
jumpoint_id=$(out jumpoint_id)
tunnel_id=$(out protocol_tunnel_jump_id)
client_url=$(out jump_client_download_url)
client_cmd=$(out jump_client_download_command)
client_install=$(out jump_client_install_command)
jumpoint_url=$(out jumpoint_download_url)
tunnel_cmd=$(out tunnel_command)

# ------------------------------------------------------ 4. terraform plan

step "terraform plan: the appliance matches the configuration"
fail_logs=("$work/logs/plan.log")
plan_status=0
tmo 120 terraform -chdir="$tf_dir" plan -detailed-exitcode -no-color >"$work/logs/plan.log" 2>&1 || plan_status=$?
case $plan_status in
0) grep -E '^No changes' "$work/logs/plan.log" | indent ;;
2) die "terraform plan right after apply wants changes (a provider bug: the read-back differs from the configuration)" ;;
*) die "terraform plan failed (exit status $plan_status)" ;;
esac
done_ "terraform plan -detailed-exitcode found no changes after the apply"

# ------------------------------------------------------ 5. installers

step "Downloading the installers and installing a Jump Client and a Jumpoint node (user scope, temporary dirs)"
dl=$work/downloads
mkdir -p "$dl"
# The download command is the configuration's output as it is: curl with
# $JUMPGATE_TOKEN and $JUMPGATE_CA_CERT.
info "\$ $client_cmd"
fail_logs=("$work/logs/download.log")
(cd "$dl" && eval "tmo 60 $client_cmd") >"$work/logs/download.log" 2>&1 || die "downloading the Jump Client installer failed"
client_file=$(cd "$dl" && ls jumpgate-jc-*.bin 2>/dev/null | head -n 1)
[[ -n $client_file ]] || die "the download command saved no jumpgate-jc-*.bin"
(cd "$dl" && tmo 60 curl -fsS --noproxy '*' --cacert "$ca" -H "Authorization: Bearer $token" -OJ "$jumpoint_url") >>"$work/logs/download.log" 2>&1 ||
	die "downloading the Jumpoint installer from $jumpoint_url failed"
jumpoint_file=$(cd "$dl" && ls jumpgate-jumpoint-*.bin 2>/dev/null | head -n 1)
[[ -n $jumpoint_file ]] || die "the Jumpoint download saved no jumpgate-jumpoint-*.bin"
info "downloaded  $client_file ($(wc -c <"$dl/$client_file") bytes), $jumpoint_file ($(wc -c <"$dl/$jumpoint_file") bytes)"

# install_agent NAME FILE DIR [FLAGS...]: install from FILE into DIR as the
# current user, with a HOME and host id of its own, and start it.
install_agent() {
	local name=$1 file=$2 dir=$3
	shift 3
	local log=$work/logs/install-$name.log
	fail_logs=("$log" "$dir/agent.log" "$app_log")
	mkdir -p "$work/home-$name"
	agent_dirs+=("$dir")
	info "\$ sh ./$file --scope user --startup none --install-dir $dir $*"
	(cd "$dl" && HOME=$work/home-$name JUMPGATE_AGENT_HOST_ID=jumpgate-demo-$name-$$ \
		tmo 60 sh "./$file" --scope user --startup none --install-dir "$dir" "$@") >"$log" 2>&1 ||
		die "installing the $name failed"
	(HOME=$work/home-$name JUMPGATE_AGENT_HOST_ID=jumpgate-demo-$name-$$ tmo 30 "$dir/init-script" start) >>"$log" 2>&1 ||
		die "starting the $name ($dir/init-script start) failed"
	agent_pids+=("$(<"$dir/agent.pid")")
}
install_agent jump-client "$client_file" "$work/jump-client" --jc-name demo-endpoint
install_agent jumpoint "$jumpoint_file" "$work/jumpoint"
info "(the configuration's own install command, system-wide as root: $client_install)"
done_ "downloaded the Jump Client and Jumpoint installers the configuration made and installed both in user mode"

# ------------------------------------------------------ 6. online

step "Waiting for the Jump Client and the Jumpoint node to connect"
client_online() {
	local body
	body=$(api "$JUMPGATE_URL/api/v1/jump-clients?name=demo-endpoint&status=online") || return 1
	client_id=$(sed -n 's/^{"items":\[{"id":\([0-9]*\).*/\1/p' <<<"$body")
	[[ -n $client_id ]] || { echo "$body"; return 1; }
}
fail_logs=("$work/jump-client/agent.log" "$app_log")
wait_for "the Jump Client demo-endpoint to be online" 30 client_online
jumpoint_connected() {
	local body
	body=$(api "$JUMPGATE_URL/api/v1/jumpoints/$jumpoint_id") || return 1
	grep -q '"connected":true' <<<"$body" || { echo "$body"; return 1; }
}
fail_logs=("$work/jumpoint/agent.log" "$app_log")
wait_for "the Jumpoint's node to connect" 30 jumpoint_connected
jg items list 2>&1 | indent || true
# The node's connection shows in the jumpoint's read-only attributes; it
# must not make a plan.
fail_logs=("$work/logs/plan-connected.log")
plan_status=0
tmo 120 terraform -chdir="$tf_dir" plan -detailed-exitcode -no-color >"$work/logs/plan-connected.log" 2>&1 || plan_status=$?
case $plan_status in
0) info "terraform plan: still no changes" ;;
2) die "terraform plan wants changes once the agents are connected (a provider bug)" ;;
*) die "terraform plan failed (exit status $plan_status)" ;;
esac
done_ "the Jump Client (client:$client_id) is online and the Jumpoint's node is connected ($(elapsed) since the start); terraform plan still shows no changes"

# ------------------------------------------------------ 7. jumpgate run

step "Running a command on the Jump Client: jumpgate run client:demo-endpoint -- uname -a"
fail_logs=("$work/logs/run.log" "$work/jump-client/agent.log")
tmo 60 "$bin_dir/jumpgate" run client:demo-endpoint -- uname -a >"$work/logs/run.out" 2>"$work/logs/run.log" ||
	{ cat "$work/logs/run.out" >>"$work/logs/run.log"; die "jumpgate run failed"; }
indent "$work/logs/run.out"
[[ -s $work/logs/run.out ]] || die "jumpgate run printed nothing"
done_ "jumpgate run client:demo-endpoint -- uname -a printed: $(head -c 100 "$work/logs/run.out" | head -n 1)"

# ------------------------------------------------------ 8. jumpgate tunnel

step "Fetching the page through the Jumpoint: $tunnel_cmd"
tunnel_out=$work/logs/tunnel.out
tunnel_log=$work/logs/tunnel.log
if have setsid; then
	setsid "$bin_dir/jumpgate" tunnel "tunnel:$tunnel_id" >"$tunnel_out" 2>"$tunnel_log" </dev/null &
else
	"$bin_dir/jumpgate" tunnel "tunnel:$tunnel_id" >"$tunnel_out" 2>"$tunnel_log" </dev/null &
fi
tunnel_pid=$!
fail_logs=("$tunnel_log" "$work/jumpoint/agent.log" "$app_log")
tunnel_listening() {
	kill -0 "$tunnel_pid" 2>/dev/null || { echo "jumpgate tunnel exited: $(cat "$tunnel_log")"; return 1; }
	grep -qE '^127\.[0-9.]+:[0-9]+ -> ' "$tunnel_out"
}
wait_for "jumpgate tunnel to listen" 30 tunnel_listening
tunnel_line=$(grep -E '^127\.[0-9.]+:[0-9]+ -> ' "$tunnel_out" | head -n 1)
local_addr=${tunnel_line%% *}
info "jumpgate tunnel: $tunnel_line"
info "\$ curl http://$local_addr/"
fail_logs=("$work/logs/page.log" "$tunnel_log" "$work/jumpoint/agent.log")
tmo 30 curl -fsS --noproxy '*' --max-time 20 "http://$local_addr/" >"$work/logs/page.html" 2>"$work/logs/page.log" ||
	die "fetching http://$local_addr/ through the tunnel failed"
indent "$work/logs/page.html"
grep -q "$marker" "$work/logs/page.html" || die "the page fetched through the tunnel is not the demo's page"
stop_pid "$tunnel_pid" INT 10
tunnel_pid=""
jg sessions list --all 2>&1 | indent || true
done_ "fetched the page from 127.0.0.1:$web_port through the Jumpoint at $local_addr (jumpgate tunnel tunnel:$tunnel_id)"

# ------------------------------------------------------ 9. teardown

step "Taking it all down: delete the Jump Client, terraform destroy"
fail_logs=("$work/jump-client/agent.log" "$app_log")
info "\$ curl -X DELETE $JUMPGATE_URL/api/v1/jump-clients/$client_id"
api -X DELETE "$JUMPGATE_URL/api/v1/jump-clients/$client_id" >/dev/null || die "deleting Jump Client $client_id failed"
gone() { [[ ! -e $1 ]] || { echo "$1 still exists"; return 1; }; }
wait_for "the Jump Client to uninstall itself from $work/jump-client" 30 gone "$work/jump-client"
info "the Jump Client's agent removed $work/jump-client by itself"
fail_logs=("$work/logs/destroy.log" "$app_log")
tmo 180 terraform -chdir="$tf_dir" destroy -auto-approve -no-color >"$work/logs/destroy.log" 2>&1 || die "terraform destroy failed"
grep -E '^Destroy complete' "$work/logs/destroy.log" | indent
tf_applied=""
destroyed=$(sed -n 's/^Destroy complete! Resources: \([0-9]*\) destroyed.*/\1/p' "$work/logs/destroy.log")
fail_logs=("$work/jumpoint/agent.log" "$app_log")
wait_for "the Jumpoint node to uninstall itself from $work/jumpoint" 30 gone "$work/jumpoint"
info "the Jumpoint node removed $work/jumpoint by itself (its jumpoint was deleted)"
left=$(api "$JUMPGATE_URL/api/v1/jump-groups") || die "listing jump groups failed"
[[ $left == '{"items":[]'* ]] || die "jump groups are left after terraform destroy: $left"
done_ "deleted the Jump Client (its agent uninstalled itself) and terraform destroy removed all ${destroyed:-the} resources (the Jumpoint node uninstalled itself)"

# Stop the rest here rather than in cleanup, to report it.
stop_pid "$web_pid" TERM 5
web_pid=""
stop_pid "$app_pid" TERM 20
app_pid=""
agent_dirs=()
done_ "stopped the web server and the appliance; $work is removed next"

printf '\n==> Jumpgate demo: done in %s\n' "$(elapsed)"
for i in "${!summary[@]}"; do
	printf '  %2d. %s\n' "$((i + 1))" "${summary[$i]}"
done
cat <<EOF

Next: run the appliance for real with \`make run\`, install the provider for your own
configurations with \`make provider-install\`, and apply examples/terraform/quickstart
(README.md, "Terraform provider").
EOF
