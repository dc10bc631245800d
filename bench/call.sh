#!/bin/sh
# Call set-up under load: rempartd (a B2BUA with a media relay) and
# Kamailio (a stateful proxy with Record-Route), with the same users, both
# on loopback, driven by SIPp.
#   bench/call.sh [BUILD_DIR]               (default build/release)
# Builds nothing. Needs sipp (sip-tester) and kamailio: installs them
# with apt-get when missing and run as root, else says how and stops.
#
# A call: SIPp caller (bench/sipp/call_uac.xml) -> server -> SIPp callee
# (bench/sipp/call_uas.xml): INVITE with SDP, 407, ACK, INVITE with MD5
# credentials, 180, 200 with SDP, ACK, BENCH_CALL_HOLD_MS of call
# without RTP, BYE, 200. BENCH_CALL_USERS callers (2000 up) call one
# callee (3000), registered beforehand from the callee SIPp's port.
#
# Ramp: each step offers RATE calls a second for BENCH_CALL_STEP_SECONDS
# (count = RATE x seconds: SIPp -m; its time is bounded too). Both
# servers run from the start and take their steps in turns (rempart,
# kamailio, at each rate), so that a noisy moment of a shared machine
# falls on both. A server's rates go up until a step has 1 % failed
# calls or more. Per step: calls per second of wall time, and calls per
# CPU-second of the server (utime + stime of the server and its children
# in /proc, before and after the step, over CLK_TCK; a step ends when its
# last call has hung up). The ratio rempart/Kamailio per CPU-second is
# taken at the highest rate both passed.
# With two cores or more, the server runs on CPU 0 and both SIPps on
# CPU 1 (taskset), so that the server does not share its core.
#
# Environment: BENCH_CALL_RATES (default "100 200 400 800 1600"),
# BENCH_CALL_STEP_SECONDS (5), BENCH_CALL_HOLD_MS (1000),
# BENCH_CALL_USERS (50), BENCH_CALL_SERVERS ("rempart kamailio"; one of
# them alone for a partial run), BENCH_KEEP=1 keeps the work directory
# (logs, SIPp statistics and errors).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build/release}
rates=${BENCH_CALL_RATES:-100 200 400 800 1600}
secs=${BENCH_CALL_STEP_SECONDS:-5}
hold_ms=${BENCH_CALL_HOLD_MS:-1000}
nusers=${BENCH_CALL_USERS:-50}
servers=${BENCH_CALL_SERVERS:-rempart kamailio}
realm=bench.test
callee=3000
rempartd="$build/src/main/rempartd"
rempart="$build/src/main/rempart"

for exe in "$rempartd" "$rempart"; do
	if [ ! -x "$exe" ]; then
		echo "call.sh: $exe not built" >&2
		exit 1
	fi
done

missing=""
command -v sipp >/dev/null 2>&1 || missing="$missing sip-tester"
command -v kamailio >/dev/null 2>&1 || missing="$missing kamailio"
if [ -n "$missing" ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "call.sh: installing$missing"
		# shellcheck disable=SC2086 # one word a package
		DEBIAN_FRONTEND=noninteractive apt-get install -y \
		    --no-install-recommends $missing >/dev/null
	else
		echo "call.sh: missing$missing; install with:" >&2
		echo "  sudo apt-get install -y$missing" >&2
		exit 1
	fi
fi

# Relay sockets: four a call on rempartd's side, and SIPp's own.
# shellcheck disable=SC3045 # dash and bash both have ulimit -n, -H
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -H -n)" 2>/dev/null || true

work=$(mktemp -d /tmp/rempart-bench-call.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "call.sh: work directory kept: $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Sets p to a UDP port nobody listens on, from $1 up, even and with the
# next two free too (SIPp's media socket binds p and p + 2); ports handed
# out before are skipped (a SIPp may not have bound its port yet).
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

# CPU ticks (utime + stime) of process $1 and of all its descendants.
cpu_ticks() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v root="$1" '
	    { pid = $1; s = $0; sub(/^.*\) /, "", s); split(s, f, " ")
	      ppid[pid] = f[2]; t[pid] = f[12] + f[13] }
	    END { sum = 0
	          for (p in t) { q = p; n = 0
	              while (q != root && (q in ppid) && q > 1 && n++ < 64)
	                  q = ppid[q]
	              if (q == root) sum += t[p] }
	          print sum }'
}

