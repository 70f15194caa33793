/* SPDX-License-Identifier: Apache-2.0 */
/* The state-sync channel (sync.h).
 *
 * Wire format. Every datagram is a 28-byte header, sent in clear and authenticated as AEAD
 * associated data, then the sealed message and its 16-byte Poly1305 tag:
 *   u8 version (1), u8 message type, u16 zero,
 *   u64 sender boot id, u64 receiver boot id (as the sender knows it, 0: none), u64 counter.
 * Messages (all numbers big-endian):
 *   HELLO: u32 capabilities, u32 base, u32 drops, u32 zero, u64 challenge, u64 response
 *   DATA:  u32 seq, u32 base, u32 drops, then records: u16 type, u16 length, value
 *   ACK:   u32 cumulative (next seq expected), u32 zero, u64 selective (bit i: seq cum+1+i held)
 * 'base' is the sender's oldest unacknowledged seq: a receiver waiting for an older one learns
 * that the sender gave it up. 'drops' changes whenever the sender dropped records the receiver
 * will never get; a receiver that sees it change asks for a bulk resync.
 *
 * Keys and nonces. Each node seals with key K(b) = HKDF-SHA256(ikm = secret, salt =
 * "hnvgw-sync v1", info = "hnvgw-sync v1 datagram key" || b), b its own boot id: a random 64-bit
 * number drawn by sync_create(). The nonce is 32 zero bits and a 64-bit counter that starts at 1
 * and grows with every datagram sealed (a resent batch is sealed again under a new counter). So:
 * - under one key the nonce never repeats: the counter never wraps, and only one process (one
 *   boot) ever holds that key;
 * - a restarted node counts from 1 again but under a new key: a (key, nonce) pair could repeat
 *   only if two boots drew the same 64-bit id, a 2^-64 chance per pair of boots. (A fixed key per
 *   direction with a random 32-bit sender id in the nonce, as first planned, would repeat a
 *   (key, nonce) pair, which breaks ChaCha20-Poly1305 outright, after a 2^-32 chance per pair
 *   of boots: some in a thousand over a fleet's restarts.)
 * - the two directions use different keys, since the two nodes' boot ids differ; a datagram that
 *   names our own boot id as its sender (reflected back at us) is refused before decryption.
 * The receiver derives K(b) from the sender boot id in the header, so boot ids need no exchange
 * of keys, only of freshness:
 * - Replay: for the peer boot it adopted, the receiver keeps the highest counter accepted and a
 *   64-bit bitmap below it, and refuses a counter seen or older than that window.
 * - Adoption: an authentic datagram of an unknown boot may be old (recorded from a boot that
 *   has since restarted). It only earns a HELLO in reply (at most one per rto_ms). A boot is
 *   adopted when its HELLO echoes, as 'response', the random 'challenge' our HELLOs carry, which
 *   we draw anew at every adoption: only a live peer process can do that. Each side adopts the
 *   other this way; DATA and ACK are accepted only from the adopted boot and only when they name
 *   our current boot as their receiver.
 *
 * Reliability. Batches carry consecutive seqs; at most SYNC_WINDOW past the oldest unacked are
 * sent; the receiver delivers in seq order and buffers up to SYNC_WINDOW ahead. An ACK is sent
 * once per loop iteration that received DATA. The resend timer is armed only for the earliest
 * deadline of an unacked batch. */
#include "gateway/cluster/sync.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/random.h>

#include <openssl/evp.h>
#include <openssl/kdf.h>

#define SYNC_VERSION   1
#define SYNC_DGRAM_MAX 1400 /* Fits a 1500-byte MTU with IPv6 and UDP headers. */
#define SYNC_HDR_LEN   28
#define SYNC_TAG_LEN   16
#define SYNC_KEY_LEN   32
#define SYNC_PLAIN_MAX (SYNC_DGRAM_MAX - SYNC_HDR_LEN - SYNC_TAG_LEN)
#define SYNC_DATA_HDR  12
#define SYNC_BATCH_MAX (SYNC_PLAIN_MAX - SYNC_DATA_HDR) /* Record bytes of one batch. */
#define SYNC_HELLO_LEN 32
#define SYNC_ACK_LEN   16
#define SYNC_RX_BURST  64 /* Datagrams read per I/O event (the source fires again if more). */

enum sync_msg {
    SYNC_MSG_HELLO = 1,
    SYNC_MSG_DATA = 2,
    SYNC_MSG_ACK = 3,
};

/* The channel's own records. */
enum {
    SYNC_REC_BULK_REQUEST = SYNC_REC_INTERNAL + 1, /* Send me everything. */
    SYNC_REC_BULK_BEGIN,                           /* Everything follows. */
    SYNC_REC_BULK_DONE,                            /* That was everything. */
};

/* A batch of records: the open one, queued, in flight, or held by the receiver. */
struct sync_batch {
    uint32_t seq;                 /* Its sequence number. */
    uint16_t len;                 /* Record bytes in 'data'. */
    uint16_t n_records;           /* Client records in it (not the channel's own). */
    uint8_t tries;                /* Transmissions so far. */
    bool closed;                  /* No more records go in (it may be sent). */
    bool done;                    /* Acknowledged or given up: freed when the base passes it. */
    uint32_t rto_ms;              /* Current resend timeout. */
    uint64_t first_us;            /* First transmission (round-trip samples). */
    uint64_t deadline;            /* Next resend, monotonic microseconds. */
    struct sync_batch *next_free; /* Free list link. */
    uint8_t data[SYNC_BATCH_MAX]; /* Records. */
};

/* The replay window of the adopted peer boot. */
struct sync_replay {
    uint64_t top;    /* Highest counter accepted. */
    uint64_t bitmap; /* Bit i: counter top - i accepted. */
};

struct sync {
    struct sync_conf conf;  /* As given, defaults filled in. */
    sd_event *event;        /* The daemon's loop (borrowed). */
    int fd;                 /* The UDP socket. */
    sd_event_source *io;    /* Readable socket. */
    sd_event_source *hello; /* HELLO and liveness timer (periodic, see sync.h). */
    sd_event_source *rto;   /* Resend timer, enabled only while batches wait for an ACK. */
    sd_event_source *pump;  /* Defer: sends what this iteration queued, enabled on demand. */
    EVP_CIPHER_CTX *aead;   /* Reused for every seal and open. */

    uint64_t boot;                /* Our boot id. */
    uint8_t tx_key[SYNC_KEY_LEN]; /* K(boot). */
    uint64_t tx_counter;          /* Last nonce counter used. */
    uint64_t challenge;           /* What the peer must echo to be adopted. */

