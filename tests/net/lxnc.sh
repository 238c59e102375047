# Run under lx by tests/net/lxnet.py (make check-lx-net), as
# `linux /bin/busybox sh /data/lxnc.sh HOST NCPORT`: busybox nc sends a line
# to the host's listener at HOST:NCPORT and prints its answer; busybox ping
# pings HOST once; busybox nc -l waits on port 8081 for the host (it sends a
# line, prints what comes back). Lines are read with the shell's own read: no
# more processes than the three programs.
echo "hello from nc under lx" > /tmp/ncin
if /bin/busybox nc "$1" "$2" < /tmp/ncin > /tmp/ncgot; then
    read -r got < /tmp/ncgot
    echo "lxnc: nc got [$got]"
else
    echo "lxnc: nc failed"
fi
/bin/busybox ping -c 1 -W 5 "$1"
echo "lxnc: ping status $?"
echo "hello from nc -l under lx" > /tmp/nclin
echo "lxnc: nc -l on 8081"
/bin/busybox nc -l -p 8081 < /tmp/nclin > /tmp/nclgot
st=$?
read -r got < /tmp/nclgot
echo "lxnc: nc -l status $st got [$got]"
