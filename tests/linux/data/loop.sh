# 200 pipelines in one shell: each forks two children and reaps them
# (a process that forks again and again must not run out of memory).
i=0
while [ $i -lt 200 ]; do
    echo $i | cat > /dev/null
    i=$((i + 1))
done
echo "$i pipelines"
echo last | cat
