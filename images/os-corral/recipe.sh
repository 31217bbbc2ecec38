# corral/os-corral: runs `corral agent` and `corral server`: os-base plus iptables (the agent's
# port rules), openssl (the server makes its HTTPS certificate authority and certificates with it)
# and the corral binary's libraries. /usr/bin/corral itself is bound read-only from the
# host at run time (same reason as os-docker: the 110 MB binary is in the ISO and in RAM once).
# Set CORRAL_EMBED_ENGINE=1 to copy it in and get a self-contained image.
source "$IMAGES/os-base/recipe.sh"
if [ "${CORRAL_EMBED_ENGINE:-0}" = 1 ]; then
  install -D -m 0755 "$CORRAL_BIN" "$dest/usr/bin/corral"
fi
copy_elf_deps "$sys" "$CORRAL_BIN" "$dest"
# The server runs openssl with its own -config files (OPENSSL_CONF empty): no openssl.cnf needed.
copy_elf "$sys" usr/bin/openssl "$dest"
for f in usr/sbin/xtables-legacy-multi usr/sbin/xtables-nft-multi; do copy_elf "$sys" "$f" "$dest"; done
for s in "" -save -restore; do ln -sf xtables-legacy-multi "$dest/usr/sbin/iptables$s"; done
cp -r "$sys/usr/lib/x86_64-linux-gnu/xtables" "$dest/usr/lib/x86_64-linux-gnu/"
for so in "$dest"/usr/lib/x86_64-linux-gnu/xtables/*.so; do copy_elf_deps "$sys" "$so" "$dest"; done
mkdir -p "$dest/var/lib/corral"
IMAGE_CHANGES=('ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' 'ENTRYPOINT ["/usr/bin/corral"]')
