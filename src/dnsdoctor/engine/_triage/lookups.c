/* Candidate lookups: one per (client address, first label), claimed when clean and isolated.
 * Why each condition, and why claiming keeps the report exact: engine/triage.py. */
#include "triage.h"

static int32_t new_cand(Triage *s) {
    int32_t slot;
    if (s->nfree) {
        slot = s->freelist[--s->nfree];
    } else {
        if (s->ncands == s->capcands) {
            int32_t cap = s->capcands ? s->capcands * 2 : 1024;
            Cand *c = realloc(s->cands, (size_t)cap * sizeof(Cand));
            int32_t *f = realloc(s->freelist, (size_t)cap * sizeof(int32_t));
            if (c) s->cands = c;
            if (f) s->freelist = f;
            if (!c || !f) { disable(s, "out of memory"); return NO_OWNER; }
            for (int32_t i = s->capcands; i < cap; i++) s->cands[i].gen = 0;
            s->capcands = cap;
        }
        slot = s->ncands++;
    }
    Cand *c = &s->cands[slot];
    uint32_t gen = c->gen + 1;
    memset(c, 0, offsetof(Cand, answer));
    c->gen = gen;
    c->open = 1;
    return slot;
}

static Server *server_for(Triage *s, uint8_t fam, const uint8_t *addr) {
    Key k = make_key(K_SERVER, fam, addr, 0, 0);
    Entry *e = table_get(&s->servers, &k, -INFINITY);
    if (!e) return NULL;
    if (e->slot == NO_OWNER) {
        if (s->nsrv == s->capsrv) {
            size_t cap = s->capsrv ? s->capsrv * 2 : 16;
            Server *v = realloc(s->srv, cap * sizeof(Server));
            if (!v) return NULL;
            s->srv = v;
            s->capsrv = cap;
        }
        memset(&s->srv[s->nsrv], 0, sizeof(Server));
        s->srv[s->nsrv].fam = fam;
        memcpy(s->srv[s->nsrv].addr, addr, 16);
        e->slot = (int32_t)s->nsrv++;
    }
    return &s->srv[e->slot];
}

/* Exactly slow_server._Latency.add, with the rule's own constants. */
static int add_latency(Triage *s, Server *v, double rtt) {
    double x = rtt > s->min_rtt ? rtt : s->min_rtt;
    long index = (long)(log10(x / s->min_rtt) * s->per_decade);
    if (index < 0) index = 0;
    if (index >= MAX_BUCKETS) return -1;
    v->buckets[index]++;
    for (int i = 0; i < s->nmodes; i++) {
        double centre = s->centres[i];
        if (0.9 * centre <= rtt && rtt <= 1.15 * centre) v->modes[i]++;
        else if (0.5 * centre <= rtt && rtt < 0.9 * centre) v->shoulders[i]++;
    }
    return 0;
}

enum { NOT_CLAIMED, CLEAN, NEGATIVE, HALF_LOST };

/* CLEAN: every query answered NOERROR, one with an address. NEGATIVE: every one NXDOMAIN with an
 * empty answer section. HALF_LOST: A and AAAA from one socket, one answered NOERROR with an
 * address, the other never. The last two are rebuilt in Python, so their names must read as
 * the Python path would list them (no 0x20 case mixing). */
static int claim_kind(Triage *s, const Cand *c) {
    int positive = 0, nxdomain = 0, answered = 0;
    for (int i = 0; i < c->ntx; i++) {
        answered += c->tx[i].answered;
        positive += c->tx[i].answered && c->tx[i].positive;
        nxdomain += c->tx[i].answered && c->tx[i].rcode == 3;
    }
    if (answered == c->ntx)
        return nxdomain == 0 && positive ? CLEAN
             : nxdomain == c->ntx && s->negatives && !c->mixed_case ? NEGATIVE : NOT_CLAIMED;
    if (c->ntx == 2 && answered == 1 && positive == 1 && nxdomain == 0 && !c->mixed_case &&
        c->tx[0].cport == c->tx[1].cport && c->answer_len[c->tx[0].answered ? 0 : 1])
        return HALF_LOST;
    return NOT_CLAIMED;
}

static int claimable(Triage *s, Cand *c) {
    if (c->tainted || c->ntx < 1) return NOT_CLAIMED;
    int kind = claim_kind(s, c);
    if (kind == NOT_CLAIMED) return NOT_CLAIMED;
    double last = c->end > c->last_query ? c->end : c->last_query;
    if (last - c->start > s->slow) return NOT_CLAIMED;
    Key k = make_key(K_ADDR, c->fam, c->caddr, 0, 0);
    Entry *e = table_find(&s->keys, &k);
    return !e || !(e->ts >= c->start - s->window) ? kind : NOT_CLAIMED;
}