    uint64_t peer_boot;              /* The adopted peer boot, 0: none. */
    uint8_t peer_key[SYNC_KEY_LEN];  /* K(peer_boot). */
    struct sync_replay replay;       /* Its replay window. */
    enum sync_peer_state peer_state; /* Liveness. */
    uint64_t last_rx_us;             /* Last authentic datagram of the peer addressed to us. */
    uint64_t peer_challenge;         /* The challenge of the latest HELLO of the peer or a
                                      * candidate: our HELLOs echo it. */
    uint64_t cand_boot;              /* The last candidate boot whose key is cached. */
    uint8_t cand_key[SYNC_KEY_LEN];  /* K(cand_boot). */
    uint64_t reply_us;               /* Last HELLO sent in reply (rate limit). */
    uint32_t peer_caps;              /* Capabilities of the peer's last HELLO. */
    uint32_t srtt_us;                /* Smoothed round trip. */

    struct sync_batch *q[SYNC_QUEUE]; /* Outgoing batches, by seq % SYNC_QUEUE. */
    uint32_t tx_base;                 /* Oldest batch not done. */
    uint32_t tx_sent;                 /* First batch never sent. */
    uint32_t tx_next;                 /* Next seq to give; tx_next - 1 may be open. */
    uint32_t tx_drops;                /* Changes when records were dropped (see the top). */
    struct sync_batch *free_batches;  /* Free list. */

    uint32_t rx_next;                       /* Next seq to deliver. */
    uint32_t rx_peer_drops;                 /* The peer's 'drops' last seen. */
    struct sync_batch *rx_buf[SYNC_WINDOW]; /* Held out-of-order batches, by seq % WINDOW. */
    bool ack_due;                           /* DATA arrived: ACK at the end of the iteration. */

    enum sync_bulk_state bulk_in;  /* The bulk we receive. */
    enum sync_bulk_state bulk_out; /* The bulk we send. */
    uint64_t bulk_in_records;      /* Its records so far. */
    uint64_t bulk_out_records;     /* Its records so far. */
    bool bulk_in_again;            /* Records were lost during it: ask again after it. */
    bool fill_done[SYNC_CLIENTS];  /* Client finished its walk for the bulk we send. */

    struct sync_client clients[SYNC_CLIENTS]; /* Registered clients. */
    unsigned n_clients;                       /* Entries used. */

    uint64_t counter[SYNC_N_COUNTERS]; /* enum sync_counter. */
    uint64_t drop[SYNC_N_DROPS];       /* enum sync_drop. */

    sync_tx_hook *tx_hook; /* Tests: loss injection. */
    void *tx_hook_aux;     /* Its argument. */
};

static void pump_kick(struct sync *s);
static void request_bulk(struct sync *s);

/* ---- Helpers ---- */

static uint64_t
now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Serial-number order of 32-bit seqs (RFC 1982): a before b. */
static bool
seq_lt(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}

static void
put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

static void
put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

static uint16_t
get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
    return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static uint64_t
get64(const uint8_t *p)
{
    return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* A random non-zero 64-bit number. */
static uint64_t
random64(void)
{
    uint64_t v = 0;

    while (v == 0) {
        if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v) {
            v = 0; /* Interrupted before the pool was ready: try again. */
        }
    }
    return v;
}

/* K(boot) into 'key' (see the top of the file). */
static bool
derive_key(const struct sync *s, uint64_t boot, uint8_t key[SYNC_KEY_LEN])
{
    static const char salt[] = "hnvgw-sync v1";
    static const char label[] = "hnvgw-sync v1 datagram key";
    uint8_t info[sizeof label - 1 + 8];
    size_t len = SYNC_KEY_LEN;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
    bool ok;

    memcpy(info, label, sizeof label - 1);
    put64(info + sizeof label - 1, boot);
    ok = ctx && EVP_PKEY_derive_init(ctx) == 1 &&
         EVP_PKEY_CTX_set_hkdf_md(ctx, EVP_sha256()) == 1 &&
         EVP_PKEY_CTX_set1_hkdf_salt(ctx, (const unsigned char *)salt, sizeof salt - 1) == 1 &&
         EVP_PKEY_CTX_set1_hkdf_key(ctx, s->conf.secret, (int)s->conf.secret_len) == 1 &&
         EVP_PKEY_CTX_add1_hkdf_info(ctx, info, sizeof info) == 1 &&
         EVP_PKEY_derive(ctx, key, &len) == 1 && len == SYNC_KEY_LEN;
    EVP_PKEY_CTX_free(ctx);
    return ok;
}

/* Seals ('enc') or opens 'len' bytes of 'in' into 'out' under 'key' and 'counter', with 'aad'
 * authenticated; 'tag' is written (seal) or checked (open). False on any failure. */
static bool
aead(struct sync *s, bool enc, const uint8_t *key, uint64_t counter, const uint8_t *aad,
     size_t aad_len, const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag)
{
    EVP_CIPHER_CTX *c = s->aead;
    uint8_t nonce[12] = {0};
    int n;

    put64(nonce + 4, counter);
    if (EVP_CipherInit_ex(c, EVP_chacha20_poly1305(), NULL, NULL, NULL, enc) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, sizeof nonce, NULL) != 1 ||
        EVP_CipherInit_ex(c, NULL, NULL, key, nonce, enc) != 1) {
        return false;
    }
    if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, SYNC_TAG_LEN, tag) != 1) {
        return false;
    }
    if (EVP_CipherUpdate(c, NULL, &n, aad, (int)aad_len) != 1 ||
        (len && EVP_CipherUpdate(c, out, &n, in, (int)len) != 1) ||
        EVP_CipherFinal_ex(c, out + len, &n) != 1) {
        return false;
    }
    return !enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, SYNC_TAG_LEN, tag) == 1;
}

static bool
replay_fresh(const struct sync_replay *r, uint64_t c)
{
    if (c > r->top) {
        return true;
    }
    return r->top - c < 64 && !((r->bitmap >> (r->top - c)) & 1);
}

static void
replay_accept(struct sync_replay *r, uint64_t c)
{
    if (c > r->top) {
        uint64_t d = c - r->top;
        r->bitmap = d >= 64 ? 1 : (r->bitmap << d) | 1;
        r->top = c;
    } else {
        r->bitmap |= 1ull << (r->top - c);
    }
}

