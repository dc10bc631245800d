#!/bin/sh
# Call set-up with the anti-fraud engine on and off: the cost of the
# engine on the calls it decides.
#   bench/fraud.sh [BUILD_DIR]               (default build/release)
# Builds nothing. Needs sipp (sip-tester); says how to install it and
# stops when missing.
#
# Two rempartd from copies of one data directory: one as shipped, one
# with --fraud off (the engine is not started: no ceiling, rule or block;
# rights profiles are still checked). A call: SIPp caller
# (bench/sipp/call_uac.xml) -> rempartd -> an IP trunk -> SIPp carrier
# (bench/sipp/call_uas.xml) on 127.0.0.7, to a French mobile number (class mobile,
# allowed by the default profile 'staff'), rated (+33, 0.10 a minute,
# per second), under a global ceiling far above what the run spends, so
# that the engine classifies, rates, checks the ceilings and rules,
# tracks and charges every call. BENCH_FRAUD_USERS callers share the
# load; the rules that count one user's calls (call-rate,
# concurrent-user, short-burst) are off, since a bench caller places
# hundreds of short calls a minute, which they are right to refuse.
#
# Steps: BENCH_FRAUD_ROUNDS rounds of two steps at BENCH_FRAUD_RATE
# calls a second for BENCH_FRAUD_STEP_SECONDS, engine on then off, the
# order swapped every round, so that a noisy moment of a shared machine
# falls on both. Per step: calls per CPU-second of the server (utime +
# stime in /proc, before and after the step, over CLK_TCK). The result
# is the ratio of the totals, off / on: 1.05 means the engine costs 5 %
# of the set-up rate.
#
# Environment: BENCH_FRAUD_RATE (200), BENCH_FRAUD_STEP_SECONDS (5),
# BENCH_FRAUD_ROUNDS (4), BENCH_FRAUD_HOLD_MS (500), BENCH_FRAUD_USERS
# (50), BENCH_KEEP=1 keeps the work directory.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build/release}
rate=${BENCH_FRAUD_RATE:-200}
secs=${BENCH_FRAUD_STEP_SECONDS:-5}
rounds=${BENCH_FRAUD_ROUNDS:-4}
hold_ms=${BENCH_FRAUD_HOLD_MS:-500}
nusers=${BENCH_FRAUD_USERS:-50}
realm=bench.test
number=0612345678
# The carrier on an address of its own: the trunk's access list must not
# take the callers (on 127.0.0.1) for the carrier.
carrier=127.0.0.7
rempartd="$build/src/main/rempartd"
rempart="$build/src/main/rempart"

for exe in "$rempartd" "$rempart"; do
	if [ ! -x "$exe" ]; then
		echo "fraud.sh: $exe not built" >&2
		exit 1
	fi
done
if ! command -v sipp >/dev/null 2>&1; then
	echo "fraud.sh: missing sip-tester; install with:" >&2
	echo "  sudo apt-get install -y sip-tester" >&2
	exit 1
fi
# shellcheck disable=SC3045 # dash and bash both have ulimit -n, -H
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -H -n)" 2>/dev/null || true

work=$(mktemp -d /tmp/rempart-bench-fraud.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "fraud.sh: work directory kept: $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A UDP port nobody listens on, from $1 up, even, with the next two free
# (SIPp's media socket binds p and p + 2); ports handed out are skipped.
taken=""
free_port() {
	p=$1
	while :; do
		p=$(((p + 1) / 2 * 2))
		if ! ss -Hlun "sport >= :$p and sport <= :$((p + 2))" |
		    grep -q . && ! echo " $taken " | grep -q " $p "; then
			break
		fi
		p=$((p + 2))
	done
	taken="$taken $p"
}

# CPU ticks (utime + stime) of process $1.
cpu_ticks() {
	awk '{ s = $0; sub(/^.*\) /, "", s); split(s, f, " ")
	       print f[12] + f[13] }' "/proc/$1/stat"
}

stat_col() {
	awk -F';' -v col="$2" 'NR == 1 { for (i = 1; i <= NF; i++)
	        if ($i == col) c = i }
	    NR > 1 && c { v = $c }
	    END { print v + 0 }' "$1" 2>/dev/null || echo 0
}

hz=$(getconf CLK_TCK)
pin_server="" pin_client=""
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
	pin_server="taskset -c 0" pin_client="taskset -c 1"
fi

echo "== Call set-up, anti-fraud engine on and off ($(uname -m)," \
    "$(nproc) cores)"
echo "   $nusers callers to $number over an IP trunk; $rounds rounds of" \
    "${secs} s at $rate calls/s a mode; calls of $hold_ms ms"

# One data directory, copied for the second server below.
var="$work/on"
"$rempart" --data "$var" init --realm "$realm" >/dev/null 2>&1
echo SEQUENTIAL >"$work/callers.csv"
i=0
while [ $i -lt "$nusers" ]; do
	ext=$((2000 + i))
	secret=$("$rempart" --data "$var" user add "$ext" \
	    --name "Bench $i" --generate-secret 2>/dev/null |
	    sed -n 's/.*secret \([^ ]*\) (shown once).*/\1/p')
	if [ -z "$secret" ]; then
		echo "fraud.sh: rempart user add $ext failed" >&2
		exit 1
	fi
	echo "$ext;[authentication username=$ext password=$secret];$number" \
	    >>"$work/callers.csv"
	i=$((i + 1))
