# corral/os-console: the console a user logs into: Debian's OpenSSH server and client on top of
# os-base. sshd reads the console user's keys from /home/corral/.ssh/authorized_keys, which the
# console service binds from the host (corral init writes ssh_authorized_keys there). The docker
# CLI is bound read-only from the host at run time instead of copied, so the image stays small.
source "$IMAGES/os-base/recipe.sh"
for f in usr/sbin/sshd usr/bin/ssh usr/bin/ssh-keygen usr/lib/openssh/sftp-server; do
  copy_elf "$sys" "$f" "$dest"
done
# the docker CLI's and corral's libraries, so the bound binaries run here (`corral install`,
# `corral os`, `corral config` from the console)
copy_libs_of "$sys" usr/bin/docker "$dest"
copy_elf_deps "$sys" "$CORRAL_BIN" "$dest"
mkdir -p "$dest/etc/ssh" "$dest/run/sshd" "$dest/home/corral/.ssh"
install -m 0755 "$IMAGES/os-console/console-entry.sh" "$dest/usr/sbin/console-entry"
install -m 0644 "$IMAGES/os-console/sshd_config" "$dest/etc/ssh/sshd_config"
IMAGE_CHANGES=('ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' 'CMD ["/usr/sbin/console-entry"]')
