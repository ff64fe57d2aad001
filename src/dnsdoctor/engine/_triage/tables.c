/* Hash table, due-time heap, claim map and key ownership for the triage pass. */
#include "triage.h"


static uint64_t key_hash(const Key *k) {
    uint64_t w[4];
    memcpy(w, k, sizeof w);
    uint64_t h = w[0] * 0x9E3779B97F4A7C15ULL;
    h = (h ^ (h >> 32) ^ w[1]) * 0xC2B2AE3D27D4EB4FULL;
    h = (h ^ (h >> 29) ^ w[2]) * 0x165667B19E3779F9ULL;
    h = (h ^ (h >> 32) ^ w[3]) * 0x9E3779B97F4A7C15ULL;
    return h ^ (h >> 31);
}

static int table_grow(Table *t, double keep_after) {
    size_t live = 0;
    for (size_t i = 0; i < t->cap; i++)
        if (t->e[i].used && t->e[i].ts >= keep_after) live++;
    size_t cap = 1024;
    while (cap < live * 4) cap <<= 1;
    Entry *old = t->e;
    size_t oldcap = t->cap;
    /* Rebuilds of one size recur as old keys expire; fresh zeroed pages for each cost more than
     * clearing the previous array again (page faults were ~10% of this pass). */
    if (t->spare && t->sparecap == cap) {
        t->e = memset(t->spare, 0, cap * sizeof(Entry));
        t->spare = NULL;
    } else {
        free(t->spare);
        t->spare = NULL;
        t->e = calloc(cap, sizeof(Entry));
    }
    if (!t->e) { t->e = old; return -1; }
    t->cap = cap;
    t->n = 0;
    for (size_t i = 0; i < oldcap; i++) {
        if (!old[i].used || old[i].ts < keep_after) continue;
        size_t j = key_hash(&old[i].k) & (cap - 1);
        while (t->e[j].used) j = (j + 1) & (cap - 1);
        t->e[j] = old[i];
        t->n++;
    }
    t->spare = old;
    t->sparecap = oldcap;
    return 0;
}

Entry *table_find(Table *t, const Key *k) {
    if (!t->cap) return NULL;
    size_t j = key_hash(k) & (t->cap - 1);
    while (t->e[j].used) {
        if (memcmp(&t->e[j].k, k, sizeof(Key)) == 0) return &t->e[j];
        j = (j + 1) & (t->cap - 1);
    }
    return NULL;
}

/* Room for `extra` more keys without growing (which moves every entry): -1 when out of memory. */
int table_reserve(Table *t, size_t extra, double keep_after) {
    return (t->n + extra) * 2 > t->cap ? table_grow(t, keep_after) : 0;
}

/* The entry for k, inserted (ts = -inf) when absent; NULL only when memory runs out. */
Entry *table_get(Table *t, const Key *k, double keep_after) {
    if (table_reserve(t, 1, keep_after) < 0) return NULL;
    size_t j = key_hash(k) & (t->cap - 1);
    while (t->e[j].used) {
        if (memcmp(&t->e[j].k, k, sizeof(Key)) == 0) return &t->e[j];
        j = (j + 1) & (t->cap - 1);
    }
    t->e[j].used = 1;
    t->e[j].k = *k;
    t->e[j].ts = -INFINITY;
    t->e[j].slot = NO_OWNER;
    t->e[j].gen = 0;
    t->n++;
    return &t->e[j];
}

void heap_push(Triage *s, double due, int32_t slot, uint32_t gen) {
    if (s->nheap == s->capheap) {
        size_t cap = s->capheap ? s->capheap * 2 : 1024;
        Due *h = realloc(s->heap, cap * sizeof(Due));
        if (!h) { snprintf(s->disabled, sizeof s->disabled, "out of memory"); return; }
        s->heap = h;
        s->capheap = cap;
    }
    size_t i = s->nheap++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (s->heap[p].due <= due) break;
        s->heap[i] = s->heap[p];
        i = p;
    }
    s->heap[i] = (Due){due, slot, gen};
}

Due heap_pop(Triage *s) {
    Due top = s->heap[0], last = s->heap[--s->nheap];
    size_t i = 0, n = s->nheap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && s->heap[c + 1].due < s->heap[c].due) c++;
        if (last.due <= s->heap[c].due) break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (n) s->heap[i] = last;
    return top;
}

void set_claim(Triage *s, uint32_t frame, uint8_t value) {
    size_t i = frame - 1;
    if (i >= s->capclaims) {
        size_t cap = s->capclaims ? s->capclaims : 1 << 16;
        while (cap <= i) cap *= 2;
        uint8_t *c = realloc(s->claims, cap);
        if (!c) { snprintf(s->disabled, sizeof s->disabled, "out of memory"); return; }
        memset(c + s->capclaims, 0, cap - s->capclaims);
        s->claims = c;
        s->capclaims = cap;
    }
    s->claims[i] = value;
    if (i + 1 > s->nclaims) s->nclaims = i + 1;
}

void disable(Triage *s, const char *why) {
    if (!s->disabled[0]) snprintf(s->disabled, sizeof s->disabled, "%s at frame %u", why, s->frame);
}

/* ---------- keys and ownership ---------- */

Cand *owner(Triage *s, const Entry *e) {
    if (e->slot == NO_OWNER) return NULL;
    Cand *c = &s->cands[e->slot];
    return (c->open && c->gen == e->gen) ? c : NULL;
}

/* Record that `slot` (or nobody, NO_OWNER) used key k at ts; two users within the window
 * spoil each other. */
Entry *touch(Triage *s, const Key *k, double ts, int32_t slot) {
    Entry *e = table_get(&s->keys, k, s->now - s->horizon);
    if (!e) { disable(s, "out of memory"); return NULL; }
    return touch_entry(s, e, ts, slot);
}

/* touch() for an entry already looked up (no growth since, so the pointer still holds). */
Entry *touch_entry(Triage *s, Entry *e, double ts, int32_t slot) {
    Cand *mine = slot == NO_OWNER ? NULL : &s->cands[slot];
    if (e->ts >= ts - s->window) {
        int same = mine && e->slot == slot && e->gen == mine->gen;
        if (!same) {
            Cand *prev = owner(s, e);
            if (prev) prev->tainted = 1;
            if (mine) mine->tainted = 1;
        }
    }
    e->ts = ts;
    e->slot = slot;
    e->gen = mine ? mine->gen : 0;
    return e;
}

Key make_key(uint8_t kind, uint8_t fam, const uint8_t *addr, uint16_t port, uint64_t h) {
    Key k;
    memset(&k, 0, sizeof k);
    k.kind = kind;
    k.fam = fam;
    k.port = port;
    k.h = h;
    memcpy(k.addr, addr, fam == 4 ? 4 : 16);
    return k;
}

void taint_address(Triage *s, uint8_t fam, const uint8_t *addr, double ts) {
    Key k = make_key(K_ADDR, fam, addr, 0, 0);
    Entry *e = table_get(&s->keys, &k, s->now - s->horizon);
    if (!e) { disable(s, "out of memory"); return; }
    e->ts = ts;
}

void table_free(Table *t) {
    free(t->e);
    free(t->spare);
    t->e = t->spare = NULL;
    t->sparecap = 0;
    t->cap = t->n = 0;
}
