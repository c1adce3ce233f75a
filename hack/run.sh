#!/usr/bin/env bash
# run.sh is the front door of `make run`: it starts bin/jumpgate-appliance, waits
# until it answers GET /readyz, prints how to reach it, and stops it gracefully
# on Ctrl-C. The answer must come from the appliance it started (the instance ID
# in /readyz is the one in that appliance's banner): when another process answers
# at the URL, for example an appliance already running on this data dir or port,
# run.sh says so and fails.
#
# Usage: hack/run.sh [appliance flags...]
#
#   JUMPGATE_LISTEN          address to serve on (default :8443)
#   JUMPGATE_DATA_DIR        data directory (default ./jumpgate-data)
#   JUMPGATE_CA_CERT         CA file to trust (default <data-dir>/ca.pem, which the
#                            appliance writes unless given --tls-cert)
#   JUMPGATE_READY_TIMEOUT   seconds to wait for /readyz (default 30)
#
# Every other JUMPGATE_* variable and every argument reach the appliance as they
# are, e.g. `make run ARGS='--database postgres://...'`.
set -euo pipefail

cd "$(dirname "$0")/.."
appliance=bin/jumpgate-appliance
[[ -x $appliance ]] || { echo "run.sh: $appliance not found; run make build (or make run)" >&2; exit 1; }

export JUMPGATE_LISTEN="${JUMPGATE_LISTEN:-:8443}"
export JUMPGATE_DATA_DIR="${JUMPGATE_DATA_DIR:-./jumpgate-data}"
listen=$JUMPGATE_LISTEN
data_dir=$JUMPGATE_DATA_DIR