static bool
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family) {
        return false;
    }
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
    return x->sin6_port == y->sin6_port && !memcmp(&x->sin6_addr, &y->sin6_addr, 16);
}

static socklen_t
addr_len(const struct sockaddr_storage *a)
{
    return a->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

/* ---- Batches ---- */

static struct sync_batch *
batch_alloc(struct sync *s)
{
    struct sync_batch *b = s->free_batches;

    if (b) {
        s->free_batches = b->next_free;
    } else {
        b = malloc(sizeof *b);
        if (!b) {
            return NULL;
        }
    }
    memset(b, 0, offsetof(struct sync_batch, data));
    return b;
}

static void
batch_free(struct sync *s, struct sync_batch *b)
{
    if (b) {
        b->next_free = s->free_batches;
        s->free_batches = b;
    }
}

/* Frees the done batches at the base. */
static void
tx_advance(struct sync *s)
{
    while (s->tx_base != s->tx_sent) {
        struct sync_batch *b = s->q[s->tx_base % SYNC_QUEUE];
        if (!b->done) {
            break;
        }
        batch_free(s, b);
        s->q[s->tx_base % SYNC_QUEUE] = NULL;
        s->tx_base++;
    }
}

/* Drops every outgoing batch, sent or not (the peer restarted or went down): their records are
 * lost, and 'drops' changes so that the peer asks for a bulk resync. */
static void
tx_drop_all(struct sync *s)
{
    bool any = false;

    for (uint32_t seq = s->tx_base; seq != s->tx_next; seq++) {
        struct sync_batch *b = s->q[seq % SYNC_QUEUE];

        if (!b->done) {
            /* A batch never sent is no batch lost; its records are. */
            s->counter[SYNC_batches_lost] += seq_lt(seq, s->tx_sent);
            s->counter[SYNC_records_lost] += b->n_records;
            any = true;
        }
        batch_free(s, b);
        s->q[seq % SYNC_QUEUE] = NULL;
    }
    s->tx_base = s->tx_sent = s->tx_next;
    if (any) {
        s->tx_drops++;
    }
}

static void
rx_clear(struct sync *s)
{
    for (unsigned i = 0; i < SYNC_WINDOW; i++) {
        batch_free(s, s->rx_buf[i]);
        s->rx_buf[i] = NULL;
    }
}

/* Appends a record to the open batch (opening one as needed). 'client' counts it as a client
 * record. Returns 0 or ENOBUFS. */
static int
tx_append(struct sync *s, uint16_t type, const void *val, size_t len, bool client)
{
    struct sync_batch *b = s->tx_next != s->tx_sent ? s->q[(s->tx_next - 1) % SYNC_QUEUE] : NULL;

    if (b && (b->closed || b->len + 4 + len > SYNC_BATCH_MAX)) {
        b->closed = true;
        b = NULL;
    }
    if (!b) {
        if (s->tx_next - s->tx_base >= SYNC_QUEUE || !(b = batch_alloc(s))) {
            if (client) {
                s->counter[SYNC_records_refused]++;
            }
            s->tx_drops++;
            return ENOBUFS;
        }
        b->seq = s->tx_next++;
        s->q[b->seq % SYNC_QUEUE] = b;
    }
    put16(b->data + b->len, type);
    put16(b->data + b->len + 2, (uint16_t)len);
    if (len) {
        memcpy(b->data + b->len + 4, val, len);
    }
    b->len = (uint16_t)(b->len + 4 + len);
    if (client) {
        b->n_records++;
        s->counter[SYNC_records_queued]++;
    }
    pump_kick(s);
    return 0;
}

/* ---- Sending ---- */

/* Seals message 'type' with 'len' bytes of 'plain' and sends it. */
static void
send_msg(struct sync *s, enum sync_msg type, uint64_t to_boot, const uint8_t *plain, size_t len)
{
    uint8_t dgram[SYNC_DGRAM_MAX];
    ssize_t n;

    dgram[0] = SYNC_VERSION;
    dgram[1] = (uint8_t)type;
    put16(dgram + 2, 0);
    put64(dgram + 4, s->boot);
    put64(dgram + 12, to_boot);
    put64(dgram + 20, ++s->tx_counter);
    if (!aead(s, true, s->tx_key, s->tx_counter, dgram, SYNC_HDR_LEN, plain, len,
              dgram + SYNC_HDR_LEN, dgram + SYNC_HDR_LEN + len)) {
        s->counter[SYNC_send_errors]++;
        return;
    }
    len += SYNC_HDR_LEN + SYNC_TAG_LEN;
    if (s->tx_hook && !s->tx_hook(s->tx_hook_aux, dgram, len)) {
        return;
    }
    n = sendto(s->fd, dgram, len, 0, (const struct sockaddr *)&s->conf.peer,
               addr_len(&s->conf.peer));
    if (n != (ssize_t)len) {
        s->counter[SYNC_send_errors]++;
    }
}

/* Our capabilities: bit t - 1 for each record type t < 33 some client receives. */
static uint32_t
caps(const struct sync *s)
{
    uint32_t c = 0;

    for (unsigned i = 0; i < s->n_clients; i++) {
        for (unsigned t = s->clients[i].type_min; t <= s->clients[i].type_max && t <= 32; t++) {
            c |= t ? 1u << (t - 1) : 0;
        }
    }
    return c;
}

/* Sends HELLO to boot 'to_boot' (0: unknown), answering challenge 'response'. */
static void
send_hello(struct sync *s, uint64_t to_boot, uint64_t response)
{
    uint8_t m[SYNC_HELLO_LEN];

    put32(m, caps(s));
    put32(m + 4, s->tx_base);
    put32(m + 8, s->tx_drops);
    put32(m + 12, 0);
    put64(m + 16, s->challenge);
    put64(m + 24, response);
    send_msg(s, SYNC_MSG_HELLO, to_boot, m, sizeof m);
    s->counter[SYNC_hellos_sent]++;
}

static void
send_data(struct sync *s, struct sync_batch *b)
{
    uint8_t m[SYNC_PLAIN_MAX];

    put32(m, b->seq);
    put32(m + 4, s->tx_base);
    put32(m + 8, s->tx_drops);
    memcpy(m + SYNC_DATA_HDR, b->data, b->len);
    send_msg(s, SYNC_MSG_DATA, s->peer_boot, m, SYNC_DATA_HDR + b->len);
}

static void
send_ack(struct sync *s)
{
    uint8_t m[SYNC_ACK_LEN];
    uint64_t sack = 0;

    for (unsigned i = 0; i < SYNC_WINDOW - 1; i++) {
        const struct sync_batch *b = s->rx_buf[(s->rx_next + 1 + i) % SYNC_WINDOW];
        if (b && b->seq == s->rx_next + 1 + i) {
            sack |= 1ull << i;
        }
    }
    put32(m, s->rx_next);
    put32(m + 4, 0);
    put64(m + 8, sack);
    send_msg(s, SYNC_MSG_ACK, s->peer_boot, m, sizeof m);
    s->counter[SYNC_acks_sent]++;
    s->ack_due = false;
}

/* The first resend timeout of a batch: conf.rto_ms, or twice the round trip when longer. */
static uint32_t
rto_initial(const struct sync *s)
{
    uint32_t rto = s->srtt_us ? 2 * s->srtt_us / 1000 : 0;

    rto = rto > s->conf.rto_ms ? rto : s->conf.rto_ms;
    return rto < s->conf.rto_max_ms ? rto : s->conf.rto_max_ms;
}

/* Sends the closed batches the window allows. */
static void
tx_transmit(struct sync *s, uint64_t now)
{
    while (s->tx_sent != s->tx_next && s->tx_sent - s->tx_base < SYNC_WINDOW) {
        struct sync_batch *b = s->q[s->tx_sent % SYNC_QUEUE];

        if (!b->closed) {
            break;
        }
        b->tries = 1;
        b->rto_ms = rto_initial(s);
        b->first_us = now;
        b->deadline = now + (uint64_t)b->rto_ms * 1000;
        send_data(s, b);
        s->counter[SYNC_batches_sent]++;
        s->counter[SYNC_records_sent] += b->n_records;
        s->tx_sent++;
    }
}

/* Arms the resend timer at the earliest deadline, or disables it. */
static void
rto_arm(struct sync *s)
{
    uint64_t first = UINT64_MAX;

    for (uint32_t seq = s->tx_base; seq != s->tx_sent; seq++) {
        const struct sync_batch *b = s->q[seq % SYNC_QUEUE];
        if (!b->done && b->deadline < first) {
            first = b->deadline;
        }
    }
    if (first == UINT64_MAX) {
        sd_event_source_set_enabled(s->rto, SD_EVENT_OFF);
        return;
    }
    sd_event_source_set_time(s->rto, first);
    sd_event_source_set_enabled(s->rto, SD_EVENT_ONESHOT);
}

/* The outgoing bulk: runs the clients' walks while there is room, then closes it. */
static void
bulk_fill(struct sync *s)
{
    bool all = true;

    if (s->bulk_out != SYNC_BULK_SENDING) {
        return;
    }
    for (unsigned i = 0; i < s->n_clients; i++) {
        const struct sync_client *c = &s->clients[i];
        uint64_t before;

        if (s->fill_done[i]) {
            continue;
        }
        if (!c->bulk_tx_fill) {
            s->fill_done[i] = true;
            continue;
        }
        if (!sync_has_room(s)) {
            all = false;
            break;
        }
        before = s->counter[SYNC_records_queued];
        s->fill_done[i] = c->bulk_tx_fill(c->aux, s);
        s->bulk_out_records += s->counter[SYNC_records_queued] - before;
        s->counter[SYNC_bulk_records_sent] += s->counter[SYNC_records_queued] - before;
        if (!s->fill_done[i]) {
            all = false;
            break;
        }
    }
    if (all && tx_append(s, SYNC_REC_BULK_DONE, NULL, 0, false) == 0) {
        s->bulk_out = SYNC_BULK_COMPLETE;
        s->counter[SYNC_bulks_sent]++;
    } else if (sync_has_room(s)) {
        pump_kick(s); /* A client paused with room left: go on next iteration. */
    }
}

/* Defer source: the end of a loop iteration. Closes the open batch, sends, acknowledges. */
static int
on_pump(sd_event_source *src, void *aux)
{
    struct sync *s = aux;
    uint64_t now = now_us();

    (void)src;
    if (s->peer_state == SYNC_PEER_UP) {
        bulk_fill(s);
        if (s->tx_next != s->tx_sent) {
            s->q[(s->tx_next - 1) % SYNC_QUEUE]->closed = true;
        }
        tx_transmit(s, now);
        rto_arm(s);
    }
    if (s->ack_due) {
        send_ack(s);
    }
    return 0;
}

static void
pump_kick(struct sync *s)
{
    sd_event_source_set_enabled(s->pump, SD_EVENT_ONESHOT);
}

/* Resend timer: resends what is due, gives up what has had its tries. */
static int
on_rto(sd_event_source *src, uint64_t usec, void *aux)
{
    struct sync *s = aux;
    uint64_t now = now_us();
    bool lost = false;

    (void)src;
    (void)usec;
    for (uint32_t seq = s->tx_base; seq != s->tx_sent; seq++) {
        struct sync_batch *b = s->q[seq % SYNC_QUEUE];

        if (b->done || b->deadline > now) {
            continue;
        }
        if (b->tries >= s->conf.max_tries) {
            b->done = true;
            s->counter[SYNC_batches_lost]++;
            s->counter[SYNC_records_lost] += b->n_records;
            lost = true;
            continue;
        }
        b->tries++;
        b->rto_ms = b->rto_ms * 2 < s->conf.rto_max_ms ? b->rto_ms * 2 : s->conf.rto_max_ms;
        b->deadline = now + (uint64_t)b->rto_ms * 1000;
        send_data(s, b);
        s->counter[SYNC_batches_resent]++;
        s->counter[SYNC_records_resent] += b->n_records;
    }
    if (lost) {
        s->tx_drops++;
        /* Our own bulk request may have been in it: ask again rather than wait forever. */
        if (s->bulk_in == SYNC_BULK_REQUESTED) {
            s->bulk_in = SYNC_BULK_IDLE;
            request_bulk(s);
        }
    }
    tx_advance(s);
    pump_kick(s);
    rto_arm(s);
    return 0;
}

/* ---- Bulk ---- */

static void
bulk_rx_event(struct sync *s, enum sync_bulk_event ev)
{
    for (unsigned i = 0; i < s->n_clients; i++) {
        if (s->clients[i].bulk_rx) {
            s->clients[i].bulk_rx(s->clients[i].aux, ev);
        }
    }
}

/* Asks the peer for everything, unless a bulk is on its way (then again after it). */
static void
request_bulk(struct sync *s)
{
    if (s->bulk_in == SYNC_BULK_RECEIVING) {
        s->bulk_in_again = true;
        return;
    }
    if (s->bulk_in == SYNC_BULK_REQUESTED || s->peer_state != SYNC_PEER_UP) {
        return;
    }
    if (tx_append(s, SYNC_REC_BULK_REQUEST, NULL, 0, false) == 0) {
        s->bulk_in = SYNC_BULK_REQUESTED;
        s->bulk_in_again = false;
        s->counter[SYNC_bulk_requests_sent]++;
    }
}

/* The peer asked for everything: (re)starts our walks. */
static void
bulk_start(struct sync *s)
{
    s->counter[SYNC_bulk_requests_received]++;
    if (tx_append(s, SYNC_REC_BULK_BEGIN, NULL, 0, false) != 0) {
        return; /* Queue full: the records lost make the peer ask again. */
    }
    s->bulk_out = SYNC_BULK_SENDING;
    s->bulk_out_records = 0;
    for (unsigned i = 0; i < s->n_clients; i++) {
        s->fill_done[i] = false;
        if (s->clients[i].bulk_tx_start) {
            s->clients[i].bulk_tx_start(s->clients[i].aux);
        }
    }
    pump_kick(s);
}

/* Aborts both bulks (the peer restarted or went down). */
static void
bulk_abort(struct sync *s)
{
    if (s->bulk_in == SYNC_BULK_RECEIVING || s->bulk_in == SYNC_BULK_REQUESTED) {
        if (s->bulk_in == SYNC_BULK_RECEIVING) {
            bulk_rx_event(s, SYNC_BULK_ABORTED);
        }
        s->bulk_in = SYNC_BULK_IDLE;
    }
    if (s->bulk_out == SYNC_BULK_SENDING) {
        s->bulk_out = SYNC_BULK_IDLE;
    }
}

/* ---- Receiving ---- */

/* True when 'len' bytes of records at 'p' parse exactly. */
static bool
records_valid(const uint8_t *p, size_t len)
{
    size_t off = 0;

    while (off < len) {
        if (len - off < 4 || get16(p + off + 2) > len - off - 4) {
            return false;
        }
        off += 4 + get16(p + off + 2);
    }
    return true;
}

static void
deliver(struct sync *s, const struct sync_batch *b)
{
    for (size_t off = 0; off < b->len; off += 4 + get16(b->data + off + 2)) {
        uint16_t type = get16(b->data + off), len = get16(b->data + off + 2);
        const uint8_t *val = b->data + off + 4;
        unsigned i;

        switch (type) {
        case SYNC_REC_BULK_REQUEST:
            bulk_start(s);
            continue;
        case SYNC_REC_BULK_BEGIN:
            s->bulk_in = SYNC_BULK_RECEIVING;
            s->bulk_in_records = 0;
            bulk_rx_event(s, SYNC_BULK_BEGIN);
            continue;
        case SYNC_REC_BULK_DONE:
            if (s->bulk_in == SYNC_BULK_RECEIVING) {
                s->bulk_in = SYNC_BULK_COMPLETE;
                s->counter[SYNC_bulks_received]++;
                bulk_rx_event(s, SYNC_BULK_DONE);
                if (s->bulk_in_again) {
                    request_bulk(s);
                }
            }
            continue;
        default:
            break;
        }
        for (i = 0; i < s->n_clients; i++) {
            if (type >= s->clients[i].type_min && type <= s->clients[i].type_max) {
                break;
            }
        }
        if (i == s->n_clients || type >= SYNC_REC_INTERNAL) {
            s->drop[SYNC_no_client]++;
            continue;
        }
        s->counter[SYNC_records_received]++;
        if (s->bulk_in == SYNC_BULK_RECEIVING) {
            s->bulk_in_records++;
            s->counter[SYNC_bulk_records_received]++;
        }
        if (s->clients[i].recv) {
            s->clients[i].recv(s->clients[i].aux, type, val, len);
        }
    }
    s->counter[SYNC_batches_received]++;
}

/* Delivers the held batches that are next in order. */
static void
rx_deliver_held(struct sync *s)
{
    struct sync_batch *b;

    while ((b = s->rx_buf[s->rx_next % SYNC_WINDOW]) && b->seq == s->rx_next) {
        s->rx_buf[s->rx_next % SYNC_WINDOW] = NULL;
        s->rx_next++;
        deliver(s, b);
        batch_free(s, b);
    }
}

/* The peer's 'base' and 'drops' of a HELLO or DATA: batches it gave up are skipped (delivering
 * the held ones among them in order), and a change of its drops asks for a bulk resync. */
static void
rx_peer_position(struct sync *s, uint32_t base, uint32_t drops)
{
    bool gap = drops != s->rx_peer_drops;
    uint32_t n;

    s->rx_peer_drops = drops;
    /* Every held batch is within SYNC_WINDOW of rx_next: past that, nothing is held. */
    for (n = 0; seq_lt(s->rx_next, base) && n < SYNC_WINDOW; n++) {
        struct sync_batch *b = s->rx_buf[s->rx_next % SYNC_WINDOW];

        if (b && b->seq == s->rx_next) {
            s->rx_buf[s->rx_next % SYNC_WINDOW] = NULL;
            s->rx_next++;
            deliver(s, b);
            batch_free(s, b);
            continue;
        }
        s->counter[SYNC_batches_skipped]++;
        s->rx_next++;
        gap = true;
    }
    if (seq_lt(s->rx_next, base)) {
        s->counter[SYNC_batches_skipped] += base - s->rx_next;
        s->rx_next = base;
    }
    rx_deliver_held(s);
    if (gap) {
        request_bulk(s);
    }
}

static void
rx_data(struct sync *s, const uint8_t *m, size_t len)
{
    uint32_t seq = get32(m);
    struct sync_batch *b;

    if (len < SYNC_DATA_HDR || !records_valid(m + SYNC_DATA_HDR, len - SYNC_DATA_HDR)) {
        s->drop[SYNC_bad_message]++;
        return;
    }
    rx_peer_position(s, get32(m + 4), get32(m + 8));
    s->ack_due = true;
    pump_kick(s);
    if (seq_lt(seq, s->rx_next) ||
        ((b = s->rx_buf[seq % SYNC_WINDOW]) && b->seq == seq && seq != s->rx_next)) {
        s->counter[SYNC_batches_duplicate]++;
        return;
    }
    if (seq - s->rx_next >= SYNC_WINDOW) {
        s->drop[SYNC_out_of_window]++;
        return;
    }
    b = batch_alloc(s);
    if (!b) {
        return; /* Not acknowledged: it comes again. */
    }
    b->seq = seq;
    b->len = (uint16_t)(len - SYNC_DATA_HDR);
    memcpy(b->data, m + SYNC_DATA_HDR, b->len);
    s->rx_buf[seq % SYNC_WINDOW] = b;
    rx_deliver_held(s);
}

static void
tx_acked(struct sync *s, struct sync_batch *b, uint64_t now)
{
    b->done = true;
    s->counter[SYNC_batches_acked]++;
    s->counter[SYNC_records_acked] += b->n_records;
    if (b->tries == 1) {
        /* Karn: only batches sent once give a round-trip sample. */
        uint32_t sample = (uint32_t)(now - b->first_us);
        s->srtt_us = s->srtt_us ? (7 * s->srtt_us + sample) / 8 : sample;
    }
}

static void
rx_ack(struct sync *s, const uint8_t *m, size_t len)
{
    uint32_t cum = get32(m);
    uint64_t sack = get64(m + 8), now = now_us();

    if (len != SYNC_ACK_LEN) {
        s->drop[SYNC_bad_message]++;
        return;
    }
    s->counter[SYNC_acks_received]++;
    for (uint32_t seq = s->tx_base; seq != s->tx_sent; seq++) {
        struct sync_batch *b = s->q[seq % SYNC_QUEUE];
        uint32_t d = seq - cum - 1; /* Its bit in 'sack' when it is past 'cum'. */

        if (b->done) {
            continue;
        }
        if (seq_lt(seq, cum) || (seq_lt(cum, seq) && d < 64 && ((sack >> d) & 1))) {
            tx_acked(s, b, now);
        }
    }
    tx_advance(s);
    pump_kick(s);
}

/* Makes 'boot' (which answered our challenge) the peer. */
static void
adopt(struct sync *s, uint64_t boot, const uint8_t *key, uint64_t counter, const uint8_t *hello)
{
    if (s->peer_boot) {
        s->counter[SYNC_peer_restarts]++;
    }
    bulk_abort(s);
    tx_drop_all(s);
    rx_clear(s);
    s->peer_boot = boot;
    memcpy(s->peer_key, key, SYNC_KEY_LEN);
    memset(&s->replay, 0, sizeof s->replay);
    replay_accept(&s->replay, counter);
    s->peer_state = SYNC_PEER_UP;
    s->last_rx_us = now_us();
    s->rx_next = get32(hello + 4);
    s->rx_peer_drops = get32(hello + 8);
    s->peer_challenge = get64(hello + 16);
    s->challenge = random64();
    send_hello(s, boot, s->peer_challenge); /* So that the peer adopts us too. */
    request_bulk(s);
}

/* Handles one datagram from the peer's address. */
static void
rx_datagram(struct sync *s, const uint8_t *d, size_t len)
{
    uint8_t plain[SYNC_PLAIN_MAX];
    uint8_t tag[SYNC_TAG_LEN];
    uint64_t from, to, counter;
    const uint8_t *key;
    size_t plen;
    bool adopted;

    if (len < SYNC_HDR_LEN + SYNC_TAG_LEN || len > SYNC_DGRAM_MAX) {
        s->drop[SYNC_short]++;
        return;
    }
    if (d[0] != SYNC_VERSION || d[1] < SYNC_MSG_HELLO || d[1] > SYNC_MSG_ACK || get16(d + 2)) {
        s->drop[SYNC_bad_header]++;
        return;
    }
    from = get64(d + 4);
    to = get64(d + 12);
    counter = get64(d + 20);
    if (from == s->boot) {
        s->drop[SYNC_reflected]++;
        return;
    }
    adopted = from == s->peer_boot && s->peer_boot;
    if (adopted) {
        key = s->peer_key;
        if (!replay_fresh(&s->replay, counter)) {
            s->drop[SYNC_replay]++;
            return;
        }
    } else {
        if (from != s->cand_boot) {
            if (!derive_key(s, from, s->cand_key)) {
                s->drop[SYNC_auth]++;
                return;
            }
            s->cand_boot = from;
        }
        key = s->cand_key;
    }
    plen = len - SYNC_HDR_LEN - SYNC_TAG_LEN;
    memcpy(tag, d + len - SYNC_TAG_LEN, SYNC_TAG_LEN);
    if (!aead(s, false, key, counter, d, SYNC_HDR_LEN, d + SYNC_HDR_LEN, plen, plain, tag)) {
        s->drop[SYNC_auth]++;
        if (!adopted) {
            s->cand_boot = 0; /* A forged boot id: do not keep its key. */
        }
        return;
    }
    if (d[1] == SYNC_MSG_HELLO && plen != SYNC_HELLO_LEN) {
        s->drop[SYNC_bad_message]++;
        return;
    }
    if (!adopted) {
        uint64_t now = now_us();

        if (d[1] == SYNC_MSG_HELLO && get64(plain + 24) == s->challenge) {
            s->counter[SYNC_hellos_received]++;
            adopt(s, from, key, counter, plain);
            return;
        }
        /* Authentic, but not proven fresh: say HELLO (rate-limited), answering its challenge,
         * and nothing more. */
        if (d[1] == SYNC_MSG_HELLO) {
            s->counter[SYNC_hellos_received]++;
        } else {
            s->drop[SYNC_stale_boot]++;
        }
        if (now - s->reply_us >= (uint64_t)s->conf.rto_ms * 1000) {
            s->reply_us = now;
            send_hello(s, from, d[1] == SYNC_MSG_HELLO ? get64(plain + 16) : 0);
        }
        return;
    }
    replay_accept(&s->replay, counter);
    if (d[1] != SYNC_MSG_HELLO && to != s->boot) {
        /* DATA or ACK for a previous boot of ours: the peer has not adopted us yet. */
        s->drop[SYNC_not_for_me]++;
        return;
    }
    s->last_rx_us = now_us();
    if (d[1] == SYNC_MSG_HELLO) {
        s->counter[SYNC_hellos_received]++;
        s->peer_caps = get32(plain);
        s->peer_challenge = get64(plain + 16);
        if (to != s->boot) {
            /* It knows an older boot of ours (it has not adopted us): answer its challenge. */
            send_hello(s, from, s->peer_challenge);
            return;
        }
    }
    if (s->peer_state == SYNC_PEER_DOWN) {
        /* Back: whatever it sent meanwhile is gone, and so is what we queued for it. */
        s->peer_state = SYNC_PEER_UP;
        request_bulk(s);
    }
    switch (d[1]) {
    case SYNC_MSG_HELLO:
        rx_peer_position(s, get32(plain + 4), get32(plain + 8));
        break;
    case SYNC_MSG_DATA:
        rx_data(s, plain, plen);
        break;
    case SYNC_MSG_ACK:
        rx_ack(s, plain, plen);
        break;
    }
}

static int
on_io(sd_event_source *src, int fd, uint32_t revents, void *aux)
{
    struct sync *s = aux;
    uint8_t d[SYNC_DGRAM_MAX + 1];

    (void)src;
    (void)revents;
    for (unsigned i = 0; i < SYNC_RX_BURST; i++) {
        struct sockaddr_storage from;
        socklen_t flen = sizeof from;
        ssize_t n = recvfrom(fd, d, sizeof d, MSG_DONTWAIT, (struct sockaddr *)&from, &flen);

        if (n < 0) {
            break;
        }
        if (!same_addr(&from, &s->conf.peer)) {
            s->drop[SYNC_wrong_source]++;
            continue;
        }
        rx_datagram(s, d, (size_t)n);
    }
    return 0;
}

/* HELLO timer: the keepalive, and the peer's liveness. */
static int
on_hello(sd_event_source *src, uint64_t usec, void *aux)
{
    struct sync *s = aux;
    uint64_t now = now_us();

    (void)usec;
    if (s->peer_state == SYNC_PEER_UP && now - s->last_rx_us > (uint64_t)s->conf.dead_ms * 1000) {
        s->peer_state = SYNC_PEER_DOWN;
        s->counter[SYNC_peer_downs]++;
        bulk_abort(s);
        tx_drop_all(s);
        /* Records are refused while it is down: when it hears us again, it must ask for them. */
        s->tx_drops++;
        rto_arm(s);
    }
    send_hello(s, s->peer_boot, s->peer_challenge);
    sd_event_source_set_time_relative(src, (uint64_t)s->conf.hello_ms * 1000);
    sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
    return 0;
}

/* ---- API ---- */

int
sync_create(const struct sync_conf *conf, sd_event *event, struct sync **out, char *err)
{
    struct sync *s;
    int buf = 1 << 20, ret;

    *out = NULL;
    if (conf->secret_len < SYNC_SECRET_MIN || conf->secret_len > SYNC_SECRET_MAX) {
        snprintf(err, 256, "sync secret must be %d to %d bytes", SYNC_SECRET_MIN, SYNC_SECRET_MAX);
        return EINVAL;
    }
    if ((conf->local.ss_family != AF_INET && conf->local.ss_family != AF_INET6) ||
        conf->local.ss_family != conf->peer.ss_family) {
        snprintf(err, 256, "sync addresses must both be IPv4 or both IPv6");
        return EINVAL;
    }
    s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, 256, "out of memory");
        return ENOMEM;
    }
    s->conf = *conf;
    s->conf.rto_ms = conf->rto_ms ? conf->rto_ms : 20;
    s->conf.rto_max_ms = conf->rto_max_ms ? conf->rto_max_ms : 1000;
    s->conf.rto_max_ms = s->conf.rto_max_ms < s->conf.rto_ms ? s->conf.rto_ms : s->conf.rto_max_ms;
    s->conf.max_tries = conf->max_tries ? conf->max_tries : 8;
    s->conf.hello_ms = conf->hello_ms ? conf->hello_ms : 1000;
    s->conf.dead_ms = conf->dead_ms ? conf->dead_ms : 3 * s->conf.hello_ms + 500;
    s->event = event;
    s->fd = -1;
    s->boot = random64();
    s->challenge = random64();
    s->aead = EVP_CIPHER_CTX_new();
    if (!s->aead || !derive_key(s, s->boot, s->tx_key)) {
        snprintf(err, 256, "cannot set up the sync cipher (OpenSSL)");
        sync_destroy(s);
        return ENOMEM;
    }
    s->fd = socket(conf->local.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->fd < 0) {
        ret = errno;
        snprintf(err, 256, "cannot open the sync socket: %s", strerror(ret));
        sync_destroy(s);
        return ret;
    }
    /* A bulk resync arrives in bursts of a window of batches: room for a few. */
    setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    if (bind(s->fd, (const struct sockaddr *)&conf->local, addr_len(&conf->local)) < 0) {
        ret = errno;
        snprintf(err, 256, "cannot bind the sync socket: %s", strerror(ret));
        sync_destroy(s);
        return ret;
    }
    ret = sd_event_add_io(event, &s->io, s->fd, EPOLLIN, on_io, s);
    if (ret >= 0) {
        ret = sd_event_add_time_relative(event, &s->hello, CLOCK_MONOTONIC,
                                         (uint64_t)s->conf.hello_ms * 1000, 10 * 1000, on_hello, s);
    }
    if (ret >= 0) {
        ret = sd_event_add_time(event, &s->rto, CLOCK_MONOTONIC, UINT64_MAX, 1000, on_rto, s);
    }
    if (ret >= 0) {
        ret = sd_event_add_defer(event, &s->pump, on_pump, s);
    }
    if (ret < 0) {
        snprintf(err, 256, "cannot add the sync sources: %s", strerror(-ret));
        sync_destroy(s);
        return -ret;
    }
    sd_event_source_set_enabled(s->rto, SD_EVENT_OFF);
    sd_event_source_set_enabled(s->pump, SD_EVENT_OFF);
    send_hello(s, 0, 0);
    *out = s;
    return 0;
}

