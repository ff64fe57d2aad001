#ifndef DNSDOCTOR_TRIAGE_H
#define DNSDOCTOR_TRIAGE_H
/* The capture fast path: claim the clean, isolated lookups of a pcap or pcapng so the Python
 * pipeline only sees the rest (see engine/triage.py for the contract and why it is exact).
 *
 * Pass 1 (Triage.feed/finish, pcap or pcapng) decodes what the Python fast path decodes
 * (Ethernet with one 802.1Q tag, SLL, SLL2, raw IP; IPv4 without options or fragments, IPv6
 * without extension headers; UDP with a DNS port and a valid or absent checksum), parses the
 * DNS message exactly as evidence/dns_message.py does, and groups queries into candidate
 * lookups keyed by client address and first label. A candidate is claimed only when nothing
 * else touched its sockets, its (client, first label) or its client address within `window`
 * seconds of it, and it is a clean, quick, single-name success (every query sent once and
 * answered once with NOERROR).
 * Anything it cannot prove harmless (fragments, tunnels, QinQ, reordered timestamps, a second
 * interface) switches claiming off for the whole file: the Python path then does everything.
 *
 * Pass 2 (scan) walks the same pcap records and hands Python every frame that was not claimed;
 * for pcapng the Python reader skips the claimed frames itself.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <arpa/inet.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define MAX_CAPLEN (256 * 1024)
#define MAX_MODES 8
#define MAX_BUCKETS 512
#define NO_OWNER (-1)
#define MAX_KEPT_ANSWER 512

enum { K_SOCKET = 1, K_LABEL = 2, K_ADDR = 3, K_SERVER = 4 };
/* Marks in the claim map. Folded and listed claims count in the uids Python assigns after them;
 * handed-over ones (a lookup the engine still builds, from the C pass's record) do not. */
enum { CLAIM_RESPONSE = 1, CLAIM_QUERY = 2, CLAIM_LOOKUP_START = 3, CLAIM_HANDED = 4 };
static inline int counts_tx(uint8_t mark) { return mark == CLAIM_QUERY || mark == CLAIM_LOOKUP_START; }

typedef struct {
    uint8_t kind, fam;
    uint16_t port;
    uint32_t pad;
    uint8_t addr[16];
    uint64_t h;
} Key;
_Static_assert(sizeof(Key) == 32, "key_hash reads a key as four 64-bit words");

typedef struct {
    Key k;
    double ts;
    int32_t slot;
    uint32_t gen;
    uint8_t used;
} Entry;

typedef struct {
    Entry *e;
    size_t cap, n;
    Entry *spare; /* the array before the last rebuild, reused by the next one of that size */
    size_t sparecap;
} Table;

typedef struct {
    uint16_t cport, id, qtype, sport, qflags, rflags, rns, rar;
    uint8_t answered, positive, sfam, rcode, redns, rsoa;
    uint8_t saddr[16];
    double qts, rts;
    uint32_t qframe, rframe;
} Tx;

/* A claimed lookup Python still needs: an NXDOMAIN one it lists, or a half-lost one (one of A
 * and AAAA never answered) it hands to the engine, whose rules and replay then run as usual. */
enum { LISTED = 0, HANDED = 1 };
typedef struct {
    uint8_t kind, fam, caddr[16];
    int ntx;
    double start, end, last_query;
    size_t name_at;  /* its wire labels in Triage.names */
    int namelen;
    uint32_t lookup_rank, tx_rank[2]; /* claimed lookups / transactions before it (finish) */
    size_t answer_at[2]; /* handed: the answer's DNS message in Triage.names */
    uint16_t answer_len[2];
    Tx tx[2];
} Listed;

typedef struct {
    uint32_t gen;
    uint8_t open, tainted, fam, mixed_case;
    uint8_t caddr[16];
    uint8_t name[256];
    int namelen;
    uint64_t lhash;
    double start, last_ts, last_query, end;
    int ntx;
    Tx tx[2];
    /* a half-lost lookup is handed to Python with its answer, which Python parses itself */
    uint16_t answer_len[2]; /* 0: none kept (not answered, or longer than MAX_KEPT_ANSWER) */
    uint8_t answer[2][MAX_KEPT_ANSWER];
} Cand;

typedef struct {
    double due;
    int32_t slot;
    uint32_t gen;
} Due;

typedef struct {
    uint8_t fam;
    uint8_t addr[16];
    long long ntx;
    long long buckets[MAX_BUCKETS];
    long long modes[MAX_MODES], shoulders[MAX_MODES];
} Server;

#define MAX_IFACES 64

typedef struct {
    int link;
    uint32_t number; /* counted across sections, as the Python reader numbers interfaces */
    uint64_t units;
    int64_t offset;
} Iface;

