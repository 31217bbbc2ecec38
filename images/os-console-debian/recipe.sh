# corral/os-console-debian: a persistent Debian console. A real Debian (debootstrap's minbase of
# the build machine's own suite and mirror, from its apt sources) with OpenSSH, sudo and apt, so a
# user can `apt-get install` and keep what they install: the console service is `persistent`, its
# container is kept across reboots and console switches. The sshd setup, the entry and the console
# user (corral, alias rancher, uid 1100, in group docker) are the default console's; the docker CLI
# and corral are bound from the host at run time, as there.
# debootstrap is the slow part (minutes): its result is cached by this recipe's hash and the suite,
# so a new corral binary (which rebuilds every image) does not run it again.
suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
base=$CACHE/console-debian-$suite-$(sha256sum <"$IMAGES/os-console-debian/recipe.sh" | cut -c1-16).tar
if [ ! -f "$base" ]; then
  root=$(mktemp -d)
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list)
  command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null
  debootstrap --variant=minbase --include=openssh-server,sudo,ca-certificates,less,procps,iproute2,bash-completion \
    "$suite" "$root" "$mirror" >&2
  # What a container does not need, and what apt installs later leaves out the same way.
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
    'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' 'path-exclude /usr/share/locale/*' \
    'path-include /usr/share/locale/locale.alias' >"$root/etc/dpkg/dpkg.cfg.d/01-corral-nodoc"
  find "$root/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete
  rm -rf "$root/usr/share/man/"* "$root/usr/share/info/"* "$root/var/cache/apt/"*.bin \
    "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"* "$root/etc/ssh/ssh_host_"*
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  # The console user: corral, and rancher (RancherOS's name) with the same uid and home.
  chroot "$root" groupadd -g 999 docker
  chroot "$root" useradd -u 1100 -U -d /home/corral -M -s /bin/bash -G docker,sudo -c "console user" corral
  chroot "$root" useradd -o -u 1100 -g 1100 -d /home/corral -M -s /bin/bash -G docker,sudo \
    -c "console user (RancherOS name)" rancher
  printf 'corral ALL=(ALL) NOPASSWD: ALL\nrancher ALL=(ALL) NOPASSWD: ALL\n' >"$root/etc/sudoers.d/corral"
  chmod 0440 "$root/etc/sudoers.d/corral"
  tar -C "$root" --numeric-owner -cf "$base.tmp" . && mv "$base.tmp" "$base"
  rm -rf "$root"
fi
tar -C "$dest" --numeric-owner -xf "$base"
mkdir -p "$dest/run/sshd" "$dest/var/lib/corral"
install -m 0755 "$IMAGES/os-console/console-entry.sh" "$dest/usr/sbin/console-entry"
install -m 0644 "$IMAGES/os-console/sshd_config" "$dest/etc/ssh/sshd_config"
IMAGE_CHANGES=('ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' 'CMD ["/usr/sbin/console-entry"]')
