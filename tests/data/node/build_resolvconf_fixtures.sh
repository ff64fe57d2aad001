#!/bin/sh
# Build the resolvconf fixtures of tests/data/node/ by running Debian's real resolvconf scripts.
#
# usage: build_resolvconf_fixtures.sh RESOLVCONF_DEB OUTDIR
#   RESOLVCONF_DEB  Debian's resolvconf package (`apt-get download resolvconf`; 1.91+nmu1 in
#                   Debian 12 was used for the committed fixtures)
#   OUTDIR          gets one directory per fixture: a root with /etc/resolv.conf, /etc/resolvconf,
#                   /run/resolvconf and whatever static files that fixture has
#
# Needs root: each fixture is built in a chroot inside a private mount namespace (unshare -m,
# private propagation): /usr is an overlay of the host's /usr with the package unpacked into the
# upper layer (on a tmpfs), so nothing is installed on the host. Inside the chroot the package's
# own hooks run: the dhclient enter hook (`make_resolv_conf`, with the variables dhclient-script
# would export) and ifupdown's if-up.d/000resolvconf (with the IF_* variables ifup would export
# for the stanza in /etc/network/interfaces); they call /sbin/resolvconf -a, which runs
# /etc/resolvconf/update.d/libc and writes /run/resolvconf/resolv.conf.
set -eu
if [ "${1:-}" != "--inside" ]; then
	DEB=$(realpath "$1")
	OUT=$(realpath -m "$2")
	mkdir -p "$OUT"
	exec unshare -m --propagation private sh "$0" --inside "$DEB" "$OUT"
fi
DEB=$2
OUT=$3
WORK=$(mktemp -d)
mount -t tmpfs fixtures "$WORK"

new_chroot() { # $1: fixture name -> sets B
	B="$WORK/$1"
	mkdir -p "$B/usr" "$WORK/$1.upper" "$WORK/$1.work" "$B/dev" "$B/etc" "$B/run" "$B/tmp"
	mount -t overlay overlay -o "lowerdir=/usr,upperdir=$WORK/$1.upper,workdir=$WORK/$1.work" "$B/usr"
	for d in bin sbin lib lib64; do ln -s "usr/$d" "$B/$d"; done
	mount --bind /dev "$B/dev"
	cp /etc/ld.so.cache "$B/etc/"
	dpkg-deb --fsys-tarfile "$DEB" | tar -C "$B" --keep-directory-symlink -xf -
	# What the package's postinst does: link /etc/resolv.conf to the generated file.
	ln -s ../run/resolvconf/resolv.conf "$B/etc/resolv.conf"
	mkdir -p "$B/run/resolvconf/interface"
	chroot "$B" /sbin/resolvconf --enable-updates
}

dhclient_bound() { # $1: interface, $2: servers dhclient passes (after prepend/supersede), $3: search
	chroot "$B" /usr/bin/env -i PATH=/sbin:/bin:/usr/sbin:/usr/bin reason=BOUND interface="$1" \
		new_domain_name_servers="$2" new_domain_search="$3" \
		/bin/bash -c '. /etc/dhcp/dhclient-enter-hooks.d/resolvconf && make_resolv_conf'
}

ifup_static() { # $1: interface, $2: IF_DNS_NAMESERVERS, $3: IF_DNS_SEARCH
	chroot "$B" /usr/bin/env -i PATH=/sbin:/bin:/usr/sbin:/usr/bin ADDRFAM=inet IFACE="$1" \
		IF_DNS_NAMESERVERS="$2" IF_DNS_SEARCH="$3" /etc/network/if-up.d/000resolvconf
}

lease() { # $1: interface, $2: comma-separated servers -> an ISC dhclient lease file
	mkdir -p "$B/var/lib/dhcp"
	cat >"$B/var/lib/dhcp/dhclient.$1.leases" <<LEASE
lease {
  interface "$1";
  fixed-address 172.16.0.230;
  option subnet-mask 255.255.255.0;
  option routers 172.16.0.1;
  option dhcp-lease-time 86400;
  option domain-name-servers $2;
  option domain-search "ec2.internal.";
  option dhcp-server-identifier 172.16.0.1;
  renew 4 2026/11/26 09:12:41;
  rebind 4 2026/11/26 19:52:11;
  expire 4 2026/11/26 22:52:11;
}
LEASE
}

