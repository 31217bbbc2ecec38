# corral/os-docker: User Docker. The entry script (user-docker/entry.sh), iptables with its
# extensions, and the shared libraries of the engine. The engine binaries themselves (dockerd,
# containerd, shim, runc, docker-init, docker-proxy) are bound read-only from the host's /usr at
# run time, as RancherOS's `ros user-docker` used the host's engine copy: one copy in the ISO and in
# RAM instead of two (~150 MB each). Set CORRAL_EMBED_ENGINE=1 to copy them in instead.
source "$IMAGES/os-base/recipe.sh"
ENGINE=(usr/sbin/dockerd usr/bin/containerd usr/bin/containerd-shim-runc-v2 usr/sbin/runc
  usr/sbin/docker-proxy usr/bin/docker)
for f in "${ENGINE[@]}"; do
  if [ "${CORRAL_EMBED_ENGINE:-0}" = 1 ]; then copy_elf "$sys" "$f" "$dest"; else copy_libs_of "$sys" "$f" "$dest"; fi
done
[ "${CORRAL_EMBED_ENGINE:-0}" = 1 ] && install -m 0755 "$sys/usr/bin/tini-static" "$dest/usr/bin/docker-init"
for f in usr/sbin/xtables-legacy-multi usr/sbin/xtables-nft-multi; do copy_elf "$sys" "$f" "$dest"; done
for t in iptables ip6tables; do
  for s in "" -save -restore; do
    ln -sf xtables-legacy-multi "$dest/usr/sbin/$t$s"
    ln -sf xtables-nft-multi "$dest/usr/sbin/$t-nft$s"
  done
done
cp -r "$sys/usr/lib/x86_64-linux-gnu/xtables" "$dest/usr/lib/x86_64-linux-gnu/"
for so in "$dest"/usr/lib/x86_64-linux-gnu/xtables/*.so; do copy_elf_deps "$sys" "$so" "$dest"; done
install -m 0755 "$ROOT/user-docker/entry.sh" "$dest/usr/bin/user-docker"
mkdir -p "$dest/var/lib/docker" "$dest/etc/docker"
IMAGE_CHANGES=('ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' 'CMD ["/usr/bin/user-docker"]')
