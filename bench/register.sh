#!/bin/sh
# REGISTER with digest authentication under load: rempartd and
# Kamailio with the same users, both on loopback, driven by SIPp.
#   bench/register.sh [BUILD_DIR]           (default build/release)
# Builds nothing. Needs sipp (sip-tester) and kamailio: installs them
# with apt-get when missing and run as root, else says how and stops.
#
# Ramp: each step offers RATE registrations a second for
# BENCH_STEP_SECONDS (count = RATE x seconds: SIPp -m; its time is
# bounded too). Both servers run from the start, and take their steps
# in turns (rempart, kamailio, at each rate), so that a noisy moment of
# a shared machine falls on both. A server's rates go up until a step
# has 1 % failures or more. Per step: registrations per second of wall
# time, and per CPU-second of the server (utime + stime of the server
# and its children in /proc, before and after the step, over CLK_TCK). The ratio rempart/Kamailio per CPU-second is taken at
# the highest rate both passed.
# Sustained: then each of BENCH_SUSTAIN_RATES for BENCH_SUSTAIN_SECONDS
# on a fresh server process: longer than the 32 s a UDP server
# transaction outlives its answer (RFC 3261 Timer J), so that a server
# keeping them shows its steady state. Its ratio is taken at the
# highest sustained rate both passed.
# With two cores or more, the server runs on CPU 0 and SIPp on CPU 1
# (taskset), so that they do not take turns on one core.
#
# Environment: BENCH_RATES (default "200 500 1000 2000 4000 8000"),
# BENCH_STEP_SECONDS (5), BENCH_SUSTAIN_RATES ("900 1500"),
# BENCH_SUSTAIN_SECONDS (36; 0: no sustained runs), BENCH_USERS (100),
# BENCH_KEEP=1 keeps the work directory (logs, SIPp statistics).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build/release}
rates=${BENCH_RATES:-200 500 1000 2000 4000 8000}
secs=${BENCH_STEP_SECONDS:-5}
sustain_rates=${BENCH_SUSTAIN_RATES:-900 1500}
sustain_secs=${BENCH_SUSTAIN_SECONDS:-36}
nusers=${BENCH_USERS:-100}
realm=bench.test
rempartd="$build/src/main/rempartd"
rempart="$build/src/main/rempart"

for exe in "$rempartd" "$rempart"; do
	if [ ! -x "$exe" ]; then
		echo "register.sh: $exe not built" >&2
		exit 1
	fi
done