# CPU ticks of the children this shell has waited for (cutime + cstime):
# the caller SIPp of a step, once it has ended.
waited_ticks() {
	awk '{ s = $0; sub(/^.*\) /, "", s); split(s, f, " ")
	       print f[14] + f[15] }' /proc/$$/stat
}

# A column of the last line of a SIPp statistics file.
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
free_port 36000
probe_port=$p

# Waits until the server on port $1 answers OPTIONS (5 s at most).
wait_up() {
	i=0
	while [ $i -lt 25 ]; do
		if timeout 5 sipp "127.0.0.1:$1" -sf "$here/sipp/options.xml" \
		    -s "$realm" -i 127.0.0.1 -p "$probe_port" -m 1 \
		    -timeout 1s -timeout_error -nostdin >/dev/null 2>&1; then
			return 0
		fi
		i=$((i + 1))
		sleep 0.2
	done
	echo "call.sh: server on port $1 did not answer" >&2
	exit 1
}

# Starts server $1 (rempart or kamailio), registers the callee from a
# port of its own and starts the callee SIPp there: sets spid, port,
# upid (the callee SIPp).
start() {
	free_port 35060
	port=$p
	case $1 in
	rempart)
		# Loopback is trusted: the perimeter guard's per-source
		# limits (50 requests/s by default) would otherwise throttle
		# the one SIPp source. MD5 only: SIPp answers nothing else.
		$pin_server "$rempartd" --data "$work/var" \
		    --listen "udp:127.0.0.1:$port" --trusted 127.0.0.1/32 \
		    --digest md5 >>"$work/rempartd.log" 2>&1 &
		;;
	kamailio)
		$pin_server kamailio -f "$here/kamailio/kamailio-call.cfg" \
		    -A "DBURL=\"text://$work/kamailio-db\"" \
		    -l "udp:127.0.0.1:$port" -Y "$work/kamailio-run" \
		    -P "$work/kamailio-run/kamailio.pid" -w "$work" \
		    -m 256 -M 8 -DD -E >>"$work/kamailio.log" 2>&1 &
		;;
	esac
	spid=$!
	pids="$pids $spid"
	wait_up "$port"
	free_port 37000
	uport=$p
	free_port 38000
	umedia=$p
	if ! timeout 15 sipp "127.0.0.1:$port" -sf "$here/sipp/register_md5.xml" \
	    -inf "$work/callee.csv" -s "$realm" -auth_uri "$realm" \
	    -i 127.0.0.1 -p "$uport" -m 1 -timeout 10s -timeout_error \
	    -nostdin >"$work/register-$1.out" 2>&1; then
		echo "call.sh: $1: the callee did not register, see" \
		    "$work/register-$1.out" >&2
		exit 1
	fi
	# The callee answers every call until stopped; bounded all the
	# same, should this script die without its trap.
	# shellcheck disable=SC2086 # $pin_client: a command, or nothing
	$pin_client sipp -sf "$here/sipp/call_uas.xml" -i 127.0.0.1 \
	    -p "$uport" -mi 127.0.0.1 -mp "$umedia" -timeout 1800s \
	    -buff_size 4194304 -nostdin -trace_err \
	    -error_file "$work/uas-$1-errors.log" \
	    >"$work/uas-$1.out" 2>&1 &
	upid=$!
	pids="$pids $upid"
}

# Stops process $2 of $1; a server must exit 0.
stop() {
	kill "$2"
	rc=0
	wait "$2" || rc=$?
	pids=$(echo "$pids" | tr ' ' '\n' | grep -vx "$2" | tr '\n' ' ')
	if [ "$rc" -ne 0 ] && [ "$1" != uas ]; then
		echo "call.sh: $1 exit $rc, see its log" >&2
		exit 1
	fi
}

free_port 36100
uac_port=$p
free_port 38100
uac_media=$p

