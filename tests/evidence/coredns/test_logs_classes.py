"""One real public CoreDNS error line per class of Go error text, with its origin.

Where no public CoreDNS line was found for a class, the line is marked CONSTRUCTED: CoreDNS's
errors-plugin format (`plugin/errors: RCODE NAME TYPE: ERR`) around the error text taken from
CoreDNS's source or Go's net package, as said next to it.
"""

from __future__ import annotations

import pytest

from dnsdoctor.evidence.coredns import classify as c
from dnsdoctor.evidence.coredns.logs import HEALTH_CHECK, LOOP_PROBE, parse_lines

CASES = [
    # home-assistant/plugin-dns#161 (via ../shared/reference/coredns.md)
    (
        "[ERROR] plugin/errors: 2 www.waze.com. AAAA: read udp 172.30.32.3:45359->192.168.1.11:53: i/o timeout",
        c.READ_TIMEOUT,
        "192.168.1.11:53",
    ),
    # coredns/coredns#4662 (via the reference file)
    (
        "[ERROR] plugin/errors: 2 xxxxxxxx.eu-west-3.rds.amazonaws.com. AAAA: dial tcp 10.28.0.2:53: i/o timeout",
        c.DIAL_TIMEOUT,
        "10.28.0.2:53",
    ),
    # rancher/rke2#8685
    (
        "[ERROR] plugin/errors: 2 git.rancher.io. AAAA: dial udp 8.8.8.8:53: connect: network is unreachable",
        c.NETWORK_UNREACHABLE,
        "8.8.8.8:53",
    ),
    # k3s-io/k3s#3153 (IPv6 upstream on an IPv4-only pod)
    (
        "[ERROR] plugin/errors: 2 quay.io. AAAA: dial udp [2a02:1800:100::41:1]:53: connect: network is unreachable",
        c.NETWORK_UNREACHABLE,
        "[2a02:1800:100::41:1]:53",
    ),
    # coredns/coredns#2284 (comment of 2022-04-20)
    (
        "[ERROR] plugin/errors: 2 . NS: read udp 10.233.72.1:33336->192.168.50.1:53: read: no route to host",
        c.HOST_UNREACHABLE,
        "192.168.50.1:53",
    ),
    # coredns/coredns#3367 (issue title)
    (
        "[ERROR] plugin/errors: 2 me.com. MX: dns: overflow unpacking uint16",
        c.MALFORMED_REPLY,
        None,
    ),
    # coredns/coredns#6431
    (
        "[ERROR] plugin/errors: 2 oauth2.googleapis.com. A: dns: overflow unpacking uint32",
        c.MALFORMED_REPLY,
        None,
    ),
    # coredns/coredns#3853
    ("[ERROR] plugin/errors: 2 google.com. A: dns: short read", c.MALFORMED_REPLY, None),
    # coredns/coredns#2230
    ("2018/09/07 00:11:28 [ERROR] 0 a1441.g4.akamai.net. A: EOF", c.CONNECTION_CLOSED, None),
    # coredns/coredns#2284 (via the reference file): old proxy plugin, all backends down
    (
        "2018/11/21 06:48:51 [ERROR] 2 2535257455848830884.6326319755660942605. HINFO: unreachable backend: no upstream host",
        c.NO_HEALTHY_UPSTREAMS,
        None,
    ),
    # coredns/coredns#3010: old proxy plugin, all backends down, a client's SRV query
    (
        "[ERROR] plugin/errors: 2 _mongodb._tcp.xxxx.azure.mongodb.net. SRV: unreachable backend: no upstream host",
        c.NO_HEALTHY_UPSTREAMS,
        None,
    ),
    # ../shared/seed/README.md: the incident's line (old proxy wording)
    (
        "[ERROR] 2 loginspub.xxxxmobile-inc.net. A: unreachable backend: read udp 172.16.0.230:43742->10.225.30.181:53: i/o timeout",
        c.READ_TIMEOUT,
        "10.225.30.181:53",
    ),
    # CONSTRUCTED: Go's error for ICMP port unreachable on a connected UDP socket, as in public
    # Go client logs ("read udp 10.52.0.25:37478->10.53.0.10:53: read: connection refused").
    (
        "[ERROR] plugin/errors: 2 example.org. A: read udp 10.244.0.5:41000->10.53.0.10:53: read: connection refused",
        c.CONNECTION_REFUSED,
        "10.53.0.10:53",
    ),
    # CONSTRUCTED: Go's resolver text "lookup NAME on ADDR: no such host".
    (
        "[ERROR] plugin/errors: 2 example.org. A: lookup dns.example on 10.96.0.10:53: no such host",
        c.NO_SUCH_HOST,
        "10.96.0.10:53",
    ),
    # CONSTRUCTED: ErrNoHealthy = errors.New("no healthy proxies") (plugin/pkg/proxy/errors.go).
    ("[ERROR] plugin/errors: 2 example.org. A: no healthy proxies", c.NO_HEALTHY_UPSTREAMS, None),
    # CONSTRUCTED: ErrLimitExceeded = "concurrent queries exceeded maximum " + N
    # (plugin/forward/setup.go), logged with rcode 5 (REFUSED).
    (
        "[ERROR] plugin/errors: 5 example.org. A: concurrent queries exceeded maximum 1000",
        c.MAX_CONCURRENT,
        None,
    ),
]


@pytest.mark.parametrize(
    ("line", "cls", "upstream"), CASES, ids=[x[1] + str(i) for i, x in enumerate(CASES)]
)
def test_each_class_from_its_line(line, cls, upstream):
    logs = parse_lines([line], "case")
    assert logs.unrecognised == 0
    (error,) = logs.errors
    assert error.cause.cls == cls
    assert error.cause.upstream == upstream


def test_proxy_wording_is_recorded_and_stripped():
    seed = CASES[11][0]
    (error,) = parse_lines([seed], "seed").errors
    assert error.cause.proxy_wording
    assert error.qname == "loginspub.xxxxmobile-inc.net."
    assert error.qtype == "A"
    assert error.rcode == 2


def test_probes_are_told_from_client_queries():
    hinfo = "[ERROR] plugin/errors: 2 3797952284163317497.7063757873447144811. HINFO: read udp 192.168.209.17:36807->20.128.8.8:53: i/o timeout"  # coredns/coredns#4211
    zone_hinfo = "[ERROR] plugin/errors: 2 684597291458362484.7082338343609760720.in-addr.arpa. HINFO: read udp 10.233.72.1:50944->192.168.50.1:53: i/o timeout"  # coredns/coredns#2284
    ns = "[ERROR] plugin/errors: 2 . NS: read udp 10.245.6.73:56152->168.63.129.16:53: i/o timeout"  # coredns/coredns#5028
    client_hinfo = "[ERROR] plugin/errors: 2 host.example.com. HINFO: read udp 10.0.0.5:1->10.0.0.2:53: i/o timeout"
    logs = parse_lines([hinfo, zone_hinfo, ns, client_hinfo], "probes")
    assert [e.probe for e in logs.errors] == [LOOP_PROBE, LOOP_PROBE, HEALTH_CHECK, None]
    assert len(logs.real_errors()) == 1


def test_host_of_strips_port_and_brackets():
    assert c.host_of("10.0.0.2:53") == "10.0.0.2"
    assert c.host_of("[2001:db8::1]:53") == "2001:db8::1"
