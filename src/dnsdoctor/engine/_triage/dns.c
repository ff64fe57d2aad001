/* DNS messages read exactly as evidence/dns_message.py reads them: the same checks in the same
 * order, so a message is "ok" here only when the Python reader finds no damage in it either. */
#include "triage.h"

/* 1 when the byte stands in a presentation-form label as itself (dnspython's rule). */
static int plain_byte(uint8_t b) {
    static uint8_t table[256], ready;
    if (!ready) {
        for (int i = 0x21; i < 0x7F; i++) table[i] = !strchr("\"().;\\@$", i);
        ready = 1;
    }
    return table[b];
}

/* Walk the name at pos as _name_labels does; -1 when malformed, else the offset after it.
 * With out != NULL, copy the lower-cased labels (length-prefixed) into out->name. */
static long walk_name(const uint8_t *buf, size_t size, size_t pos, DnsInfo *out) {
    long end = -1;
    int total = 1, jumps = 0;
    for (;;) {
        if (pos >= size) return -1;
        uint8_t length = buf[pos];
        if (length == 0) { pos += 1; break; }
        uint8_t kind = length & 0xC0;
        if (kind == 0xC0) {
            if (pos + 1 >= size) return -1;
            size_t target = ((size_t)(length & 0x3F) << 8) | buf[pos + 1];
            if (target >= pos) return -1;
            if (++jumps > 63) return -1;
            if (end < 0) end = (long)pos + 2;
            pos = target;
            continue;
        }
        if (kind) return -1;
        if (pos + 1 + length > size) return -1;
        total += length + 1;
        if (total > 255) return -1;
        if (out) {
            if (out->nlabels == 0) out->first_label_len = length;
            out->name[out->namelen++] = length;
            for (int i = 0; i < length; i++) {
                uint8_t b = buf[pos + 1 + i];
                if (!plain_byte(b)) out->plain = 0;
                if (b >= 'A' && b <= 'Z') out->upper = 1;
                out->name[out->namelen++] = (b >= 'A' && b <= 'Z') ? b + 32 : b;
            }
            out->nlabels++;
        }
        pos += 1 + length;
    }
    return end >= 0 ? end : (long)pos;
}

static long skip_name(const uint8_t *buf, size_t size, size_t pos) {
    uint8_t length = pos < size ? buf[pos] : 0;
    if ((length & 0xC0) == 0xC0 && pos + 1 < size) {
        size_t target = ((size_t)(length & 0x3F) << 8) | buf[pos + 1];
        if (target == 12 && target < pos) return (long)pos + 2;
    }
    return walk_name(buf, size, pos, NULL);
}

static int walk_sections(const uint8_t *buf, size_t size, size_t pos, DnsInfo *m) {
    int counts[3] = {m->an, m->ns, m->ar};
    for (int section = 0; section < 3; section++) {
        for (int i = 0; i < counts[section]; i++) {
            long next = skip_name(buf, size, pos);
            if (next < 0) return -1;
            pos = (size_t)next;
            if (pos + 10 > size) return -1;
            uint16_t rtype = be16(buf + pos);
            uint32_t ttl = ((uint32_t)buf[pos + 4] << 24) | ((uint32_t)buf[pos + 5] << 16) |
                           ((uint32_t)buf[pos + 6] << 8) | buf[pos + 7];
            uint16_t rdlen = be16(buf + pos + 8);
            pos += 10;
            if (pos + rdlen > size) return -1;
            if (section == 0) {
                if ((rtype == 1 && rdlen == 4) || (rtype == 28 && rdlen == 16)) m->addresses++;
                else if (rtype == 5 && walk_name(buf, size, pos, NULL) < 0) return -1;
            } else if (section == 1 && rtype == 6) {
                m->soa = 1;
            } else if (section == 2 && rtype == 41) {
                m->edns = 1;
                m->rcode = (int)(((ttl >> 24) << 4) | (m->flags & 0xF));
                size_t opt = pos, stop = pos + rdlen;
                while (opt < stop) {
                    if (opt + 4 > stop) return -1;
                    size_t olen = be16(buf + opt + 2);
                    if (opt + 4 + olen > stop) return -1;
                    opt += 4 + olen;
                }
            }
            pos += rdlen;
        }
    }
    return 0;
}

void dns_parse(const uint8_t *buf, size_t n, DnsInfo *m) {
    memset(m, 0, offsetof(DnsInfo, name));
    m->namelen = 0;
    m->plain = 1;
    if (n < 12) return;
    m->id = be16(buf);
    m->flags = be16(buf + 2);
    m->qd = be16(buf + 4);
    m->an = be16(buf + 6);
    m->ns = be16(buf + 8);
    m->ar = be16(buf + 10);
    m->rcode = m->flags & 0xF;
    size_t pos = 12;
    if (m->qd) {
        long next = walk_name(buf, n, pos, m);
        if (next < 0) return;
        pos = (size_t)next;
        if (pos + 4 > n) return;
        m->qtype = be16(buf + pos);
        m->qclass = be16(buf + pos + 2);
        m->has_question = 1;
        pos += 4;
        for (int i = 1; i < m->qd; i++) {
            next = skip_name(buf, n, pos);
            if (next < 0) return;
            pos = (size_t)next + 4;
            if (pos > n) return;
        }
    }
    if ((m->flags & 0x8000) || m->an || m->ns || m->ar) {
        if (walk_sections(buf, n, pos, m) < 0) return;
    }
    m->ok = 1;
}

uint64_t label_hash(const DnsInfo *m) {
    uint64_t h = 1469598103934665603ULL;
    int len = m->nlabels ? m->first_label_len : 0;
    for (int i = 0; i < len; i++) h = (h ^ m->name[1 + i]) * 1099511628211ULL;
    return h ^ ((uint64_t)len << 56);
}
