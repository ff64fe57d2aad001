/* Frames as the Python fast path (evidence/capture/packet.py) decodes them. A frame it would
 * hand to the layered slow path is "opaque" here: its addresses are tainted, or claiming stops
 * for the file when the slow path could find DNS under other addresses (tunnels, fragments). */
#include "triage.h"

static int ignorable_ethertype(uint16_t et) {
    return et == 0x0806 || et == 0x8035 || et == 0x88CC || et == 0x888E;
}

static int tunnel_proto(uint8_t proto) { return proto == 4 || proto == 41 || proto == 47; }

/* Python folds copies across interfaces once it sees a second one: claiming needs just one.
 * SLL2 names the interface by index, SLL1 by ARPHRD type and link address. */
static int same_interface(Triage *s, const uint8_t *data) {
    uint8_t key[12];
    size_t len;
    if (s->link == 276) {
        memcpy(key, data + 4, 4);
        len = 4;
    } else if (s->link == 113) {
        size_t halen = be16(data + 4) < 8 ? be16(data + 4) : 8;
        memcpy(key, data + 2, 2);
        memcpy(key + 2, data + 6, halen);
        len = 2 + halen;
    } else {
        memcpy(key, &s->iface_number, 4);
        len = 4;
    }
    if (s->have_iface && (len != s->iface_len || memcmp(key, s->iface, len))) {
        disable(s, "DNS on a second interface");
        return 0;
    }
    s->have_iface = 1;
    s->dns_iface = s->link == 276 ? (int64_t)rd32(data + 4, 1)
                 : s->link == 113 ? -1 : (int64_t)s->iface_number;
    s->iface_len = len;
    memcpy(s->iface, key, len);
    return 1;
}

/* An IP payload the fast path refused, as the slow path will see it: a tunnel stops claiming
 * (the DNS inside has other addresses); otherwise the packet's addresses are tainted, and those
 * of the packet an ICMP error quotes. */
static void opaque_payload(Triage *s, uint8_t fam, const uint8_t *data, size_t n, size_t addrs,
                           uint8_t proto, size_t l4, double ts) {
    size_t alen = fam == 4 ? 4 : 16, quoted = l4 + 8;
    if (tunnel_proto(proto)) { disable(s, "IP tunnel"); return; }
    if (proto == 17 && n >= l4 + 4 && (s->tunnels[be16(data + l4)] || s->tunnels[be16(data + l4 + 2)])) {
        disable(s, "UDP tunnel");
        return;
    }
    taint_address(s, fam, data + addrs, ts);
    taint_address(s, fam, data + addrs + alen, ts);
    if (proto == (fam == 4 ? 1 : 58) && n >= quoted + (fam == 4 ? 20 : 40)) {
        size_t inner = quoted + (fam == 4 ? 12 : 8);
        taint_address(s, fam, data + inner, ts);
        taint_address(s, fam, data + inner + alen, ts);
    }
}

/* What the Python slow path does with an IP packet the fast path refused. */
static void opaque_ip(Triage *s, const uint8_t *data, size_t n, size_t ip, uint16_t et, double ts) {
    if (et == 0x0800) {
        if (n < ip + 20 || data[ip] >> 4 != 4) return;  /* damage at most, never DNS */
        if ((data[ip + 6] & 0x3F) || data[ip + 7]) { disable(s, "IP fragment"); return; }
        opaque_payload(s, 4, data, n, ip + 12, data[ip + 9], ip + (size_t)(data[ip] & 0xF) * 4, ts);
        return;
    }
    if (n < ip + 40 || data[ip] >> 4 != 6) return;
    uint8_t nh = data[ip + 6];
    size_t off = ip + 40;
    while ((nh == 0 || nh == 43 || nh == 60) && off + 2 <= n) {
        nh = data[off];
        off += ((size_t)data[off + 1] + 1) * 8;
    }
    if (nh == 0 || nh == 43 || nh == 60 || nh == 44 || nh == 50 || nh == 51 || nh == 135 ||
        nh == 139 || nh == 140) {
        disable(s, "an IPv6 extension header the fast path does not read");
        return;
    }
    opaque_payload(s, 6, data, n, ip + 8, nh, off, ts);
}

