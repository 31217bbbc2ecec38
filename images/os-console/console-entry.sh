#!/bin/sh
# Entry of the console service: host keys are made once and kept under /var/lib/corral/ssh (bound
# from the state partition when there is one, so a reboot keeps the host's identity), the console
# user's keys come from /home/corral/.ssh (user corral, alias rancher: same uid and home), then sshd
# runs in the foreground.
set -e
keys=/var/lib/corral/ssh
mkdir -p "$keys" /run/sshd /home/corral/.ssh
# ed25519 only: an RSA key takes tens of seconds to make on a slow (or emulated) CPU at first boot.
for t in ed25519; do
  [ -f "$keys/ssh_host_${t}_key" ] || ssh-keygen -q -t "$t" -N "" -f "$keys/ssh_host_${t}_key"
done
chown 1100:1100 /home/corral /home/corral/.ssh
chmod 0700 /home/corral/.ssh
# Unlocked but passwordless: sshd refuses a '!' (locked) password field even for key logins.
sed -i 's/^\(corral\|rancher\):[^:]*:/\1:*:/' /etc/shadow
port=${SSH_PORT:-22}
exec /usr/sbin/sshd -D -e -p "$port"