# One ramp step: server $1, rate $2, calls $3, against $port / $spid,
# callee SIPp $upid. Prints a line; appends "server rate calls ok
# elapsed cpu behind" to $work/results; sets ok and behind (1: SIPp took
# more than a quarter longer than the step to create its calls, so the
# rate was not offered). The SIPps' CPU is shown too: near 1 CPU-s per
# second of the step, SIPp (one core for both) is the limit, not the
# server.
step() {
	label=$1 rate=$2 calls=$3
	name="$label-$rate"
	stat="$work/$name.csv"
	errors="$work/$name-errors.log"
	limit=$((calls / rate + hold_ms / 1000 + 30))
	c0=$(cpu_ticks "$spid")
	u0=$(cpu_ticks "$upid")
	a0=$(waited_ticks)
	t0=$(date +%s.%N)
	rc=0
	# SIPp 3.6 does not always end at its -timeout: timeout(1) too.
	# shellcheck disable=SC2086 # $pin_client: a command, or nothing
	timeout -k 5 $((limit + 15)) \
	    $pin_client sipp "127.0.0.1:$port" -sf "$here/sipp/call_uac.xml" \
	    -inf "$work/callers.csv" -s "$realm" -auth_uri "$callee@$realm" \
	    -i 127.0.0.1 -p "$uac_port" -mi 127.0.0.1 -mp "$uac_media" \
	    -m "$calls" -r "$rate" -d "$hold_ms" \
	    -buff_size 4194304 -timeout "${limit}s" -nostdin \
	    -trace_stat -stf "$stat" -fd 1 -trace_err -error_file "$errors" \
	    >"$work/$name.out" 2>&1 || rc=$?
	t1=$(date +%s.%N)
	c1=$(cpu_ticks "$spid")
	u1=$(cpu_ticks "$upid")
	a1=$(waited_ticks)
	if ! kill -0 "$spid" 2>/dev/null; then
		echo "call.sh: $label died at $rate/s" >&2
		exit 1
	fi
	if [ "$rc" -gt 1 ]; then
		echo "call.sh: sipp exit $rc, see $work/$name.out" >&2
	fi
	ok=$(stat_col "$stat" "SuccessfulCall(C)")
	# When SIPp had created its last call (its statistics, every second).
	created=$(awk -F';' -v n="$calls" 'NR == 1 {
	        for (i = 1; i <= NF; i++) {
	            if ($i == "TotalCallCreated") c = i
	            if ($i == "ElapsedTime(C)") e = i } }
	    NR > 1 && c && $c >= n { split($e, t, ":")
	        print t[1] * 3600 + t[2] * 60 + t[3] + t[4] / 1e6; exit }' \
	    "$stat" 2>/dev/null || true)
	behind=$(echo "${created:-1e9} $secs" |
	    awk '{ print ($1 > $2 * 1.25 + 1) ? 1 : 0 }')
	# What the failed calls got instead of their answer.
	why=$(grep -o "while expecting '[0-9]*' (index [0-9]*), received 'SIP/2.0 [0-9]*" \
	    "$errors" 2>/dev/null | awk '{ n[$NF]++ }
	    END { for (s in n) printf " %s x %d", s, n[s] }')
	timeouts=$(grep -c "timeout" "$errors" 2>/dev/null || true)
	[ "${timeouts:-0}" -gt 0 ] && why="$why timeouts x $timeouts"
	echo "$label $rate $calls $ok $t0 $t1 $((c1 - c0)) $((u1 - u0 + a1 - a0)) $behind ${created:-?}" |
	    awk -v hz="$hz" -v why="$why" -v out="$work/results" '{
	    el = $6 - $5; cpu = $7 / hz; f = $3 - $4
	    printf "%-8s %5d/s: %6d/%-6d ok (%5.2f %% failed), server %5.2f CPU-s, %5.0f calls/CPU-s; sipp %.2f CPU-s, calls created in %s s, step %.1f s\n",
	        $1, $2, $4, $3, 100 * f / $3, cpu,
	        (cpu > 0 ? $4 / cpu : 0), $8 / hz, $10, el
	    if (f > 0)
	        printf "         failures:%s\n", why
	    if ($9)
	        printf "         SIPp fell behind the rate: this step does not count\n"
	    print $1, $2, $3, $4, el, cpu, $9 >> out }'
}

echo "== Call set-up, INVITE to BYE ($(uname -m), $(nproc) cores," \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
echo "   $("$rempartd" --version 2>&1 | head -1), $(kamailio -v | head -1 |
    sed 's/^version: //; s/ *$//'), $(sipp -v 2>&1 | grep -m1 SIPp |
    sed 's/^ *//; s/-.*//')"