void
sync_destroy(struct sync *s)
{
    struct sync_batch *b;

    if (!s) {
        return;
    }
    sd_event_source_disable_unref(s->io);
    sd_event_source_disable_unref(s->hello);
    sd_event_source_disable_unref(s->rto);
    sd_event_source_disable_unref(s->pump);
    if (s->fd >= 0) {
        close(s->fd);
    }
    for (unsigned i = 0; i < SYNC_QUEUE; i++) {
        free(s->q[i]);
    }
    for (unsigned i = 0; i < SYNC_WINDOW; i++) {
        free(s->rx_buf[i]);
    }
    while ((b = s->free_batches)) {
        s->free_batches = b->next_free;
        free(b);
    }
    EVP_CIPHER_CTX_free(s->aead);
    OPENSSL_cleanse(s->tx_key, sizeof s->tx_key);
    OPENSSL_cleanse(s->peer_key, sizeof s->peer_key);
    OPENSSL_cleanse(s->cand_key, sizeof s->cand_key);
    OPENSSL_cleanse(s->conf.secret, sizeof s->conf.secret);
    free(s);
}

int
sync_client_add(struct sync *s, const struct sync_client *c)
{
    if (s->n_clients == SYNC_CLIENTS) {
        return ENOSPC;
    }
    if (c->type_min > c->type_max || c->type_max >= SYNC_REC_INTERNAL) {
        return EINVAL;
    }
    for (unsigned i = 0; i < s->n_clients; i++) {
        if (c->type_min <= s->clients[i].type_max && s->clients[i].type_min <= c->type_max) {
            return EINVAL;
        }
    }
    s->fill_done[s->n_clients] = true;
    s->clients[s->n_clients++] = *c;
    return 0;
}

