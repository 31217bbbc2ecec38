# corral/os-base: busybox-static with its applets, glibc's loader, users and groups. The base of
# the other system images and the image of small services (ntp, syslog, udev, network).
# Sourced by build/images.sh with $sys (Debian sysroot), $dest (image root) and common.sh loaded.
merged_usr "$dest"
add_loader "$sys" "$dest"
add_busybox "$sys" "$dest"
cat >"$dest/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
corral:x:1100:1100:console user:/home/corral:/bin/sh
rancher:x:1100:1100:console user (RancherOS name):/home/corral:/bin/sh
sshd:x:100:65534:sshd:/run/sshd:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
P
printf 'root:x:0:\ndocker:x:999:corral,rancher\ncorral:x:1100:\nnogroup:x:65534:\n' >"$dest/etc/group"
printf 'root:*:19000:0:99999:7:::\ncorral:*:19000:0:99999:7:::\nrancher:*:19000:0:99999:7:::\n' >"$dest/etc/shadow"
printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n' >"$dest/etc/nsswitch.conf"
mkdir -p "$dest/var/log" "$dest/var/lib"
printf 'NAME="CorralOS"\nID=corralos\nPRETTY_NAME="CorralOS system container"\n' >"$dest/etc/os-release"
ln -sf ../../etc/os-release "$dest/usr/lib/os-release"
IMAGE_CHANGES=('ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' 'CMD ["/bin/sh"]')