static int checksum_ok(const uint8_t *src, const uint8_t *dst, size_t alen, const uint8_t *seg, size_t ulen) {
    uint64_t sum = 17 + ulen;
    for (size_t i = 0; i < alen; i += 2) sum += be16(src + i) + be16(dst + i);
    size_t i = 0;
    for (; i + 1 < ulen; i += 2) sum += be16(seg + i);
    if (ulen & 1) sum += (uint64_t)seg[i] << 8;
    return sum % 0xFFFF == 0;
}

/* _fast4/_fast6: 1 when settled here (a datagram, or nothing to say), 0 for the slow path. */
static int fast(Triage *s, const uint8_t *data, size_t n, size_t ip, int v6, double ts) {
    size_t u = ip + (v6 ? 40 : 20);
    uint8_t proto = data[ip + (v6 ? 6 : 9)];
    if (v6) {
        if (data[ip] >> 4 != 6 || (proto != 17 && proto != 6) || n < u + 8) return 0;
    } else if (data[ip] != 0x45 || (data[ip + 6] & 0x3F) || data[ip + 7] || (proto != 17 && proto != 6)) {
        return 0;
    }
    uint16_t sport = be16(data + u), dport = be16(data + u + 2);
    size_t ulen = be16(data + u + 4);
    uint16_t csum = be16(data + u + 6);
    if (!s->ports[sport] && !s->ports[dport]) {
        if (s->tunnels[sport] || s->tunnels[dport]) { disable(s, "UDP tunnel"); return 1; }
        return 1;  /* not DNS, or another name service: counted by Python, never paired */
    }
    if (!same_interface(s, data)) return 1;
    size_t end = v6 ? u + be16(data + ip + 4) : ip + be16(data + ip + 2);
    if (proto != 17 || ulen < 20 || u + ulen > end || end > n) return 0;
    size_t alen = v6 ? 16 : 4;
    const uint8_t *src = data + ip + (v6 ? 8 : 12), *dst = src + alen;
    if (v6 && !csum) return 0;
    if (csum && !checksum_ok(src, dst, alen, data + u, ulen)) return 0;
    Datagram d = {v6 ? 6 : 4, src, dst, sport, dport, data + u + 8, ulen - 8};
    on_datagram(s, &d, ts);
    return 1;
}

static void on_frame(Triage *s, const uint8_t *data, size_t n, double ts) {
    uint16_t et = 0;
    size_t ip = 0;
    int fast_ok = 0;
    if (s->link == 1) {
        if (n < 14) return;
        et = be16(data + 12);
        ip = 14;
        if (et == 0x8100 && n >= 18) {
            et = be16(data + 16);
            ip = 18;
        }
        fast_ok = n >= 54;
        if (et == 0x8100 || et == 0x88A8 || et == 0x9100 || et == 0x9200 || et == 0x8864 ||
            et == 0x8847 || et == 0x8848) {
            disable(s, "VLAN stack, PPPoE or MPLS");
            return;
        }
        if (et < 0x0600) {
            if (n >= ip + 3 && data[ip] == 0xAA && data[ip + 1] == 0xAA) disable(s, "LLC/SNAP");
            return;
        }
    } else if (s->link == 276) {
        if (n < 20) return;
        et = be16(data);
        ip = 20;
        fast_ok = n >= 60;
    } else if (s->link == 113) {
        if (n < 16) return;
        et = be16(data + 14);
        ip = 16;
        fast_ok = n >= 56;
    } else {
        if (n < 1) return;
        et = data[0] >> 4 == 4 ? 0x0800 : data[0] >> 4 == 6 ? 0x86DD : 0;
        fast_ok = n >= 40;
        if (!et) return;
    }
    if (et != 0x0800 && et != 0x86DD) {
        if (!ignorable_ethertype(et)) disable(s, "a link protocol the fast path does not read");
        return;
    }
    if (fast_ok && fast(s, data, n, ip, et == 0x86DD, ts)) return;
    if (same_interface(s, data)) opaque_ip(s, data, n, ip, et, ts);
}

/* One record of the file, in file order: finish the candidates it outdates, then decode it. */
void on_record(Triage *s, const uint8_t *data, size_t n, double ts) {
    s->frame++;
    if (ts < s->now) { disable(s, "timestamps go backwards"); return; }
    s->now = ts;
    expire(s, ts);
    on_frame(s, data, n, ts);
}

int link_supported(int link) {
    return link == 1 || link == 113 || link == 276 || link == 101 || link == 228 || link == 229 ||
           link == 12 || link == 14;
}
