# busybox sh: a subshell, jobs in the background and wait, pipelines
(echo in a subshell; exit 3)
echo "subshell status $?"
(echo background one) &
wait
echo "after wait"
(exit 4) &
wait $!
echo "background status $?"
echo one two three | wc -w
seq 5 | sort -r | head -n 2
cat /data/hello.txt | wc -l
false | true
echo "pipeline status $?"
x=$(echo inner | cat)
echo "captured: $x"
/data/script y
echo "script status $?"
