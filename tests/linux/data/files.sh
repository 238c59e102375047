# busybox sh with files it writes (/tmp): redirections, the text tools,
# cp, mv, ln, find, xargs, tar, gzip, subshells and pipelines
mkdir -p /tmp/sh && cd /tmp/sh || exit 1
ls / | grep -c -e '^dev$' -e '^proc$' -e '^tmp$'
echo "hello world" > a.txt
printf 'line %d\n' 3 1 2 >> a.txt
cat a.txt
wc -l a.txt
sort a.txt | uniq | head -n 2
tail -n 1 a.txt
cut -d' ' -f2 a.txt
tr a-z A-Z < a.txt
grep -c line a.txt
grep -v line a.txt
sed 's/line/LINE/' a.txt
awk '{ n += length($0) } END { print "chars", n }' a.txt
mkdir -p d/e
cp a.txt d/e/b.txt
mv d/e/b.txt d/c.txt
ln -s c.txt d/link
ln d/c.txt d/hard
ls d
wc -c < d/link
test -L d/link && echo "d/link is a link"
test -d d/e && echo "d/e is a directory"
test -e d/e/b.txt || echo "d/e/b.txt is gone"
find . -type f | sort
find . -name '*.txt' | sort | xargs wc -c
tar -cf t.tar d
tar -tf t.tar | sort
mkdir x && tar -xf t.tar -C x && find x | sort
cat x/d/link
gzip -c a.txt > a.gz
gzip -dc a.gz | cmp - a.txt && echo "gzip round trip"
(cd d && pwd && ls)
pwd
n=$(cat a.txt | wc -l)
echo "lines: $n"
{ echo one; echo two; } > both; cat both
echo error >&2 2>/dev/null
echo "to null" > /dev/null
exec 3> fd3; echo "through fd 3" >&3; exec 3>&-; cat fd3
rm -r d x
rm a.txt a.gz t.tar both fd3
ls -a
cd / && rmdir /tmp/sh && echo "clean"
