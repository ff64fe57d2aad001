/* The claimed NXDOMAIN lookups. The report lists every one of them (they are notable), so pass 1
 * keeps what Python needs to build each listed Lookup without reading its frames again, and the
 * counts of claimed lookups and transactions before each, from which Python numbers them as
 * the Python path would have (engine/triage.py, api.py). */
#include "triage.h"

static int reserve(Triage *s, size_t more) {
    if (s->nnames + more <= s->capnames) return 0;
    size_t cap = s->capnames ? s->capnames : 1 << 16;
    while (cap < s->nnames + more) cap *= 2;
    uint8_t *n = realloc(s->names, cap);
    if (!n) return -1;
    s->names = n;
    s->capnames = cap;
    return 0;
}

static size_t keep(Triage *s, const uint8_t *bytes, size_t n) {
    size_t at = s->nnames;
    memcpy(s->names + at, bytes, n);
    s->nnames += n;
    return at;
}

int list_lookup(Triage *s, const Cand *c, uint8_t kind) {
    if (s->nlisted == s->caplisted) {
        size_t cap = s->caplisted ? s->caplisted * 2 : 1024;
        Listed *l = realloc(s->listed, cap * sizeof(Listed));
        if (!l) return -1;
        s->listed = l;
        s->caplisted = cap;
    }
    size_t answers = kind == HANDED ? (size_t)c->answer_len[0] + c->answer_len[1] : 0;
    if (reserve(s, (size_t)c->namelen + answers) < 0) return -1;
    Listed *l = &s->listed[s->nlisted++];
    memset(l, 0, sizeof *l);
    l->kind = kind;
    s->nnegative += kind == LISTED;
    l->fam = c->fam;
    memcpy(l->caddr, c->caddr, 16);
    l->ntx = c->ntx;
    l->start = c->start;
    l->end = c->end;
    l->last_query = c->last_query;
    l->namelen = c->namelen;
    l->name_at = keep(s, c->name, (size_t)c->namelen);
    for (int i = 0; kind == HANDED && i < c->ntx; i++) {
        l->answer_len[i] = c->answer_len[i];
        l->answer_at[i] = keep(s, c->answer[i], c->answer_len[i]);
    }
    memcpy(l->tx, c->tx, sizeof l->tx);
    return 0;
}

static int by_first_frame(const void *a, const void *b) {
    uint32_t x = ((const Listed *)a)->tx[0].qframe, y = ((const Listed *)b)->tx[0].qframe;
    return (x > y) - (x < y);
}

typedef struct {
    uint32_t frame;
    uint32_t *rank;
    int lookup; /* 1: also the lookup's first query */
} Mark;

static int by_frame(const void *a, const void *b) {
    uint32_t x = ((const Mark *)a)->frame, y = ((const Mark *)b)->frame;
    return (x > y) - (x < y);
}

/* Sort by first query and count the claims before each query, in one walk of the claim map. */
int rank_listed(Triage *s) {
    if (!s->nlisted) return 0;
    qsort(s->listed, s->nlisted, sizeof(Listed), by_first_frame);
    Mark *marks = malloc(2 * s->nlisted * sizeof(Mark));
    if (!marks) return -1;
    size_t n = 0;
    for (size_t i = 0; i < s->nlisted; i++)
        for (int t = 0; t < s->listed[i].ntx; t++)
            marks[n++] = (Mark){s->listed[i].tx[t].qframe, &s->listed[i].tx_rank[t], t == 0};
    qsort(marks, n, sizeof(Mark), by_frame);
    uint32_t txs = 0, lookups = 0, frame = 1;
    for (size_t i = 0; i < n; i++) {
        for (; frame < marks[i].frame; frame++) {
            uint8_t mark = frame - 1 < s->nclaims ? s->claims[frame - 1] : 0;
            txs += counts_tx(mark);
            lookups += mark == CLAIM_LOOKUP_START;
        }
        *marks[i].rank = txs;
        if (marks[i].lookup) {
            Listed *l = (Listed *)((char *)marks[i].rank - offsetof(Listed, tx_rank));
            l->lookup_rank = lookups;
        }
    }
    free(marks);
    return 0;
}

static PyObject *address(uint8_t fam, const uint8_t *addr) {
    char text[64];
    if (fam == 4)
        snprintf(text, sizeof text, "%u.%u.%u.%u", addr[0], addr[1], addr[2], addr[3]);
    else if (!inet_ntop(AF_INET6, addr, text, sizeof text))
        return NULL;
    return PyUnicode_FromString(text);
}

static PyObject *tx_tuple(const Triage *s, const Listed *l, int i) {
    const Tx *t = &l->tx[i];
    PyObject *server = address(t->sfam, t->saddr);
    if (!server) return NULL;
    uint32_t rframe = t->answered ? t->rframe : 0;
    return Py_BuildValue("(IIHHHHNHdIdHHHOOy#)", t->qframe, l->tx_rank[i], t->cport, t->id,
                         t->qtype, t->qflags, server, t->sport, t->qts, rframe, t->rts, t->rflags,
                         t->rns, t->rar, t->redns ? Py_True : Py_False, t->rsoa ? Py_True : Py_False,
                         (const char *)s->names + l->answer_at[i], (Py_ssize_t)l->answer_len[i]);
}

/* listed(start, stop): (handed, lookup rank, client, start, end, last query, wire name, txs);
 * a transaction's response frame is 0 when it was never answered; a handed lookup's answer
 * comes as its DNS message (b"" for listed ones). */
PyObject *listed_slice(Triage *s, Py_ssize_t start, Py_ssize_t stop) {
    if (start < 0) start = 0;
    if (stop > (Py_ssize_t)s->nlisted) stop = (Py_ssize_t)s->nlisted;
    PyObject *out = PyList_New(0);
    for (Py_ssize_t i = start; out && i < stop; i++) {
        const Listed *l = &s->listed[i];
        PyObject *txs = PyTuple_New(l->ntx), *item = NULL;
        for (int t = 0; txs && t < l->ntx; t++) {
            PyObject *tx = tx_tuple(s, l, t);
            if (!tx) Py_CLEAR(txs);
            else PyTuple_SET_ITEM(txs, t, tx);
        }
        PyObject *client = txs ? address(l->fam, l->caddr) : NULL;
        if (client)
            item = Py_BuildValue("(OINdddy#N)", l->kind == HANDED ? Py_True : Py_False,
                                 l->lookup_rank, client, l->start, l->end,
                                 l->last_query, (const char *)s->names + l->name_at,
                                 (Py_ssize_t)l->namelen, txs);
        else
            Py_XDECREF(txs);
        if (!item || PyList_Append(out, item) < 0) Py_CLEAR(out);
        Py_XDECREF(item);
    }
    return out;
}
