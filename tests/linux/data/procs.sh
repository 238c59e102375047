# Processes and signals in busybox sh (tests/linux/run.py runs it under lx
# and under Linux): sleep, kill of a background job (-TERM, -KILL, -USR1,
# kill -0), wait and the status of a killed job (128 + the signal), $? after
# a shell signalled by itself, trap (EXIT; USR1 and TERM handlers run when
# the shell is signalled; trap - resets one), ps (a command shows up by its
# arguments and its name), timeout. A job is killed while the shell waits
# for it (by a second job), so that the shell's report of its end comes
# from that wait on both systems.
sleep 0.1
echo "sleep: $?"
sleep 30 &
pid=$!
kill -0 $pid
echo "kill -0 of a running job: $?"
(sleep 0.2; kill -TERM $pid) &
wait $pid
echo "wait after kill -TERM: $?"
kill -0 $pid 2>/dev/null
echo "kill -0 after it ended: $?"
sleep 30 &
pid=$!
(sleep 0.2; kill -KILL $pid) &
wait $pid
echo "wait after kill -KILL: $?"
sleep 30 &
pid=$!
(sleep 0.2; kill -USR1 $pid) &
wait $pid
echo "wait after kill -USR1: $?"
wait
sh -c 'kill -TERM $$; echo not reached'
echo "a shell that sent itself TERM: $?"
sh -c 'kill -9 $$'
echo "a shell that sent itself KILL: $?"
sh -c 'trap "echo bye from EXIT" EXIT; echo hello'
echo "trap EXIT: $?"
sh -c 'trap "echo caught TERM; exit 3" TERM; kill -TERM $$; echo not reached'
echo "trap TERM: $?"
sh -c 'trap "echo caught INT" INT; kill -INT $$; trap - INT; echo reset; kill -INT $$; echo not reached'
echo "trap - INT: $?"
ready=
trap 'ready=1' USR2
sh -c 'trap "echo child got USR1" USR1; trap "echo child got TERM; exit 5" TERM; kill -USR2 $PPID; while :; do sleep 0.05; done' &
pid=$!
while [ -z "$ready" ]; do sleep 0.05; done
trap - USR2
kill -USR1 $pid
sleep 0.5
(sleep 0.2; kill -TERM $pid) &
wait $pid
echo "a background shell's traps: $?"
wait
sleep 7 &
pid=$!
sleep 0.3
ps | grep -c '[s]leep 7'
ps -o comm,args | grep '[s]leep 7'
(sleep 0.2; kill $pid) &
wait $pid
wait
ps | grep -c '[s]leep 7'
timeout 1 sleep 5
echo "timeout: $?"
timeout -s KILL 1 sleep 5
echo "timeout -s KILL: $?"
timeout 5 true
echo "timeout, done in time: $?"