# Flags win over the environment in the appliance, so learn them here too.
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
	case ${args[i]} in
	-listen | --listen) listen=${args[i + 1]:-} ;;
	-listen=* | --listen=*) listen=${args[i]#*=} ;;
	-data-dir | --data-dir) data_dir=${args[i + 1]:-} ;;
	-data-dir=* | --data-dir=*) data_dir=${args[i]#*=} ;;
	esac
done

port=${listen##*:}
host=${listen%:*}
case $host in
# The appliance's own certificate names localhost.
"" | 0.0.0.0 | "[::]" | 127.0.0.1 | "[::1]") host=localhost ;;
esac
url="https://$host:$port"
ca=${JUMPGATE_CA_CERT:-$data_dir/ca.pem}
timeout=${JUMPGATE_READY_TIMEOUT:-30}

log=$(mktemp "${TMPDIR:-/tmp}/jumpgate-appliance.XXXXXX")
app=""
follower=""
cleanup() {
	# Only reached with the appliance still running when run.sh itself fails.
	[[ -n $app ]] && kill -TERM "$app" 2>/dev/null || true
	[[ -n $follower ]] && kill "$follower" 2>/dev/null || true
	rm -f "$log"
}
trap cleanup EXIT

# setsid keeps the appliance out of the terminal's process group, so Ctrl-C
# reaches it once, forwarded below, rather than twice.
launcher=()
command -v setsid >/dev/null && launcher=(setsid)
"${launcher[@]}" "$appliance" "$@" >"$log" 2>&1 </dev/null &
app=$!
forward() { kill -s "$1" "$app" 2>/dev/null || true; }
trap 'forward INT' INT
trap 'forward TERM' TERM

deadline=$((SECONDS + timeout))
ready=""
until [[ -f $ca ]] && ready=$(curl -fsS --max-time 2 --cacert "$ca" "$url/readyz" 2>/dev/null); do
	if ! kill -0 "$app" 2>/dev/null; then
		status=0
		wait "$app" || status=$?
		app=""
		{
			echo "run.sh: $appliance exited with status $status before it was ready; its output:"
			sed 's/^/  | /' "$log"
		} >&2
		exit 1
	fi
	if ((SECONDS >= deadline)); then
		{
			echo "run.sh: $url/readyz did not answer within ${timeout}s (CA file: $ca)."
			[[ -f $ca ]] || echo "run.sh: $ca does not exist; with --tls-cert, set JUMPGATE_CA_CERT to the CA that signed it."
			echo "run.sh: last attempt: $(curl -fsS --max-time 2 --cacert "$ca" "$url/readyz" 2>&1 || true)"
			echo "run.sh: appliance output:"
			sed 's/^/  | /' "$log"
		} >&2
		exit 1
	fi
	sleep 0.2 # poll interval
done

# The appliance prints "  process:  pid N, instance ID" before it serves, so by
# the time it answers /readyz its instance is in the log.
answered=$(sed -n 's/.*"instance": *"\([0-9a-f]*\)".*/\1/p' <<<"$ready")
mine=$(sed -n 's/^  process:  pid [0-9]*, instance \([0-9a-f]*\)$/\1/p' "$log")
if [[ -z $answered || $answered != "$mine" ]]; then
	# Give ours a moment to fail by itself (a locked data dir, a port in use),
	# so that its reason is in the output below.
	for _ in $(seq 50); do
		kill -0 "$app" 2>/dev/null || break
		sleep 0.1 # poll interval
	done
	{
		echo "run.sh: another process answered at $url, not the appliance this run.sh started (pid $app):"
		echo "run.sh:   /readyz said instance ${answered:-(none)}; ours is ${mine:-(not serving)}."
		echo "run.sh: an appliance is probably already running on this data dir ($data_dir) or port; stop it, or give this one"
		echo "run.sh: another --data-dir and --listen. Output of the appliance this run.sh started:"
		sed 's/^/  | /' "$log"
	} >&2
	exit 1
fi

abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
ca=$(abs "$ca")
token_file=$(abs "$data_dir")/admin-token
metrics_token_file=$(abs "$data_dir")/metrics-token
password_file=$(abs "$data_dir")/admin-password
if [[ -r $token_file ]]; then
	token=$(<"$token_file")
else
	token="(no $token_file: the appliance writes it on its first start only)"
fi
if [[ -r $password_file ]]; then
	password=$(<"$password_file")
else
	# Appliances set up before browser sign-in have no password file.
	password="(no $password_file: set one with PUT /api/v1/users/{id} and the admin token)"
fi

# Show what the appliance printed so far, then the banner, then follow its output.
cat "$log"
offset=$(($(wc -c <"$log") + 1))
cat <<BANNER

================================================================================
 Jumpgate appliance is ready (pid $app)

   URL             $url
   CA file         $ca
   Admin token     $token
   Admin password  $password   (user "admin", from $password_file)

 Sign in to the console: open $url/login in a browser, user admin.
 The browser must trust the appliance's own CA ($ca) first, or the
 __Host- session cookie is never stored:
   - Firefox: Settings > Privacy & Security > Certificates > View Certificates >
     Authorities > Import, and tick "identify websites".
   - Chrome/Chromium on Linux (its NSS store; libnss3-tools has certutil):
       certutil -d sql:\$HOME/.pki/nssdb -A -t C,, -n jumpgate -i $ca
   - Debian/Ubuntu system-wide (curl, wget, ...):
       sudo cp $ca /usr/local/share/ca-certificates/jumpgate.crt && sudo update-ca-certificates
   - macOS: sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain $ca
   - Windows: certutil -addstore -f Root ca.pem
 Or serve a certificate the browser already trusts: make run ARGS="--tls-cert FILE --tls-key FILE"

 Try the API:
   TOKEN=\$(cat $token_file)
   curl --cacert $ca -H "Authorization: Bearer \$TOKEN" $url/api/v1/jump-groups

 Or the CLI:
   bin/jumpgate login --url $url --token "\$(cat $token_file)" --ca-cert $ca

 Prometheus metrics (the scrape token, or the admin token):
   curl --cacert $ca -H "Authorization: Bearer \$(cat $metrics_token_file)" $url/metrics

 Press Ctrl-C to stop.
================================================================================

BANNER
tail -c "+$offset" --pid="$app" -f "$log" &
follower=$!

# wait returns early when a forwarded signal arrives; keep waiting until the
# appliance has really exited and pass on its status.
status=0
while kill -0 "$app" 2>/dev/null; do
	status=0
	wait "$app" || status=$?
done
app=""
wait "$follower" 2>/dev/null || true
follower=""
exit "$status"
