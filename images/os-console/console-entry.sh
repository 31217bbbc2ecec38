#!/bin/sh
# Entry of the console service: host keys are made once and kept under /var/lib/corral/ssh (bound
# from the state partition when there is one, so a reboot keeps the host's identity), the console
# user's keys come from /home/rancher/.ssh, then sshd runs in the foreground.
set -e
keys=/var/lib/corral/ssh
mkdir -p "$keys" /run/sshd /home/rancher/.ssh
for t in ed25519 rsa; do
  [ -f "$keys/ssh_host_${t}_key" ] || ssh-keygen -q -t "$t" -N "" -f "$keys/ssh_host_${t}_key"
done
chown -R rancher:rancher /home/rancher
chmod 0700 /home/rancher/.ssh
chmod 0600 /home/rancher/.ssh/authorized_keys 2>/dev/null || true
# Unlocked but passwordless: sshd refuses a '*' or '!' password field even for key logins.
sed -i 's/^rancher:[^:]*:/rancher::/' /etc/shadow 2>/dev/null || echo 'rancher::19000:0:99999:7:::' >>/etc/shadow
port=${SSH_PORT:-22}
exec /usr/sbin/sshd -D -e -p "$port" \
  -h "$keys/ssh_host_ed25519_key" -h "$keys/ssh_host_rsa_key" \
  -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no -o UsePAM=no \
  -o PermitRootLogin=prohibit-password -o AuthorizedKeysFile=.ssh/authorized_keys \
  -o Subsystem="sftp /usr/lib/openssh/sftp-server" -o PidFile=none