kubelet() { # kubeadm's layout: flags env without --resolv-conf, config.yaml with resolvConf
	mkdir -p "$B/var/lib/kubelet"
	cat >"$B/var/lib/kubelet/kubeadm-flags.env" <<'FLAGS'
KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --pod-infra-container-image=registry.k8s.io/pause:3.9"
FLAGS
	cat >"$B/var/lib/kubelet/config.yaml" <<'CONFIG'
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous:
    enabled: false
cgroupDriver: systemd
clusterDNS:
- 10.96.0.10
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
rotateCertificates: true
staticPodPath: /etc/kubernetes/manifests
CONFIG
}

save() { # copy the fixture root out (the chroot's /usr, /dev and links stay behind)
	rm -rf "$OUT/$1"
	mkdir -p "$OUT/$1"
	for d in etc run var; do [ -e "$B/$d" ] && cp -a "$B/$d" "$OUT/$1/"; done
	rm -f "$OUT/$1/etc/ld.so.cache"
	rm -rf "$OUT/$1/etc/init.d" "$OUT/$1/etc/ppp" "$OUT/$1/run/resolvconf/enable-updates" "$OUT/$1/run/resolvconf/run-lock"
}

# 1. The seed: a stray server in base (shipped in the image), the VPC resolver from DHCP.
new_chroot seed-resolvconf-base
echo "nameserver 10.225.30.181" >"$B/etc/resolvconf/resolv.conf.d/base"
lease eth0 172.16.0.2
kubelet
dhclient_bound eth0 "172.16.0.2" "ec2.internal"
save seed-resolvconf-base

# 2. The same stray server, prepended to every lease by dhclient.conf.
new_chroot dhclient-prepend
mkdir -p "$B/etc/dhcp"
cat >"$B/etc/dhcp/dhclient.conf" <<'CONF'
# Configuration file for /sbin/dhclient.
# (trimmed from Debian's isc-dhcp-client default; the prepend line is the stray one)

option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;

send host-name = gethostname();
prepend domain-name-servers 10.225.30.181;
request subnet-mask, broadcast-address, time-offset, routers,
	domain-name, domain-name-servers, domain-search, host-name,
	dhcp6.name-servers, dhcp6.domain-search, dhcp6.fqdn, dhcp6.sntp-servers,
	netbios-name-servers, netbios-scope, interface-mtu,
	rfc3442-classless-static-routes, ntp-servers;
CONF
lease eth0 172.16.0.2
kubelet
dhclient_bound eth0 "10.225.30.181 172.16.0.2" "ec2.internal"
save dhclient-prepend

# 3. A static ifupdown stanza beside a DHCP one: resolvconf lists eth1.inet first.
new_chroot ifupdown-static
cat >"$B/etc/network/interfaces" <<'IFACES'
# interfaces(5) file used by ifup(8) and ifdown(8)
source /etc/network/interfaces.d/*

auto lo
iface lo inet loopback

auto eth0
iface eth0 inet dhcp

auto eth1
iface eth1 inet static
    address 10.225.31.7/24
    dns-nameservers 10.225.30.181
IFACES
lease eth0 172.16.0.2
dhclient_bound eth0 "172.16.0.2" "ec2.internal"
ifup_static eth1 "10.225.30.181" ""
save ifupdown-static

# 4. Control: base holds only the server DHCP also hands out. No stray server.
new_chroot control-base-dhcp-only
echo "nameserver 172.16.0.2" >"$B/etc/resolvconf/resolv.conf.d/base"
lease eth0 172.16.0.2
kubelet
dhclient_bound eth0 "172.16.0.2" "ec2.internal"
save control-base-dhcp-only
