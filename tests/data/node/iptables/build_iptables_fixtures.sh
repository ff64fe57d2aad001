#!/bin/sh
# Rebuild the iptables-save fixtures with the real iptables (Debian 12, nf_tables backend) inside a
# private network namespace: nothing touches the host's rules. Run as root from this folder:
#   unshare -n sh build_iptables_fixtures.sh
set -eu
ipt() { iptables -w "$@"; }

# NodeLocal DNSCache: the rules node-cache inserts (k8s.io/dns cmd/node-cache/app/cache_app.go,
# initIptables, EnsureRule(Prepend ...)) for -localip 169.254.20.10,10.96.0.10, port 53, health 8080.
nodelocal() {
  for ip in 169.254.20.10 10.96.0.10; do
    for proto in tcp udp; do
      ipt -t raw -I PREROUTING -p "$proto" -d "$ip" --dport 53 -j NOTRACK
      ipt -t filter -I INPUT -p "$proto" -d "$ip" --dport 53 -j ACCEPT
      ipt -t raw -I OUTPUT -p "$proto" -s "$ip" --sport 53 -j NOTRACK
      ipt -t filter -I OUTPUT -p "$proto" -s "$ip" --sport 53 -j ACCEPT
      ipt -t raw -I OUTPUT -p "$proto" -d "$ip" --dport 53 -j NOTRACK
    done
    ipt -t raw -I OUTPUT -p tcp -d "$ip" --dport 8080 -j NOTRACK
    ipt -t raw -I OUTPUT -p tcp -s "$ip" --sport 8080 -j NOTRACK
  done
}

# kube-proxy in iptables mode: the shape of its nat chains for the kube-dns service (chain names
# and matches as in kubernetes pkg/proxy/iptables; hashes and endpoints made up).
kube_proxy_iptables() {
  ipt -t nat -N KUBE-SERVICES
  ipt -t nat -N KUBE-SVC-TCOU7JCQXEZGVUNU
  ipt -t nat -N KUBE-SEP-AAAAAAAAAAAAAAAA
  ipt -t nat -N KUBE-MARK-MASQ
  ipt -t nat -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
  ipt -t nat -A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
  ipt -t nat -A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
  ipt -t nat -A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU
  ipt -t nat -A KUBE-SVC-TCOU7JCQXEZGVUNU -m comment --comment "kube-system/kube-dns:dns -> 10.244.0.5:53" -j KUBE-SEP-AAAAAAAAAAAAAAAA
  ipt -t nat -A KUBE-SEP-AAAAAAAAAAAAAAAA -p udp -m comment --comment "kube-system/kube-dns:dns" -m udp -j DNAT --to-destination 10.244.0.5:53
}

# kube-proxy in ipvs mode: its ipset match in KUBE-SERVICES (pkg/proxy/ipvs). ipset is not
# installed here, so the set match is left out and the chain names carry the hint.
kube_proxy_ipvs() {
  ipt -t nat -N KUBE-SERVICES
  ipt -t nat -N KUBE-NODE-PORT
  ipt -t nat -N KUBE-LOAD-BALANCER
  ipt -t nat -N KUBE-MARK-MASQ
  ipt -t nat -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
  ipt -t nat -A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT
}

reset() { for t in raw filter nat; do ipt -t "$t" -F; ipt -t "$t" -X; done; }

kube_proxy_iptables; nodelocal; iptables-save >nodelocaldns-kube-proxy-iptables.save; reset
kube_proxy_iptables; iptables-save >kube-proxy-iptables-no-notrack.save; reset
kube_proxy_ipvs; iptables-save >kube-proxy-ipvs.save; reset