void
sync_client_del(struct sync *s, void *aux)
{
    unsigned k = 0;

    for (unsigned i = 0; i < s->n_clients; i++) {
        if (s->clients[i].aux != aux) {
            s->fill_done[k] = s->fill_done[i];
            s->clients[k++] = s->clients[i];
        }
    }
    s->n_clients = k;
}

int
sync_send(struct sync *s, uint16_t type, const void *val, size_t len)
{
    if (type >= SYNC_REC_INTERNAL || len > SYNC_RECORD_MAX) {
        return EINVAL;
    }
    if (s->peer_state != SYNC_PEER_UP) {
        s->counter[SYNC_records_refused]++;
        return ENOTCONN;
    }
    return tx_append(s, type, val, len, true);
}

bool
sync_has_room(const struct sync *s)
{
    return s->peer_state == SYNC_PEER_UP && s->tx_next - s->tx_base < SYNC_QUEUE / 2;
}

bool
sync_peer_up(const struct sync *s)
{
    return s->peer_state == SYNC_PEER_UP;
}

int
sync_request_bulk(struct sync *s)
{
    if (s->peer_state != SYNC_PEER_UP) {
        return ENOTCONN;
    }
    request_bulk(s);
    return 0;
}

void
sync_get_stats(const struct sync *s, struct sync_stats *st)
{
    memset(st, 0, sizeof *st);
    memcpy(st->counter, s->counter, sizeof st->counter);
    memcpy(st->drop, s->drop, sizeof st->drop);
    st->boot_id = s->boot;
    st->peer_boot_id = s->peer_boot;
    st->peer_state = (uint8_t)s->peer_state;
    st->bulk_in = (uint8_t)s->bulk_in;
    st->bulk_out = (uint8_t)s->bulk_out;
    st->bulk_in_records = s->bulk_in_records;
    st->bulk_out_records = s->bulk_out_records;
    for (uint32_t seq = s->tx_base; seq != s->tx_sent; seq++) {
        st->in_flight += !s->q[seq % SYNC_QUEUE]->done;
    }
    st->queued = s->tx_next - s->tx_sent;
    st->srtt_us = s->srtt_us;
}

