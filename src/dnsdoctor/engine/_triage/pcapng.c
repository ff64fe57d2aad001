/* pcapng for the triage pass: the blocks evidence/capture/pcapng_file.py reads, read the same
 * way (section byte order, interfaces numbered across sections, if_tsresol, if_tsoffset). What
 * it would report as damage, and the rare simple and obsolete packet blocks, turn claiming off
 * instead: the Python reader then does everything. */
#include "triage.h"

#define MAX_BLOCK (16u << 20)
#define SHB 0x0A0D0D0Au

static void interface(Triage *s, const uint8_t *b, uint32_t blen) {
    if (blen < 20 || s->nsection == MAX_IFACES) { disable(s, "an interface block the fast path does not read"); return; }
    Iface *ifc = &s->section[s->nsection++];
    ifc->link = rd16(b + 8, s->big);
    ifc->number = s->ninterfaces++;
    ifc->units = 1000000;
    ifc->offset = 0;
    size_t pos = 16, end = blen - 4;
    while (pos + 4 <= end) {
        uint16_t code = rd16(b + pos, s->big), len = rd16(b + pos + 2, s->big);
        if (code == 0 || pos + 4 + len > end) break;
        const uint8_t *v = b + pos + 4;
        if (code == 9 && len) {
            uint8_t exp = v[0];
            int power = exp & 0x7F;
            if ((exp & 0x80) ? power > 52 : power > 15) {
                disable(s, "a timestamp resolution the fast path does not read");
                return;
            }
            uint64_t units = 1;
            for (int i = 0; i < power; i++) units *= (exp & 0x80) ? 2 : 10;
            ifc->units = units;
        } else if (code == 14 && len >= 8) {
            uint64_t hi = rd32(v + (s->big ? 0 : 4), s->big), lo = rd32(v + (s->big ? 4 : 0), s->big);
            ifc->offset = (int64_t)((hi << 32) | lo);
        }
        pos += 4 + (((size_t)len + 3) & ~(size_t)3);
    }
}

static void packet(Triage *s, const uint8_t *b, uint32_t blen) {
    if (blen < 32) { disable(s, "a short packet block"); return; }
    uint32_t id = rd32(b + 8, s->big), hi = rd32(b + 12, s->big), lo = rd32(b + 16, s->big);
    uint32_t caplen = rd32(b + 20, s->big);
    if (id >= (uint32_t)s->nsection || caplen > blen - 32) { disable(s, "a packet block Python reports as damage"); return; }
    Iface *ifc = &s->section[id];
    uint64_t stamp = ((uint64_t)hi << 32) | lo, sec = stamp / ifc->units, frac = stamp % ifc->units;
    int64_t whole = (int64_t)sec + ifc->offset;
    if (sec > (1ULL << 52) || whole > (1LL << 52) || whole < -(1LL << 52)) {
        disable(s, "a timestamp the fast path does not read");
        return;
    }
    if (!link_supported(ifc->link)) {
        s->frame++;
        disable(s, "a link type the fast path does not read");
        return;
    }
    s->link = ifc->link;
    s->iface_number = ifc->number;
    on_record(s, b + 28, caplen, (double)whole + (double)frac / (double)ifc->units);
}

size_t pcapng_feed(Triage *s, const uint8_t *buf, size_t n) {
    size_t pos = 0;
    while (!s->disabled[0] && pos + 12 <= n) {
        const uint8_t *b = buf + pos;
        uint32_t btype = rd32(b, s->big);
        if (btype == SHB) {
            if (!memcmp(b + 8, "\x4d\x3c\x2b\x1a", 4)) s->big = 0;
            else if (!memcmp(b + 8, "\x1a\x2b\x3c\x4d", 4)) s->big = 1;
            else { disable(s, "a section header Python reports as damage"); break; }
        }
        uint32_t blen = rd32(b + 4, s->big);
        if (blen < 12 || blen % 4 || blen > MAX_BLOCK) { disable(s, "a block length Python reports as damage"); break; }
        if (pos + blen > n) break;
        if (rd32(b + blen - 4, s->big) != blen) { disable(s, "a block trailer Python reports as damage"); break; }
        if (btype == 6) packet(s, b, blen);
        else if (btype == 1) interface(s, b, blen);
        else if (btype == SHB) s->nsection = 0;
        else if (btype == 2 || btype == 3) disable(s, "simple or obsolete packet blocks");
        pos += blen;
    }
    return pos;
}
