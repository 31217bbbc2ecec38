#!/usr/bin/env bash
# signing-key.sh: prints the path of the ed25519 private key releases are signed with:
# CORRAL_SIGNING_KEY when set, else a development key made once in the build cache (a build signed
# with it trusts only that machine's releases). The image trusts the matching public key.
source "$(dirname "$0")/lib/common.sh"
if [ -n "${CORRAL_SIGNING_KEY:-}" ]; then
  openssl pkey -in "$CORRAL_SIGNING_KEY" -noout 2>/dev/null || { log "CORRAL_SIGNING_KEY: not a private key"; exit 1; }
  echo "$CORRAL_SIGNING_KEY"
  exit 0
fi
dev=$CACHE/release-signing-dev.pem
if [ ! -f "$dev" ]; then
  log "no CORRAL_SIGNING_KEY: making a development signing key ($dev)"
  (umask 077 && openssl genpkey -algorithm ed25519 -out "$dev.tmp") && mv "$dev.tmp" "$dev"
fi
echo "$dev"