missing=""
command -v sipp >/dev/null 2>&1 || missing="$missing sip-tester"
command -v kamailio >/dev/null 2>&1 || missing="$missing kamailio"
if [ -n "$missing" ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "register.sh: installing$missing"
		# shellcheck disable=SC2086 # one word a package
		DEBIAN_FRONTEND=noninteractive apt-get install -y \
		    --no-install-recommends $missing >/dev/null
	else
		echo "register.sh: missing$missing; install with:" >&2
		echo "  sudo apt-get install -y$missing" >&2
		exit 1
	fi
fi

work=$(mktemp -d /tmp/rempart-bench.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "register.sh: work directory kept: $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A UDP port nobody listens on, from $1 up.
free_port() {
	p=$1
	while ss -Hlun "sport = :$p" | grep -q .; do
		p=$((p + 1))
	done
	echo "$p"
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

# CPU ticks of the threads of process $1 named $2 (rempartd's store
# writer is "rp-store"; 0 for Kamailio).
thread_ticks() {
	cat /proc/"$1"/task/*/stat 2>/dev/null | awk -v name="($2)" '
	    $2 == name { s = $0; sub(/^.*\) /, "", s); split(s, f, " ")
	                 t += f[12] + f[13] }
	    END { print t + 0 }'
}

# A column of the last line of a SIPp statistics file.
stat_col() {
	awk -F';' -v col="$2" 'NR == 1 { for (i = 1; i <= NF; i++)
	        if ($i == col) c = i }
	    NR > 1 && c { v = $c }
	    END { print v + 0 }' "$1" 2>/dev/null || echo 0
}

sipp_port=$(free_port 36000)
hz=$(getconf CLK_TCK)
pin_server="" pin_client=""
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
	pin_server="taskset -c 0" pin_client="taskset -c 1"
fi

# Waits until the server on port $1 answers OPTIONS (5 s at most).
wait_up() {
	i=0
	while [ $i -lt 25 ]; do
		if timeout 5 sipp "127.0.0.1:$1" -sf "$here/sipp/options.xml" \
		    -s "$realm" -i 127.0.0.1 -p "$sipp_port" -m 1 -timeout 1s \
		    -timeout_error -nostdin >/dev/null 2>&1; then
			return 0
		fi
		i=$((i + 1))
		sleep 0.2
	done
	echo "register.sh: server on port $1 did not answer" >&2
	exit 1
}

# Starts server $1 (rempart or kamailio): sets spid and port.
start() {
	port=$(free_port 35060)
	case $1 in
	rempart)
		# Loopback is trusted: the perimeter guard's per-source
		# limits (50 requests/s by default) would otherwise throttle
		# the one SIPp source.
		$pin_server "$rempartd" --data "$work/var" \
		    --listen "udp:127.0.0.1:$port" --trusted 127.0.0.1/32 \
		    >>"$work/rempartd.log" 2>&1 &
		;;
	kamailio)
		$pin_server kamailio -f "$here/kamailio/kamailio.cfg" \
		    -A "DBURL=\"text://$work/kamailio-db\"" \
		    -l "udp:127.0.0.1:$port" -Y "$work/kamailio-run" \
		    -P "$work/kamailio-run/kamailio.pid" -w "$work" \
		    -m 64 -M 8 -DD -E >>"$work/kamailio.log" 2>&1 &
		;;
	esac
	spid=$!
	pids="$pids $spid"
	wait_up "$port"
}

# Stops server $1 of process $2.
stop() {
	kill "$2"
	rc=0
	wait "$2" || rc=$?
	pids=$(echo "$pids" | tr ' ' '\n' | grep -vx "$2" | tr '\n' ' ')
	if [ "$rc" -ne 0 ]; then
		echo "register.sh: $1 exit $rc, see its log" >&2
		exit 1
	fi
}

# One run of SIPp: phase $1 (ramp or sustained), server $2, rate $3,
# calls $4, against $port / $spid. Prints a line; appends "phase server
# rate calls ok elapsed cpu" to $work/results; sets ok.
step() {
	phase=$1 label=$2 rate=$3 calls=$4
	name="$phase-$label-$rate"
	stat="$work/$name.csv"
	errors="$work/$name-errors.log"
	c0=$(cpu_ticks "$spid")
	w0=$(thread_ticks "$spid" rp-store)
	t0=$(date +%s.%N)
	rc=0
	# SIPp 3.6 does not always end at its -timeout: timeout(1) too.
	# shellcheck disable=SC2086 # $pin_client: a command, or nothing
	timeout -k 5 $((calls / rate + 30)) \
	    $pin_client sipp "127.0.0.1:$port" -sf "$here/sipp/register.xml" \
	    -inf "$work/users.csv" -s "$realm" -auth_uri "$realm" \
	    -i 127.0.0.1 -p "$sipp_port" -m "$calls" -r "$rate" -l "$rate" \
	    -buff_size 4194304 -timeout "$((calls / rate + 15))s" -nostdin \
	    -trace_stat -stf "$stat" -fd 1 -trace_err -error_file "$errors" \
	    >"$work/$name.out" 2>&1 || rc=$?
	t1=$(date +%s.%N)
	c1=$(cpu_ticks "$spid")
	w1=$(thread_ticks "$spid" rp-store)
	if ! kill -0 "$spid" 2>/dev/null; then
		echo "register.sh: the server died at $rate/s" >&2
		exit 1
	fi
	if [ "$rc" -gt 1 ]; then
		echo "register.sh: sipp exit $rc, see $work/$name.out" >&2
	fi
	ok=$(stat_col "$stat" "SuccessfulCall(C)")
	# What the failed calls got instead of their answer, and when the
	# first failure came (SIPp writes its statistics every second).
	why=$(grep -o "while expecting '[0-9]*' (index [0-9]*), received 'SIP/2.0 [0-9]*" \
	    "$errors" 2>/dev/null | awk '{ n[$NF]++ }
	    END { for (s in n) printf " %s x %d", s, n[s] }')
	timeouts=$(grep -c "timeout" "$errors" 2>/dev/null || true)
	[ "${timeouts:-0}" -gt 0 ] && why="$why timeouts x $timeouts"
	first=$(awk -F';' 'NR == 1 { for (i = 1; i <= NF; i++) {
	        if ($i == "FailedCall(C)") f = i
	        if ($i == "ElapsedTime(C)") e = i } }
	    NR > 1 && f && $f > 0 { print $e; exit }' "$stat" 2>/dev/null || true)
	echo "$label $rate $calls $ok $t0 $t1 $((c1 - c0)) $((w1 - w0)) $phase" |
	    awk -v hz="$hz" \
	    -v why="$why" -v first="$first" -v out="$work/results" '{
	    el = $6 - $5; cpu = $7 / hz; f = $3 - $4
	    printf "%-8s %5d/s: %6d/%-6d ok (%5.2f %% failed), %5.0f reg/s, server %5.2f CPU-s, %5.0f reg/CPU-s",
	        $1, $2, $4, $3, 100 * f / $3, $4 / el, cpu,
	        (cpu > 0 ? $4 / cpu : 0)
	    if ($8 > 0)
	        printf " (store writer %.2f CPU-s)", $8 / hz
	    printf "\n"
	    if (f > 0)
	        printf "         failures:%s%s\n", why,
	            (first != "" ? ", the first by " first : "")
	    print $9, $1, $2, $3, $4, el, cpu >> out }'
}


echo "== REGISTER with digest authentication ($(uname -m), $(nproc) cores," \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
echo "   $("$rempartd" --version 2>&1 | head -1), $(kamailio -v | head -1 |
    sed 's/^version: //; s/ *$//'), $(sipp -v 2>&1 | grep -m1 SIPp |
    sed 's/^ *//; s/-.*//')"
echo "   $nusers users; ramp: ${secs} s a step at $rates/s;" \
    "sustained: $sustain_secs s at $sustain_rates/s"

# rempartd: a fresh data directory and users with generated secrets;
# Kamailio: the same users in a db_text directory, with their HA1.
"$rempart" --data "$work/var" init --realm "$realm" >/dev/null 2>&1
mkdir -p "$work/kamailio-db" "$work/kamailio-run"
printf 'table_name(string) table_version(int)\nsubscriber:7\n' \
    >"$work/kamailio-db/version"
echo "id(int,auto) username(string) domain(string) password(string) ha1(string) ha1b(string)" \
    >"$work/kamailio-db/subscriber"
echo SEQUENTIAL >"$work/users.csv"
i=0
while [ $i -lt "$nusers" ]; do
	ext=$((2000 + i))
	secret=$("$rempart" --data "$work/var" user add "$ext" \
	    --name "Bench $i" --generate-secret 2>/dev/null |
	    sed -n 's/.*secret \([^ ]*\) (shown once).*/\1/p')
	if [ -z "$secret" ]; then
		echo "register.sh: rempart user add $ext failed" >&2
		exit 1
	fi
	echo "$ext;[authentication username=$ext password=$secret]" \
	    >>"$work/users.csv"
	ha1=$(printf '%s' "$ext:$realm:$secret" | md5sum | cut -d' ' -f1)
	ha1b=$(printf '%s' "$ext@$realm:$realm:$secret" | md5sum |
	    cut -d' ' -f1)
	echo "$((i + 1)):$ext:$realm:$secret:$ha1:$ha1b" \
	    >>"$work/kamailio-db/subscriber"
	i=$((i + 1))
done

: >"$work/results"
echo "-- ramp"
start rempart
rpid=$spid rport=$port rdone=0
start kamailio
kpid=$spid kport=$port kdone=0
for rate in $rates; do
	calls=$((rate * secs))
	if [ $rdone = 0 ]; then
		spid=$rpid port=$rport
		step ramp rempart "$rate" "$calls"
		# 1 % failures or more ends a server's ramp.
		[ $((ok * 100)) -gt $((calls * 99)) ] || rdone=1
	fi
	if [ $kdone = 0 ]; then
		spid=$kpid port=$kport
		step ramp kamailio "$rate" "$calls"
		[ $((ok * 100)) -gt $((calls * 99)) ] || kdone=1
	fi
done
stop rempart "$rpid"
stop kamailio "$kpid"
if [ "$sustain_secs" -gt 0 ]; then
	echo "-- sustained"
	for rate in $sustain_rates; do
		for server in rempart kamailio; do
			start "$server"
			step sustained "$server" "$rate" $((rate * sustain_secs))
			stop "$server" "$spid"
		done
	done
fi

# Per phase: the best passing step of each server, and the ratio per
# CPU-second at the highest rate both passed.
awk '{ k = $1 " " $2 " " $3
       if ($5 * 100 > $4 * 99) {
           if ($5 / $6 > best[$1 " " $2]) best[$1 " " $2] = $5 / $6
           per[k] = $5 / $7 } }
     END {
       n = split("ramp sustained", phases, " ")
       for (i = 1; i <= n; i++) {
           p = phases[i]
           if (!((p " rempart") in best) && !((p " kamailio") in best))
               continue
           printf "%s, highest rate with < 1 %% failures: rempart %.0f reg/s, kamailio %.0f reg/s\n",
               p, best[p " rempart"], best[p " kamailio"]
           top = 0
           for (k in per) { split(k, a, " ")
               if (a[1] == p && a[2] == "rempart" &&
                   ((p " kamailio " a[3]) in per) && a[3] + 0 > top)
                   top = a[3] + 0 }
           if (top) {
               r = per[p " rempart " top]; q = per[p " kamailio " top]
               printf "%s, at %d/s: rempart %.0f, kamailio %.0f reg/CPU-s: ratio rempart/kamailio %.2f\n",
                   p, top, r, q, r / q }
       }
     }' "$work/results"
