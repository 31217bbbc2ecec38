#!/bin/sh
# Entrypoint of corral/test-host (built by scripts/build-test-host-image.sh), run under docker-init:
# starts this host's own dockerd, waits for it, loads the images bind-mounted at /preload (hosts
# cannot pull), then runs the Corral agent from the repository bind-mounted at /corral. Extra
# arguments go to `corral agent` (e.g. `--label k=v`). Environment: CORRAL_URL, CORRAL_TOKEN (read by
# the agent), CORRAL_HOST_STORAGE_DRIVER (default overlay2, on the volume at /var/lib/docker),
# CORRAL_HOST_DOCKERD_ARGS (more dockerd flags), CORRAL_HOST_STOP_GRACE (see shutdown below).
set -u
log() { echo "[host-entrypoint] $*" >&2; }
: "${CORRAL_URL:?CORRAL_URL is required}"

# `docker stop` + `docker start` keep this container's writable layer: a pid or socket file left by
# the previous run would make dockerd or containerd refuse to start.
rm -rf /run/docker /run/containerd /run/docker.pid /run/docker.sock
mkdir -p /var/log /var/lib/corral

# shellcheck disable=SC2086 # CORRAL_HOST_DOCKERD_ARGS is a list of flags on purpose.
dockerd --storage-driver="${CORRAL_HOST_STORAGE_DRIVER:-overlay2}" ${CORRAL_HOST_DOCKERD_ARGS:-} \
  >/var/log/dockerd.log 2>&1 &
dockerd_pid=$!
tries=0
until docker version >/dev/null 2>&1; do
  if ! kill -0 "$dockerd_pid" 2>/dev/null || [ "$tries" -ge 600 ]; then
    log "dockerd did not start:"
    tail -n 30 /var/log/dockerd.log >&2
    exit 1
  fi
  tries=$((tries + 1))
  sleep 0.05
done
log "dockerd ready after $tries polls"

for tar in /preload/*.tar; do
  [ -e "$tar" ] || continue
  docker load -q -i "$tar" >/dev/null || log "could not load $tar"
done

bun /corral/bin/corral.ts agent --url "$CORRAL_URL" --state /var/lib/corral/agent "$@" &
agent_pid=$!

# On `docker stop`, end the agent first (the server sees the host go), then give dockerd a short
# grace (CORRAL_HOST_STOP_GRACE seconds, default 2) to stop its containers. dockerd itself would wait
# each container's stop timeout plus 5 s whatever --shutdown-timeout says, and `sleep` ignores
# SIGTERM; past the grace the container ends like a power cut, which dockerd recovers from at the
# next start (restart policies included, as nothing was marked "manually stopped").
shutdown() {
  kill -TERM "$agent_pid" 2>/dev/null
  kill -TERM "$dockerd_pid" 2>/dev/null
  ticks=0
  while kill -0 "$dockerd_pid" 2>/dev/null && [ "$ticks" -lt $((${CORRAL_HOST_STOP_GRACE:-2} * 10)) ]; do
    ticks=$((ticks + 1))
    sleep 0.1
  done
}
trap 'shutdown; exit 0' TERM INT
wait "$agent_pid"
code=$?
log "agent exited with $code"
shutdown
exit "$code"