static void note_claim(Triage *s, const Cand *c) {
    for (int i = 0; i < c->ntx; i++) {
        const Tx *t = &c->tx[i];
        double ts = t->answered && t->rts > t->qts ? t->rts : t->qts;
        if (ts > s->last_claim_ts) s->last_claim_ts = ts;
    }
    if (!s->first_claim || c->tx[0].qframe < s->first_claim) {
        s->first_claim = c->tx[0].qframe;
        s->first_claim_ts = c->tx[0].qts;
    }
}

/* Handed over: the engine builds it from the record, so nothing is folded or counted here. */
static void hand_over(Triage *s, const Cand *c) {
    if (list_lookup(s, c, HANDED) < 0) { disable(s, "out of memory"); return; }
    for (int i = 0; i < c->ntx; i++) {
        set_claim(s, c->tx[i].qframe, CLAIM_HANDED);
        if (c->tx[i].answered) set_claim(s, c->tx[i].rframe, CLAIM_HANDED);
    }
    note_claim(s, c);
}

static void finalize(Triage *s, int32_t slot) {
    Cand *c = &s->cands[slot];
    int kind = claimable(s, c);
    if (kind == HALF_LOST) {
        hand_over(s, c);
    } else if (kind == NEGATIVE && list_lookup(s, c, LISTED) < 0) {
        disable(s, "out of memory");
    } else if (kind != NOT_CLAIMED) { /* clean, or negative and listed: folded */
        Server *servers[2];
        for (int i = 0; i < c->ntx; i++) {
            servers[i] = server_for(s, c->tx[i].sfam, c->tx[i].saddr);
            if (!servers[i]) { disable(s, "out of memory"); break; }
        }
        for (int i = 0; i < c->ntx && !s->disabled[0]; i++) {
            Tx *t = &c->tx[i];
            servers[i]->ntx++;
            if (add_latency(s, servers[i], t->rts - t->qts) < 0) disable(s, "latency out of range");
            set_claim(s, t->qframe, i == 0 ? CLAIM_LOOKUP_START : CLAIM_QUERY);
            set_claim(s, t->rframe, CLAIM_RESPONSE);
        }
        s->lookups++;
        s->transactions += c->ntx;
        note_claim(s, c);
    }
    c->open = 0;
    c->gen++;
    s->freelist[s->nfree++] = slot;
}

void expire(Triage *s, double ts) {
    while (s->nheap && s->heap[0].due < ts) {
        Due d = heap_pop(s);
        Cand *c = &s->cands[d.slot];
        if (!c->open || c->gen != d.gen) continue;
        if (c->last_ts + s->window < ts) finalize(s, d.slot);
        else heap_push(s, c->last_ts + s->window, d.slot, d.gen);
    }
}

void finalize_all(Triage *s) {
    while (s->nheap) {
        Due d = heap_pop(s);
        Cand *c = &s->cands[d.slot];
        if (c->open && c->gen == d.gen) finalize(s, d.slot);
    }
}

/* The socket and label entries, each looked up once, with room reserved first so that the
 * second lookup cannot move the first; -1 (claiming off) when memory runs out. */
static int both_entries(Triage *s, const Key *sk, const Key *lk, Entry **se, Entry **le) {
    double keep_after = s->now - s->horizon;
    *se = *le = NULL;
    if (table_reserve(&s->keys, 2, keep_after) == 0) {
        *se = table_get(&s->keys, sk, keep_after);
        *le = table_get(&s->keys, lk, keep_after);
    }
    if (*se && *le) return 0;
    disable(s, "out of memory");
    return -1;
}