echo "   $nusers callers, one callee; ${secs} s a step at $rates calls/s;" \
    "calls of $hold_ms ms"

# rempartd: a fresh data directory and users with generated secrets;
# Kamailio: the same users in a db_text directory, with their HA1.
"$rempart" --data "$work/var" init --realm "$realm" >/dev/null 2>&1
mkdir -p "$work/kamailio-db" "$work/kamailio-run"
printf 'table_name(string) table_version(int)\nsubscriber:7\n' \
    >"$work/kamailio-db/version"
echo "id(int,auto) username(string) domain(string) password(string) ha1(string) ha1b(string)" \
    >"$work/kamailio-db/subscriber"
echo SEQUENTIAL >"$work/callers.csv"
echo SEQUENTIAL >"$work/callee.csv"
i=0
while [ $i -le "$nusers" ]; do
	# The first nusers are callers, the last one the callee.
	ext=$((2000 + i))
	[ $i -eq "$nusers" ] && ext=$callee
	secret=$("$rempart" --data "$work/var" user add "$ext" \
	    --name "Bench $i" --generate-secret 2>/dev/null |
	    sed -n 's/.*secret \([^ ]*\) (shown once).*/\1/p')
	if [ -z "$secret" ]; then
		echo "call.sh: rempart user add $ext failed" >&2
		exit 1
	fi
	if [ "$ext" = "$callee" ]; then
		echo "$ext;[authentication username=$ext password=$secret]" \
		    >>"$work/callee.csv"
	else
		echo "$ext;[authentication username=$ext password=$secret];$callee" \
		    >>"$work/callers.csv"
	fi
	ha1=$(printf '%s' "$ext:$realm:$secret" | md5sum | cut -d' ' -f1)
	ha1b=$(printf '%s' "$ext@$realm:$realm:$secret" | md5sum |
	    cut -d' ' -f1)
	echo "$((i + 1)):$ext:$realm:$secret:$ha1:$ha1b" \
	    >>"$work/kamailio-db/subscriber"
	i=$((i + 1))
done

: >"$work/results"
rdone=1 kdone=1
for s in $servers; do
	start "$s"
	case $s in
	rempart) rpid=$spid rport=$port rupid=$upid rdone=0 ;;
	kamailio) kpid=$spid kport=$port kupid=$upid kdone=0 ;;
	esac
done
for rate in $rates; do
	calls=$((rate * secs))
	if [ $rdone = 0 ]; then
		spid=$rpid port=$rport upid=$rupid
		step rempart "$rate" "$calls"
		# 1 % failures or more, or a rate not offered, ends a
		# server's ramp.
		[ $((ok * 100)) -gt $((calls * 99)) ] && [ "$behind" = 0 ] ||
		    rdone=1
	fi
	if [ $kdone = 0 ]; then
		spid=$kpid port=$kport upid=$kupid
		step kamailio "$rate" "$calls"
		[ $((ok * 100)) -gt $((calls * 99)) ] && [ "$behind" = 0 ] ||
		    kdone=1
	fi
done
for s in $servers; do
	case $s in
	rempart) stop uas "$rupid"; stop rempart "$rpid" ;;
	kamailio) stop uas "$kupid"; stop kamailio "$kpid" ;;
	esac
done

# The highest passing rate of each server, and the ratio per CPU-second
# at the highest rate both passed.
awk '{ if ($4 * 100 > $3 * 99 && $7 == 0) {
           if ($2 > best[$1]) best[$1] = $2
           per[$1 " " $2] = $4 / $6 } }
     END {
       printf "highest rate offered with < 1 %% failed calls: rempart %d calls/s, kamailio %d calls/s\n",
           best["rempart"], best["kamailio"]
       top = 0
       for (k in per) { split(k, a, " ")
           if (a[1] == "rempart" && (("kamailio " a[2]) in per) &&
               a[2] + 0 > top)
               top = a[2] + 0 }
       if (top) {
           r = per["rempart " top]; q = per["kamailio " top]
           printf "at %d calls/s: rempart %.0f, kamailio %.0f calls/CPU-s: ratio rempart/kamailio %.2f\n",
               top, r, q, r / q }
     }' "$work/results"