done
printf '+33 0.10 0 1 1 France\n' >"$work/rates.txt"
{
	"$rempart" --data "$var" rate import "$work/rates.txt"
	"$rempart" --data "$var" ceiling set global --daily 1000000 \
	    --hourly 1000000
	for rule in call-rate concurrent-user short-burst; do
		"$rempart" --data "$var" fraud rule "$rule" --mode off
	done
} >/dev/null
cp -r "$var" "$work/off"

free_port 36100
uac_port=$p
free_port 38100
uac_media=$p

# Starts the server of mode $1 (on, off) with its carrier SIPp: sets
# spid_$1, port_$1.
start() {
	mode=$1
	free_port 35060
	port=$p
	free_port 37000
	uport=$p
	free_port 38000
	umedia=$p
	"$rempart" --data "$work/$mode" trunk add op --kind ip \
	    --host "$carrier" --port "$uport" --acl "$carrier/32" \
	    --channels 10000 >/dev/null
	"$rempart" --data "$work/$mode" route add out --pattern "0." \
	    --trunks op >/dev/null
	# Loopback trusted: the guard's per-source limits would throttle
	# the one SIPp source. MD5 only: SIPp answers nothing else.
	# shellcheck disable=SC2086 # $pin_server: a command, or nothing
	$pin_server "$rempartd" --data "$work/$mode" \
	    --listen "udp:127.0.0.1:$port" --trusted 127.0.0.1/32 \
	    --digest md5 --trunk-check off --fraud "$mode" \
	    >>"$work/rempartd-$mode.log" 2>&1 &
	eval "spid_$mode=\$!"
	pids="$pids $!"
	eval "port_$mode=$port"
	# shellcheck disable=SC2086
	$pin_client sipp -sf "$here/sipp/call_uas.xml" -i "$carrier" \
	    -p "$uport" -mi "$carrier" -mp "$umedia" -timeout 1800s \
	    -buff_size 4194304 -nostdin >"$work/uas-$mode.out" 2>&1 &
	pids="$pids $!"
	i=0
	while ! grep -q 'msg="trunks loaded"' "$work/rempartd-$mode.log"; do
		i=$((i + 1))
		if [ $i -gt 50 ]; then
			echo "fraud.sh: rempartd ($mode) did not start, see" \
			    "$work/rempartd-$mode.log" >&2
			exit 1
		fi
		sleep 0.2
	done
}

# One step: mode $1, round $2. Appends "mode calls ok cpu_ticks".
step() {
	mode=$1
	eval "spid=\$spid_$mode port=\$port_$mode"
	calls=$((rate * secs))
	stat="$work/$mode-$2.csv"
	limit=$((secs + hold_ms / 1000 + 30))
	c0=$(cpu_ticks "$spid")
	# shellcheck disable=SC2086
	timeout -k 5 $((limit + 15)) \
	    $pin_client sipp "127.0.0.1:$port" -sf "$here/sipp/call_uac.xml" \
	    -inf "$work/callers.csv" -s "$realm" \
	    -auth_uri "$number@$realm" -i 127.0.0.1 -p "$uac_port" \
	    -mi 127.0.0.1 -mp "$uac_media" -m "$calls" -r "$rate" \
	    -d "$hold_ms" -buff_size 4194304 -timeout "${limit}s" -nostdin \
	    -trace_stat -stf "$stat" -fd 1 >"$work/$mode-$2.out" 2>&1 || true
	c1=$(cpu_ticks "$spid")
	ok=$(stat_col "$stat" "SuccessfulCall(C)")
	echo "$mode $calls $ok $((c1 - c0))" >>"$work/results"
	echo "$mode $2 $calls $ok $((c1 - c0))" | awk -v hz="$hz" '{
	    cpu = $5 / hz
	    printf "  round %d, engine %-3s: %5d/%-5d ok, server %5.2f CPU-s, %6.0f calls/CPU-s\n",
	        $2, $1, $4, $3, cpu, (cpu > 0 ? $4 / cpu : 0) }'
}

start on
start off
: >"$work/results"
r=1
while [ $r -le "$rounds" ]; do
	if [ $((r % 2)) = 1 ]; then
		step on "$r"
		step off "$r"
	else
		step off "$r"
		step on "$r"
	fi
	r=$((r + 1))
done
if ! grep -q "ANTI-FRAUD ENGINE OFF" "$work/rempartd-off.log"; then
	echo "fraud.sh: the server without the engine did not warn" >&2
	exit 1
fi
awk '{ calls[$1] += $2; ok[$1] += $3; t[$1] += $4 }
     END {
       on = (t["on"] > 0) ? ok["on"] / t["on"] : 0
       off = (t["off"] > 0) ? ok["off"] / t["off"] : 0
       printf "engine on:  %d/%d calls ok, %.0f calls/CPU-s\n", ok["on"], calls["on"], on * hz
       printf "engine off: %d/%d calls ok, %.0f calls/CPU-s\n", ok["off"], calls["off"], off * hz
       if (on > 0)
           printf "ratio off/on %.3f: the engine costs %.1f %% of the set-up rate\n",
               off / on, 100 * (1 - on / off)
     }' hz="$(getconf CLK_TCK)" "$work/results"