const char *
sync_peer_state_name(enum sync_peer_state st)
{
    static const char *const names[] = {"unknown", "up", "down"};
    return (unsigned)st < sizeof names / sizeof names[0] ? names[st] : "?";
}

const char *
sync_bulk_state_name(enum sync_bulk_state st)
{
    static const char *const names[] = {"idle", "requested", "receiving", "sending", "complete"};
    return (unsigned)st < sizeof names / sizeof names[0] ? names[st] : "?";
}

int
sync_to_json(const struct sync *s, json_t *obj)
{
    static const char *const counter_names[] = {
#define SYNC_NAME_(name, help) #name,
        SYNC_COUNTER_LIST(SYNC_NAME_)};
    static const char *const drop_names[] = {SYNC_DROP_LIST(SYNC_NAME_)
#undef SYNC_NAME_
    };
    struct sync_stats st;
    char boot[24], peer_boot[24], addr[INET6_ADDRSTRLEN + 8], ip[INET6_ADDRSTRLEN];
    const struct sockaddr_storage *pa = &s->conf.peer;
    json_t *peer, *bulk, *counters, *drops;
    int fail = 0;

    sync_get_stats(s, &st);
    snprintf(boot, sizeof boot, "%016llx", (unsigned long long)st.boot_id);
    snprintf(peer_boot, sizeof peer_boot, "%016llx", (unsigned long long)st.peer_boot_id);
    if (pa->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const void *)pa;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
        snprintf(addr, sizeof addr, "%s:%u", ip, ntohs(a->sin_port));
    } else {
        const struct sockaddr_in6 *a = (const void *)pa;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
        snprintf(addr, sizeof addr, "[%s]:%u", ip, ntohs(a->sin6_port));
    }
    peer = json_pack("{s:s, s:s, s:s, s:I}", "state", sync_peer_state_name(st.peer_state),
                     "boot_id", st.peer_boot_id ? peer_boot : "", "address", addr, "capabilities",
                     (json_int_t)s->peer_caps);
    bulk = json_pack("{s:s, s:I, s:s, s:I}", "in", sync_bulk_state_name(st.bulk_in), "in_records",
                     (json_int_t)st.bulk_in_records, "out", sync_bulk_state_name(st.bulk_out),
                     "out_records", (json_int_t)st.bulk_out_records);
    counters = json_object();
    drops = json_object();
    for (unsigned i = 0; counters && i < SYNC_N_COUNTERS; i++) {
        fail |= json_object_set_new(counters, counter_names[i],
                                    json_integer((json_int_t)st.counter[i]));
    }
    for (unsigned i = 0; drops && i < SYNC_N_DROPS; i++) {
        fail |= json_object_set_new(drops, drop_names[i], json_integer((json_int_t)st.drop[i]));
    }
    fail |= json_object_set_new(obj, "boot_id", json_string(boot));
    fail |= json_object_set_new(obj, "peer", peer);
    fail |= json_object_set_new(obj, "bulk", bulk);
    fail |= json_object_set_new(obj, "in_flight", json_integer(st.in_flight));
    fail |= json_object_set_new(obj, "queued", json_integer(st.queued));
    fail |= json_object_set_new(obj, "srtt_us", json_integer(st.srtt_us));
    fail |= json_object_set_new(obj, "counters", counters);
    fail |= json_object_set_new(obj, "drops", drops);
    return fail ? ENOMEM : 0;
}

void
sync_test_set_tx_hook(struct sync *s, sync_tx_hook *fn, void *aux)
{
    s->tx_hook = fn;
    s->tx_hook_aux = aux;
}

void
sync_test_input(struct sync *s, const uint8_t *dgram, size_t len)
{
    rx_datagram(s, dgram, len);
}
