#!/bin/sh
# Tells which ESP data plane this kernel offers, as one line: `kernel aead`, `kernel cbc`,
# `userspace` or `none <reason>`. Run by the agent in a throw-away container with its own network
# namespace (--network=none) and NET_ADMIN: ESP support is kernel-wide, so adding a dummy SA there
# answers for the host without touching the host's own xfrm state.
spi=0x0c0ffee1
if ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi $spi mode tunnel \
  aead 'rfc4106(gcm(aes))' 0x0102030405060708090a0b0c0d0e0f1011121314 128 2>/dev/null; then
  echo "kernel aead"
  exit 0
fi
if ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi $spi mode tunnel \
  enc 'cbc(aes)' 0x0102030405060708090a0b0c0d0e0f10 \
  auth 'hmac(sha256)' 0x0102030405060708090a0b0c0d0e0f100102030405060708090a0b0c0d0e0f10 2>/dev/null; then
  echo "kernel cbc"
  exit 0
fi
# No kernel ESP: charon's kernel-libipsec does ESP in userspace over a TUN device.
if [ -c /dev/net/tun ]; then
  echo "userspace"
else
  echo "none the kernel has no ESP and /dev/net/tun is missing"
fi