static void on_query(Triage *s, const Datagram *d, const DnsInfo *m, Key *sk, Key *lk, double ts) {
    Entry *se, *le;
    if (both_entries(s, sk, lk, &se, &le) < 0) return;
    int32_t slot = NO_OWNER;
    if (le->ts >= ts - s->window) {
        Cand *c = owner(s, le);
        if (c && c->namelen == m->namelen && !memcmp(c->name, m->name, (size_t)m->namelen) &&
            ts - c->last_query <= s->gap)
            slot = le->slot;
    } else {
        slot = new_cand(s);
        if (slot == NO_OWNER) return;
        Cand *c = &s->cands[slot];
        c->fam = d->fam;
        memcpy(c->caddr, d->src, d->fam == 4 ? 4 : 16);
        memcpy(c->name, m->name, (size_t)m->namelen);
        c->namelen = m->namelen;
        c->start = c->last_query = ts;
        heap_push(s, ts + s->window, slot, c->gen);
    }
    touch_entry(s, se, ts, slot);
    touch_entry(s, le, ts, slot);
    if (slot == NO_OWNER) return;
    Cand *c = &s->cands[slot];
    c->mixed_case |= (uint8_t)m->upper;
    for (int i = 0; i < c->ntx; i++)
        if (c->tx[i].qtype == m->qtype || (c->tx[i].cport == d->sport && c->tx[i].id == m->id))
            c->tainted = 1;
    if (c->ntx == 2) { c->tainted = 1; return; }
    Tx *t = &c->tx[c->ntx++];
    memset(t, 0, sizeof *t);
    t->cport = d->sport;
    t->sport = d->dport;
    t->id = m->id;
    t->qtype = m->qtype;
    t->qflags = m->flags;
    t->sfam = d->fam;
    memcpy(t->saddr, d->dst, d->fam == 4 ? 4 : 16);
    t->qts = ts;
    t->qframe = s->frame;
    if (ts > c->last_query) c->last_query = ts;
    c->last_ts = ts;
}

static void on_response(Triage *s, const Datagram *d, const DnsInfo *m, Key *sk, Key *lk, double ts) {
    Entry *se, *le;
    if (both_entries(s, sk, lk, &se, &le) < 0) return;
    Cand *c = se->ts >= ts - s->window ? owner(s, se) : NULL;
    int32_t slot = c ? se->slot : NO_OWNER;
    touch_entry(s, se, ts, slot);
    touch_entry(s, le, ts, slot);
    if (!c) return;
    Tx *t = NULL;
    for (int i = 0; i < c->ntx; i++)
        if (c->tx[i].cport == d->dport && c->tx[i].id == m->id) t = &c->tx[i];
    size_t alen = d->fam == 4 ? 4 : 16;
    if (!t || t->answered || t->qtype != m->qtype || c->namelen != m->namelen ||
        memcmp(c->name, m->name, (size_t)m->namelen) || t->sport != d->sport ||
        memcmp(t->saddr, d->src, alen) || !(ts >= t->qts) || !(ts - t->qts < s->slow)) {
        c->tainted = 1;
    } else {
        t->answered = 1;
        t->positive = m->addresses > 0;
        t->rcode = (uint8_t)m->rcode;
        t->rflags = m->flags;
        t->rns = m->ns;
        t->rar = m->ar;
        t->redns = (uint8_t)m->edns;
        t->rsoa = (uint8_t)m->soa;
        c->mixed_case |= (uint8_t)m->upper;
        int i = (int)(t - c->tx);
        c->answer_len[i] = d->len <= MAX_KEPT_ANSWER ? (uint16_t)d->len : 0;
        if (c->answer_len[i]) memcpy(c->answer[i], d->payload, d->len);
        t->rts = ts;
        t->rframe = s->frame;
        if (ts > c->end) c->end = ts;
    }
    c->last_ts = ts;
}

void on_datagram(Triage *s, const Datagram *d, double ts) {
    DnsInfo m;
    dns_parse(d->payload, d->len, &m);
    int query = !(m.flags & 0x8000);
    const uint8_t *client = query ? d->src : d->dst;
    uint16_t cport = query ? d->sport : d->dport;
    Key sk = make_key(K_SOCKET, d->fam, client, cport, 0);
    if (!m.ok || !m.has_question || !m.plain) {
        touch(s, &sk, ts, NO_OWNER);
        taint_address(s, d->fam, client, ts);
        return;
    }
    Key lk = make_key(K_LABEL, d->fam, client, 0, label_hash(&m));
    int simple = m.qd == 1 && m.nlabels >= 1 && ((m.flags >> 11) & 0xF) == 0 && m.qclass == 1 &&
                 (m.qtype == 1 || m.qtype == 28) && !(m.flags & 0x0200) &&
                 (query || m.rcode == 0 || (s->negatives && m.rcode == 3 && m.an == 0));
    if (!simple) {
        touch(s, &sk, ts, NO_OWNER);
        touch(s, &lk, ts, NO_OWNER);
        return;
    }
    if (query) on_query(s, d, &m, &sk, &lk, ts);
    else on_response(s, d, &m, &sk, &lk, ts);
}