typedef struct {
    PyObject_HEAD
    int link, big, rec_len;
    double units, window, gap, min_rtt, per_decade, slow;
    /* How long a key is remembered: an open candidate may have started up to gap + slow before
     * its last packet and finalizes up to window after it, and an address taint up to window
     * before its start still counts; entries older than that can go when the table grows. */
    double horizon;
    int nmodes;
    double centres[MAX_MODES];
    uint8_t ports[65536], tunnels[65536];
    Table keys, servers;
    Cand *cands;
    int32_t ncands, capcands, *freelist, nfree;
    Due *heap;
    size_t nheap, capheap;
    Server *srv;
    size_t nsrv, capsrv;
    uint8_t *claims;
    size_t nclaims, capclaims;
    uint32_t frame;
    double now;
    int have_iface;
    size_t iface_len;
    uint8_t iface[12]; /* the one interface DNS was seen on */
    uint32_t iface_number; /* pcapng: the interface of the frame being decoded */
    int64_t dns_iface; /* its number as the Python reader gives it; -1: SLL, numbered there */
    Iface section[MAX_IFACES]; /* pcapng: the current section's interfaces */
    int nsection;
    uint32_t ninterfaces;
    char disabled[160];
    long long lookups, transactions;
    int negatives; /* claim NXDOMAIN lookups too (listed.c keeps what the report lists) */
    Listed *listed;
    size_t nlisted, caplisted, nnegative;
    uint8_t *names;
    size_t nnames, capnames;
    uint32_t first_claim;
    double first_claim_ts, last_claim_ts;
} Triage;


/* A decoded DNS message: what the claim decision needs, parsed as evidence/dns_message.py does. */
typedef struct {
    int ok;            /* parsed without any damage */
    uint16_t id, flags, qd, an, ns, ar;
    int rcode;         /* with the EDNS extended bits */
    int has_question, plain, nlabels;
    int namelen, first_label_len;
    uint16_t qtype, qclass;
    int addresses;     /* A and AAAA records in the answer section */
    int edns, soa;     /* an OPT record in the additional section, an SOA in authority */
    int upper;         /* the question name has upper-case letters (0x20 mixing) */
    uint8_t name[256]; /* lower-cased length-prefixed wire labels, without the root; last, so
                          dns_parse clears everything before it */
} DnsInfo;

typedef struct {
    uint8_t fam;
    const uint8_t *src, *dst;
    uint16_t sport, dport;
    const uint8_t *payload;
    size_t len;
} Datagram;

/* Integers on the wire and in file headers: big-endian, or in the file's byte order. */
static inline uint16_t be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint16_t rd16(const uint8_t *p, int big) {
    return big ? be16(p) : (uint16_t)((p[1] << 8) | p[0]);
}
static inline uint32_t rd32(const uint8_t *p, int big) {
    return big ? ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3]
               : ((uint32_t)p[3] << 24) | ((uint32_t)p[2] << 16) | ((uint32_t)p[1] << 8) | p[0];
}

/* tables.c */
Entry *table_get(Table *t, const Key *k, double keep_after);
Entry *table_find(Table *t, const Key *k);
void heap_push(Triage *s, double due, int32_t slot, uint32_t gen);
Due heap_pop(Triage *s);
void set_claim(Triage *s, uint32_t frame, uint8_t value);
void disable(Triage *s, const char *why);
Cand *owner(Triage *s, const Entry *e);
Entry *touch(Triage *s, const Key *k, double ts, int32_t slot);
Entry *touch_entry(Triage *s, Entry *e, double ts, int32_t slot);
int table_reserve(Table *t, size_t extra, double keep_after);
Key make_key(uint8_t kind, uint8_t fam, const uint8_t *addr, uint16_t port, uint64_t h);
void taint_address(Triage *s, uint8_t fam, const uint8_t *addr, double ts);
void table_free(Table *t);

/* dns.c */
void dns_parse(const uint8_t *buf, size_t n, DnsInfo *out);
uint64_t label_hash(const DnsInfo *m);

/* lookups.c */
void on_datagram(Triage *s, const Datagram *d, double ts);
void expire(Triage *s, double ts);
void finalize_all(Triage *s);

/* listed.c */
int list_lookup(Triage *s, const Cand *c, uint8_t kind);
int rank_listed(Triage *s);
PyObject *listed_slice(Triage *s, Py_ssize_t start, Py_ssize_t stop);

/* decode.c */
void on_record(Triage *s, const uint8_t *data, size_t n, double ts);
int link_supported(int link);

/* pcapng.c */
size_t pcapng_feed(Triage *s, const uint8_t *buf, size_t n);

#endif
