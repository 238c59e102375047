# Run under lx by tests/net/lxnet.py (make check-lx-net), as
# `linux /bin/busybox sh /data/lxnet.sh HOST:PORT`: busybox httpd serves
# /data/www on port 8080 while busybox wget fetches page.txt from the host's
# http.server at HOST:PORT; then it serves until the host's /stop appears
# (at most 90 tries a second apart), and stops httpd.
/bin/busybox httpd -f -p 8080 -h /data/www &
httpd=$!
if /bin/busybox wget -q -O /tmp/got "http://$1/page.txt"; then
    echo "lxnet: wget md5 $(/bin/busybox md5sum < /tmp/got)"
else
    echo "lxnet: wget failed"
fi
/bin/busybox wget -q -O /tmp/none "http://$1/missing" || echo "lxnet: wget of a missing page failed"
echo "lxnet: serving"
i=0
while [ $i -lt 90 ]; do
    /bin/busybox wget -q -O /tmp/stop "http://$1/stop" 2>/dev/null && break
    /bin/busybox sleep 1
    i=$((i + 1))
done
kill $httpd
wait $httpd
echo "lxnet: done after $i tries"
