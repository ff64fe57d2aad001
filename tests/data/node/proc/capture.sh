#!/bin/sh
# Copy the /proc files `dnsdoctor node` reads for kernel evidence into DEST, keeping their paths.
# Usage: sh capture.sh DEST            (this host's network namespace)
#        unshare -n sh capture.sh DEST --traffic   (a fresh namespace with conntrack entries)
set -eu
dest=$1
if [ "${2:-}" = "--traffic" ]; then
  # A fresh namespace tracks nothing until a rule needs conntrack; then send UDP on loopback.
  ip link set lo up
  iptables -t filter -A INPUT -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT
  python3 -c '
import socket
for port in range(9990, 9998):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"x", ("127.0.0.1", port))
'
fi
for f in net/stat/nf_conntrack sys/net/netfilter/nf_conntrack_count \
  sys/net/netfilter/nf_conntrack_max net/snmp net/snmp6 sys/kernel/osrelease version uptime; do
  if [ -r "/proc/$f" ]; then
    mkdir -p "$dest/$(dirname "$f")"
    cat "/proc/$f" >"$dest/$f"
  fi
done
