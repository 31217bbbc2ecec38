#!/bin/sh
# Entry of corral/ipsec: runs charon with the strongswan.conf the agent wrote before starting the
# container, loads the agent's swanctl.conf (so a restarted container brings every tunnel back by
# itself, without waiting for the agent), and exits when charon dies, so Docker's restart policy
# starts a fresh one: a dead daemon never leaves the host without tunnels for long.
set -u
log() { echo "[ipsec-entry] $*" >&2; }
[ -f /etc/strongswan.conf ] || { log "no /etc/strongswan.conf"; exit 2; }
# A pid or socket file of a previous run (container restarted) makes charon refuse to start.
rm -f /var/run/charon.pid /var/run/charon.vici
/usr/lib/ipsec/charon &
charon=$!
trap 'kill -TERM "$charon" 2>/dev/null; wait "$charon"; exit 0' TERM INT
tries=0
until [ -S /var/run/charon.vici ]; do
  kill -0 "$charon" 2>/dev/null || { log "charon exited at start"; exit 1; }
  tries=$((tries + 1))
  [ "$tries" -gt 200 ] && { log "no VICI socket after 10 s"; kill "$charon"; exit 1; }
  sleep 0.05
done
if [ -f /etc/swanctl/swanctl.conf ]; then
  swanctl --load-all --noprompt >/dev/null 2>/tmp/load.err || log "load failed: $(cat /tmp/load.err)"
fi
log "charon running (pid $charon)"
wait "$charon"
code=$?
log "charon exited with $code"
exit 1
