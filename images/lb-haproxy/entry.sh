#!/bin/sh
# Entry of corral/lb-haproxy: HAProxy in master-worker mode as PID 1, so SIGUSR2 (sent by the
# agent's load balancer controller after it validated a new config) reloads it seamlessly: the
# master re-executes itself, takes the listening sockets from the old worker over its socketpair
# (-x sockpair@, automatic in master-worker mode) and lets the old worker finish its connections.
set -e
cfg=/etc/haproxy/haproxy.cfg
mkdir -p /run/haproxy
# A restarted container keeps the last config the controller installed; should it no longer load
# (it was validated, but e.g. a certificate file went missing) start from the minimal one rather
# than crash-looping, and let the controller write a fresh config.
if [ ! -s "$cfg" ] || ! /usr/sbin/haproxy -c -q -f "$cfg" >/dev/null 2>&1; then
  cp /etc/haproxy/minimal.cfg "$cfg"
fi
exec /usr/sbin/haproxy -W -db -S /run/haproxy/master.sock,mode,600 -f "$cfg"
