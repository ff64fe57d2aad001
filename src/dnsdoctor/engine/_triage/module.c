/* The Python face of the triage pass: Triage (pass 1) and scan (pass 2). */
#include "triage.h"

static int fill_ports(uint8_t *table, PyObject *seq) {
    PyObject *it = PyObject_GetIter(seq);
    if (!it) return -1;
    PyObject *item;
    while ((item = PyIter_Next(it))) {
        long port = PyLong_AsLong(item);
        Py_DECREF(item);
        if (port < 0 || port > 65535) {
            Py_DECREF(it);
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "port out of range");
            return -1;
        }
        table[port] = 1;
    }
    Py_DECREF(it);
    return PyErr_Occurred() ? -1 : 0;
}

static int Triage_init(Triage *s, PyObject *args, PyObject *kw) {
    (void)kw;
    PyObject *ports, *tunnels, *centres;
    if (!PyArg_ParseTuple(args, "ipdiOOdddddOp", &s->link, &s->big, &s->units, &s->rec_len, &ports,
                          &tunnels, &s->window, &s->gap, &s->slow, &s->min_rtt, &s->per_decade,
                          &centres, &s->negatives))
        return -1;
    if (fill_ports(s->ports, ports) < 0 || fill_ports(s->tunnels, tunnels) < 0) return -1;
    Py_ssize_t n = PySequence_Size(centres);
    if (n < 0 || n > MAX_MODES) {
        PyErr_SetString(PyExc_ValueError, "too many timeout modes");
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *c = PySequence_GetItem(centres, i);
        s->centres[i] = c ? PyFloat_AsDouble(c) : -1;
        Py_XDECREF(c);
        if (PyErr_Occurred()) return -1;
    }
    s->nmodes = (int)n;
    s->now = -INFINITY;
    s->horizon = 2 * s->window + s->gap + s->slow + 1;
    if (s->rec_len && !link_supported(s->link))  /* rec_len 0: pcapng, links per interface */
        disable(s, "a link type the fast path does not read");
    return 0;
}

static void Triage_dealloc(Triage *s) {
    table_free(&s->keys);
    table_free(&s->servers);
    free(s->cands);
    free(s->freelist);
    free(s->heap);
    free(s->srv);
    free(s->claims);
    free(s->listed);
    free(s->names);
    Py_TYPE(s)->tp_free((PyObject *)s);
}

typedef struct {
    uint32_t sec, frac, caplen, origlen;
} Record;

/* The classic pcap record at pos: 0 when it is whole in buf, 1 when it is not (read more),
 * 2 when it claims an absurd length (the Python reader reports the file cut there). */
static int pcap_record(const uint8_t *buf, size_t n, size_t pos, size_t rec, int big, Record *r) {
    if (pos + rec > n) return 1;
    r->sec = rd32(buf + pos, big);
    r->frac = rd32(buf + pos + 4, big);
    r->caplen = rd32(buf + pos + 8, big);
    r->origlen = rd32(buf + pos + 12, big);
    if (r->caplen > MAX_CAPLEN) return 2;
    return pos + rec + r->caplen > n;
}

/* Process the whole records in buffer: the bytes consumed, -1 once claiming is off, -2 at a
 * record with an absurd length (the file ends there for the Python reader too). */
static PyObject *Triage_feed(Triage *s, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
    const uint8_t *buf = view.buf;
    size_t n = (size_t)view.len, pos = 0, rec = (size_t)s->rec_len;
    int state = 0;
    Record r;
    Py_BEGIN_ALLOW_THREADS
    if (!rec) pos = pcapng_feed(s, buf, n);
    while (rec && !s->disabled[0] && !(state = pcap_record(buf, n, pos, rec, s->big, &r))) {
        on_record(s, buf + pos + rec, r.caplen, (double)r.sec + (double)r.frac / s->units);
        pos += rec + r.caplen;
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    return PyLong_FromLongLong(s->disabled[0] ? -1 : state == 2 ? -2 : (long long)pos);
}

static PyObject *server_name(const Server *v) {
    char text[64];
    if (v->fam == 4)
        snprintf(text, sizeof text, "%u.%u.%u.%u", v->addr[0], v->addr[1], v->addr[2], v->addr[3]);
    else if (!inet_ntop(AF_INET6, v->addr, text, sizeof text))
        return NULL;
    return PyUnicode_FromString(text);
}

static PyObject *server_record(const Triage *s, const Server *v) {
    PyObject *buckets = PyDict_New(), *modes = PyList_New(s->nmodes), *shoulders = PyList_New(s->nmodes);
    if (!buckets || !modes || !shoulders) goto fail;
    for (int i = 0; i < MAX_BUCKETS; i++) {
        if (!v->buckets[i]) continue;
        PyObject *k = PyLong_FromLong(i), *c = PyLong_FromLongLong(v->buckets[i]);
        int bad = !k || !c || PyDict_SetItem(buckets, k, c) < 0;
        Py_XDECREF(k);
        Py_XDECREF(c);
        if (bad) goto fail;
    }
    for (int i = 0; i < s->nmodes; i++) {
        PyList_SET_ITEM(modes, i, PyLong_FromLongLong(v->modes[i]));
        PyList_SET_ITEM(shoulders, i, PyLong_FromLongLong(v->shoulders[i]));
    }
    return Py_BuildValue("(LNNN)", v->ntx, buckets, modes, shoulders);
fail:
    Py_XDECREF(buckets);
    Py_XDECREF(modes);
    Py_XDECREF(shoulders);
    return NULL;
}

static PyObject *Triage_finish(Triage *s, PyObject *unused) {
    (void)unused;
    if (!s->disabled[0]) finalize_all(s);
    if (!s->disabled[0] && rank_listed(s) < 0) disable(s, "out of memory");
    if (s->disabled[0])
        return Py_BuildValue("{s:s}", "disabled", s->disabled);
    PyObject *servers = PyDict_New();
    if (!servers) return NULL;
    for (size_t i = 0; i < s->nsrv; i++) {
        PyObject *name = server_name(&s->srv[i]), *rec = name ? server_record(s, &s->srv[i]) : NULL;
        int bad = !rec || PyDict_SetItem(servers, name, rec) < 0;
        Py_XDECREF(name);
        Py_XDECREF(rec);
        if (bad) { Py_DECREF(servers); return NULL; }
    }
    PyObject *first = s->first_claim ? Py_BuildValue("(Id)", s->first_claim, s->first_claim_ts)
                                     : (Py_INCREF(Py_None), Py_None);
    return Py_BuildValue("{s:O,s:y#,s:I,s:L,s:L,s:n,s:n,s:L,s:N,s:d,s:N}", "disabled", Py_None, "claims",
                         s->claims ? (const char *)s->claims : "", (Py_ssize_t)s->nclaims, "frames", s->frame,
                         "lookups", s->lookups, "transactions", s->transactions, "records",
                         (Py_ssize_t)s->nlisted, "listed", (Py_ssize_t)s->nnegative, "interface", (long long)s->dns_iface, "first_claim", first, "last_claim_ts", s->last_claim_ts,
                         "servers", servers);
}

static PyObject *Triage_listed(Triage *s, PyObject *args) {
    Py_ssize_t start, stop;
    if (!PyArg_ParseTuple(args, "nn", &start, &stop)) return NULL;
    return listed_slice(s, start, stop);
}

/* scan(buf, pos, frame, claims, big, units, rec_len, txs, lookups): the unclaimed whole records
 * from pos on, as (pos, ts, data, cut, frame, claimed txs before it, claimed lookups before it);
 * stops at the first record that is not whole in buf or claims an absurd length. */
static PyObject *scan(PyObject *mod, PyObject *args) {
    (void)mod;
    Py_buffer view, marks;
    Py_ssize_t start;
    unsigned int frame;
    int big, rec_len;
    double units;
    long long txs, lookups;
    if (!PyArg_ParseTuple(args, "y*nIy*pdiLL", &view, &start, &frame, &marks, &big, &units,
                          &rec_len, &txs, &lookups))
        return NULL;
    const uint8_t *buf = view.buf, *claims = marks.buf;
    size_t n = (size_t)view.len, pos = (size_t)start, rec = (size_t)rec_len;
    size_t nclaims = (size_t)marks.len;
    PyObject *out = PyList_New(0), *last = Py_None;
    double last_ts = 0, first_ts = 0;
    int have_last = 0;
    Record r;
    while (out && !pcap_record(buf, n, pos, rec, big, &r)) {
        uint32_t caplen = r.caplen;
        frame++;
        last_ts = (double)r.sec + (double)r.frac / units;
        if (!have_last) first_ts = last_ts;
        have_last = 1;
        uint8_t mark = frame - 1 < nclaims ? claims[frame - 1] : 0;
        if (mark) {
            txs += counts_tx(mark);
            lookups += mark == CLAIM_LOOKUP_START;
        } else {
            PyObject *item = Py_BuildValue("(ndy#OILL)", (Py_ssize_t)pos, last_ts,
                                           (const char *)buf + pos + rec, (Py_ssize_t)caplen,
                                           caplen < r.origlen ? Py_True : Py_False, frame, txs, lookups);
            if (!item || PyList_Append(out, item) < 0) Py_CLEAR(out);
            Py_XDECREF(item);
        }
        pos += rec + caplen;
    }
    PyBuffer_Release(&view);
    PyBuffer_Release(&marks);
    if (!out) return NULL;
    PyObject *first = Py_None;
    if (have_last) {
        first = PyFloat_FromDouble(first_ts);
        last = PyFloat_FromDouble(last_ts);
    } else {
        Py_INCREF(first);
        Py_INCREF(last);
    }
    return Py_BuildValue("(NnILLNN)", out, (Py_ssize_t)pos, frame, txs, lookups, first, last);
}

static PyMethodDef Triage_methods[] = {
    {"feed", (PyCFunction)Triage_feed, METH_O, "Process the whole records in a buffer."},
    {"finish", (PyCFunction)Triage_finish, METH_NOARGS, "Claims and folded aggregates."},
    {"listed", (PyCFunction)Triage_listed, METH_VARARGS, "The claimed NXDOMAIN lookups start:stop."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject TriageType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "dnsdoctor.engine._triage.Triage",
    .tp_basicsize = sizeof(Triage),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Triage_init,
    .tp_dealloc = (destructor)Triage_dealloc,
    .tp_methods = Triage_methods,
};

static PyMethodDef module_methods[] = {
    {"scan", scan, METH_VARARGS, "The unclaimed whole records of a pcap buffer."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_triage", NULL, -1, module_methods};

PyMODINIT_FUNC PyInit__triage(void) {
    if (PyType_Ready(&TriageType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    Py_INCREF(&TriageType);
    if (PyModule_AddObject(m, "Triage", (PyObject *)&TriageType) < 0) {
        Py_DECREF(&TriageType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
