/* SPDX-License-Identifier: Apache-2.0 */
/* ESP tables, crypto devices and the control plane's side of esp.h. */
#include "esp_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_cryptodev.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "dp_internal.h"

#define ESP_IV_OFFSET      (sizeof(struct rte_crypto_op) + sizeof(struct rte_crypto_sym_op))
#define ESP_SESSIONS       (DP_ESP_SA_MAX + 64) /* Cryptodev sessions: one per SA, some slack. */
#define ESP_REPLAY_DEFAULT 64                   /* RFC 4303 3.4.3: the default window. */
#define ESP_DEV_GCM        "crypto_aesni_gcm_hnvgw"
#define ESP_DEV_MB         "crypto_aesni_mb_hnvgw"
#define ESP_DEV_OPENSSL    "crypto_openssl_hnvgw"

/* Probes crypto vdev 'name' (its driver is the name's prefix); returns its id or -1. */
static int
dev_probe(const char *name)
{
    if (rte_cryptodev_get_dev_id(name) < 0 && rte_vdev_init(name, "max_nb_queue_pairs=1") != 0) {
        return -1;
    }
    return rte_cryptodev_get_dev_id(name);
}

/* Configures and starts device 'id' with one queue pair (CPU crypto needs no queue, but a device
 * must have one to start). Returns false when it cannot, or cannot do CPU crypto. */
static bool
dev_start(struct esp *esp, int id)
{
    struct rte_cryptodev_config conf = {.socket_id = (int)rte_socket_id(), .nb_queue_pairs = 1};
    struct rte_cryptodev_qp_conf qp = {.nb_descriptors = 128, .mp_session = esp->ses_pool};
    struct rte_cryptodev_info info;

    rte_cryptodev_info_get((uint8_t)id, &info);
    return (info.feature_flags & RTE_CRYPTODEV_FF_SYM_CPU_CRYPTO) &&
           rte_cryptodev_configure((uint8_t)id, &conf) == 0 &&
           rte_cryptodev_queue_pair_setup((uint8_t)id, 0, &qp, (int)rte_socket_id()) == 0 &&
           rte_cryptodev_start((uint8_t)id) == 0;
}

int
esp_create(struct dp *dp, char *err)
{
    struct esp *esp;
    unsigned ses_size = 0;
    int devs[3];

    if (!dp->params.max_esp_sas) {
        return 0;
    }
    esp = rte_zmalloc("esp", sizeof *esp, RTE_CACHE_LINE_SIZE);
    if (!esp) {
        snprintf(err, DP_ERR_MAX, "out of memory for IPsec");
        return ENOMEM;
    }
    dp->esp = esp;
    esp->dev_gcm = esp->dev_cbc = -1;
    esp->sas = rte_zmalloc("esp_sas", DP_ESP_SA_MAX * sizeof *esp->sas, 0);
    esp->held_spis = rte_zmalloc("esp_held", DP_ESP_SA_MAX * sizeof *esp->held_spis, 0);
    esp->by_spi = rcu_table_create("esp_spi", 4, sizeof(struct esp_sa *), DP_ESP_SA_MAX, dp->qsbr);
    esp->by_reqid =
        rcu_table_create("esp_reqid", 4, sizeof(struct esp_sa *), DP_ESP_SA_MAX, dp->qsbr);
    if (!esp->sas || !esp->held_spis || !esp->by_spi || !esp->by_reqid) {
        snprintf(err, DP_ERR_MAX, "out of memory for the IPsec tables");
        return ENOMEM;
    }
    /* intel-ipsec-mb's PMDs (AES-NI, VAES), else OpenSSL's for what they lack. */
    devs[0] = dev_probe(ESP_DEV_GCM);
    devs[1] = dev_probe(ESP_DEV_MB);
    devs[2] = devs[0] < 0 || devs[1] < 0 ? dev_probe(ESP_DEV_OPENSSL) : -1;
    for (unsigned i = 0; i < 3; i++) {
        if (devs[i] >= 0) {
            unsigned s = rte_cryptodev_sym_get_private_session_size((uint8_t)devs[i]);
            ses_size = s > ses_size ? s : ses_size;
        }
    }
    esp->ses_pool = ses_size ? rte_cryptodev_sym_session_pool_create("esp_ses", ESP_SESSIONS,
                                                                     ses_size, 0, 0, SOCKET_ID_ANY)
                             : NULL;
    if (!esp->ses_pool) {
        snprintf(err, DP_ERR_MAX,
                 "no crypto device for IPsec (crypto_aesni_gcm, crypto_aesni_mb "
                 "or crypto_openssl)");
        return ENOTSUP;
    }
    for (unsigned i = 0; i < 3; i++) {
        if (devs[i] >= 0 && !dev_start(esp, devs[i])) {
            devs[i] = -1;
        }
    }
    esp->dev_gcm = devs[0] >= 0 ? devs[0] : devs[2];
    esp->dev_cbc = devs[1] >= 0 ? devs[1] : devs[2];
    if (esp->dev_gcm < 0 && esp->dev_cbc < 0) {
        snprintf(err, DP_ERR_MAX, "no crypto device with CPU crypto for IPsec");
        return ENOTSUP;
    }
    return 0;
}

/* Frees an SA that no worker can see any more. */
static void
sa_free(struct esp *esp, struct esp_sa *s)
{
    if (!s) {
        return;
    }
    if (s->crypto_ses) {
        rte_cryptodev_sym_session_free(s->crypto_dev, s->crypto_ses);
    }
    (void)esp;
    rte_free(s->ipsec);
    rte_free(s);
}

void
esp_destroy(struct dp *dp)
{
    struct esp *esp = dp->esp;
    static const char *const names[] = {ESP_DEV_GCM, ESP_DEV_MB, ESP_DEV_OPENSSL};

    if (!esp) {
        return;
    }
    for (uint32_t i = 0; esp->sas && i < esp->n_sas; i++) {
        sa_free(esp, esp->sas[i]);
    }
    for (unsigned i = 0; i < 3; i++) {
        int id = rte_cryptodev_get_dev_id(names[i]);
        if (id >= 0) {
            rte_cryptodev_stop((uint8_t)id);
            rte_cryptodev_close((uint8_t)id);
            rte_vdev_uninit(names[i]);
        }
    }
    rte_mempool_free(esp->ses_pool);
    rcu_table_destroy(esp->by_spi);
    rcu_table_destroy(esp->by_reqid);
    rte_free(esp->sas);
    rte_free(esp->held_spis);
    rte_free(esp);
    dp->esp = NULL;
}

/* Index of SA 'spi' in esp->sas, or -1. */
static int
sa_index(const struct esp *esp, uint32_t spi)
{
    for (uint32_t i = 0; i < esp->n_sas; i++) {
        if (esp->sas[i]->conf.spi == spi) {
            return (int)i;
        }
    }
    return -1;
}

static int
held_index(const struct esp *esp, uint32_t spi)
{
    for (uint32_t i = 0; i < esp->n_held; i++) {
        if (esp->held_spis[i] == spi) {
            return (int)i;
        }
    }
    return -1;
}

int
dp_esp_spi_alloc(struct dp *dp, uint32_t *spi)
{
    struct esp *esp = dp->esp;

    if (!esp) {
        return ENOTSUP;
    }
    if (esp->n_held == DP_ESP_SA_MAX) {
        return ENOSPC;
    }
    for (;;) {
        /* Random, so that SPIs say nothing about the node's other tunnels. */
        uint32_t s = (uint32_t)rte_rand();
        if (s >= 0x100 && sa_index(esp, s) < 0 && held_index(esp, s) < 0) {
            esp->held_spis[esp->n_held++] = s;
            *spi = s;
            return 0;
        }
    }
}

void
dp_esp_spi_release(struct dp *dp, uint32_t spi)
{
    struct esp *esp = dp->esp;
    int i = esp ? held_index(esp, spi) : -1;

    if (i >= 0) {
        esp->held_spis[i] = esp->held_spis[--esp->n_held];
    }
}

/* True when a prefix list is valid. */
static bool
ts_valid(const struct dp_esp_ts *ts, uint8_t n)
{
    if (n > DP_ESP_TS_MAX) {
        return false;
    }
    for (uint8_t i = 0; i < n; i++) {
        if (ts[i].plen > 32) {
            return false;
        }
    }
    return true;
}

/* Builds the rte_ipsec SA and crypto session of 's' from s->conf and the keys in 'c'. With
 * 'rebuild', 'c' has no keys: only the rte_ipsec SA is built anew, from s->salt, to send from
 * s->seq_first on, and the crypto session already in 's' is kept. */
static int
sa_build(struct esp *esp, const struct dp_esp_sa *c, struct esp_sa *s, bool rebuild)
{
    struct rte_crypto_sym_xform x[2];
    struct rte_ipsec_sa_prm prm;
    struct rte_ipv4_hdr *outer = (struct rte_ipv4_hdr *)s->outer;
    int dev, size;

    memset(x, 0, sizeof x);
    memset(&prm, 0, sizeof prm);
    if (c->cipher == DP_ESP_AES_GCM_16) {
        if (c->key_len != 20 && c->key_len != 36) {
            return EINVAL;
        }
        dev = esp->dev_gcm;
        x[0].type = RTE_CRYPTO_SYM_XFORM_AEAD;
        x[0].aead.op = c->inbound ? RTE_CRYPTO_AEAD_OP_DECRYPT : RTE_CRYPTO_AEAD_OP_ENCRYPT;
        x[0].aead.algo = RTE_CRYPTO_AEAD_AES_GCM;
        x[0].aead.key.data = c->key;
        x[0].aead.key.length = (uint16_t)(c->key_len - 4);
        x[0].aead.iv.offset = ESP_IV_OFFSET;
        x[0].aead.iv.length = 12;
        x[0].aead.digest_length = 16;
        x[0].aead.aad_length = c->esn ? 12 : 8;
        /* RFC 4106: the salt is the key's last four bytes, used as they are in the nonce. */
        if (!rebuild) {
            memcpy(&s->salt, c->key + c->key_len - 4, 4);
        }
        prm.ipsec_xform.salt = s->salt;
        s->overhead = 20 + 8 + 8 + 3 + 2 + 16;
    } else if (c->cipher == DP_ESP_AES_CBC_HMAC_SHA256) {
        struct rte_crypto_sym_xform *cipher = c->inbound ? &x[1] : &x[0];
        struct rte_crypto_sym_xform *auth = c->inbound ? &x[0] : &x[1];

        if ((c->key_len != 16 && c->key_len != 32) || c->auth_key_len != 32) {
            return EINVAL;
        }
        dev = esp->dev_cbc;
        cipher->type = RTE_CRYPTO_SYM_XFORM_CIPHER;
        cipher->cipher.op =
            c->inbound ? RTE_CRYPTO_CIPHER_OP_DECRYPT : RTE_CRYPTO_CIPHER_OP_ENCRYPT;
        cipher->cipher.algo = RTE_CRYPTO_CIPHER_AES_CBC;
        cipher->cipher.key.data = c->key;
        cipher->cipher.key.length = c->key_len;
        cipher->cipher.iv.offset = ESP_IV_OFFSET;
        cipher->cipher.iv.length = 16;
        auth->type = RTE_CRYPTO_SYM_XFORM_AUTH;
        auth->auth.op = c->inbound ? RTE_CRYPTO_AUTH_OP_VERIFY : RTE_CRYPTO_AUTH_OP_GENERATE;
        auth->auth.algo = RTE_CRYPTO_AUTH_SHA256_HMAC;
        auth->auth.key.data = c->auth_key;
        auth->auth.key.length = c->auth_key_len;
        auth->auth.digest_length = 16;
        /* Encrypt then MAC; verify then decrypt. */
        x[0].next = &x[1];
        s->overhead = 20 + 8 + 16 + 15 + 2 + 16;
    } else {
        return EINVAL;
    }
    if (dev < 0) {
        return ENOTSUP;
    }
    if (c->encap_local_port) {
        s->overhead += 8;
    }
    prm.flags = RTE_IPSEC_SAFLAG_SQN_ATOM;
    prm.ipsec_xform.spi = c->spi;
    prm.ipsec_xform.direction =
        c->inbound ? RTE_SECURITY_IPSEC_SA_DIR_INGRESS : RTE_SECURITY_IPSEC_SA_DIR_EGRESS;
    prm.ipsec_xform.proto = RTE_SECURITY_IPSEC_SA_PROTO_ESP;
    prm.ipsec_xform.mode = RTE_SECURITY_IPSEC_SA_MODE_TUNNEL;
    prm.ipsec_xform.tunnel.type = RTE_SECURITY_IPSEC_TUNNEL_IPV4;
    prm.ipsec_xform.options.esn = c->esn;
    /* Anti-replay is always on: rte_ipsec has no inbound SA without a window, and an SA that
     * asked for none (replay_window 0) gets the RFC 4303 default of 64 packets. */
    prm.ipsec_xform.replay_win_sz =
        c->inbound ? (c->replay_window ? c->replay_window : ESP_REPLAY_DEFAULT) : 0;
    /* rte_ipsec's "ESN initial value": outbound, the first packet's number; inbound, the top
     * of the replay window. */
    if (!rebuild) {
        s->seq_first = c->inbound || c->seq_start ? c->seq_start : 1;
    }
    if (!c->esn && s->seq_first > UINT32_MAX) {
        return EINVAL;
    }
    prm.ipsec_xform.esn.value = s->seq_first;
    prm.crypto_xform = &x[0];
    outer->version_ihl = 0x45;
    outer->time_to_live = 64;
    outer->next_proto_id = IPPROTO_ESP;
    outer->src_addr = c->local;
    outer->dst_addr = c->remote;
    prm.tun.hdr = s->outer;
    prm.tun.hdr_len = sizeof *outer;
    prm.tun.hdr_l3_off = 0;
    prm.tun.next_proto = IPPROTO_IPIP;
    size = rte_ipsec_sa_size(&prm);
    if (size < 0) {
        return EINVAL;
    }
    s->ipsec = rte_zmalloc("esp_ipsec_sa", (size_t)size, RTE_CACHE_LINE_SIZE);
    if (!s->ipsec) {
        return ENOMEM;
    }
    if (rte_ipsec_sa_init(s->ipsec, &prm, (uint32_t)size) < 0) {
        return EINVAL;
    }
    s->crypto_dev = (uint8_t)dev;
    if (!rebuild) {
        s->crypto_ses = rte_cryptodev_sym_session_create((uint8_t)dev, &x[0], esp->ses_pool);
    }
    if (!s->crypto_ses) {
        return ENOTSUP;
    }
    s->ss.sa = s->ipsec;
    s->ss.type = RTE_SECURITY_ACTION_TYPE_CPU_CRYPTO;
    s->ss.crypto.ses = s->crypto_ses;
    s->ss.crypto.dev_id = (uint8_t)dev;
    return rte_ipsec_session_prepare(&s->ss) == 0 ? 0 : ENOTSUP;
}

/* Makes the newest outbound SA of 'reqid' (if any) the current one. */
static int
reqid_refresh(struct esp *esp, uint32_t reqid)
{
    struct esp_sa *best = NULL;

    for (uint32_t i = 0; i < esp->n_sas; i++) {
        struct esp_sa *s = esp->sas[i];
        if (!s->conf.inbound && s->conf.reqid == reqid &&
            (!best || s->seq_installed > best->seq_installed)) {
            best = s;
        }
    }
    if (!best) {
        rcu_table_del(esp->by_reqid, &reqid);
        return 0;
    }
    return rcu_table_set(esp->by_reqid, &reqid, &best);
}

int
dp_esp_sa_add(struct dp *dp, const struct dp_esp_sa *sa)
{
    struct esp *esp = dp->esp;
    struct esp_sa *s;
    int ret;

    if (!esp) {
        return ENOTSUP;
    }
    if (!sa->tenant || !ts_valid(sa->local_ts, sa->n_local_ts) ||
        !ts_valid(sa->remote_ts, sa->n_remote_ts) || sa->spi < 0x100) {
        return EINVAL;
    }
    if (sa_index(esp, sa->spi) >= 0) {
        return EEXIST;
    }
    if (esp->n_sas == DP_ESP_SA_MAX) {
        return ENOSPC;
    }
    s = rte_zmalloc("esp_sa", sizeof *s, RTE_CACHE_LINE_SIZE);
    if (!s) {
        return ENOMEM;
    }
    s->conf = *sa;
    memset(s->conf.key, 0, sizeof s->conf.key);
    memset(s->conf.auth_key, 0, sizeof s->conf.auth_key);
    rte_spinlock_init(&s->inbound_lock);
    if (sa->inbound) {
        s->highest_seq = (uint32_t)sa->seq_start; /* Below it: replays, as rte_ipsec says. */
    }
    ret = sa_build(esp, sa, s, false);
    if (!ret) {
        ret = rcu_table_set(esp->by_spi, &sa->spi, &s);
    }
    if (ret) {
        sa_free(esp, s);
        return ret;
    }
    s->seq_installed = ++esp->install_seq;
    esp->sas[esp->n_sas++] = s;
    dp_esp_spi_release(dp, sa->spi);
    if (!sa->inbound) {
        reqid_refresh(esp, sa->reqid);
    }
    return 0;
}

/* Unpublishes SA number 'i' and frees it once no worker can hold it. */
static void
sa_remove(struct dp *dp, uint32_t i)
{
    struct esp *esp = dp->esp;
    struct esp_sa *s = esp->sas[i];

    esp->sas[i] = esp->sas[--esp->n_sas];
    rcu_table_del(esp->by_spi, &s->conf.spi);
    if (!s->conf.inbound) {
        reqid_refresh(esp, s->conf.reqid);
    }
    rte_rcu_qsbr_synchronize(dp->qsbr, RTE_QSBR_THRID_INVALID);
    sa_free(esp, s);
}

int
dp_esp_sa_del(struct dp *dp, uint32_t spi)
{
    int i = dp->esp ? sa_index(dp->esp, spi) : -1;

    if (i < 0) {
        return ENOENT;
    }
    sa_remove(dp, (uint32_t)i);
    return 0;
}

int
dp_esp_sa_update(struct dp *dp, uint32_t spi, uint32_t local, uint32_t remote,
                 uint16_t encap_local_port, uint16_t encap_remote_port)
{
    struct esp *esp = dp->esp;
    int i = esp ? sa_index(esp, spi) : -1;
    struct esp_sa *s;

    if (i < 0) {
        return ENOENT;
    }
    /* Workers read the addresses and ports from conf for every packet; each is one plain word,
     * so a packet during a MOBIKE move goes to the old tunnel or the new one. */
    s = esp->sas[i];
    if ((encap_local_port != 0) != (s->conf.encap_local_port != 0)) {
        return EINVAL; /* Moving into or out of UDP changes the SA's overhead: re-add it. */
    }
    __atomic_store_n(&s->conf.local, local, __ATOMIC_RELAXED);
    __atomic_store_n(&s->conf.remote, remote, __ATOMIC_RELAXED);
    __atomic_store_n(&s->conf.encap_local_port, encap_local_port, __ATOMIC_RELAXED);
    __atomic_store_n(&s->conf.encap_remote_port, encap_remote_port, __ATOMIC_RELAXED);
    return 0;
}

/* Packets of outbound SA 's' given a sequence number: encrypted or dropped after rte_ipsec took
 * one (stage_esp.c counts every such drop on the SA). */
static uint64_t
sa_numbered(const struct dp *dp, const struct esp_sa *s)
{
    uint64_t n = 0;

    for (unsigned w = 0; w < dp->params.n_workers && w < DP_MAX_WORKERS; w++) {
        n += __atomic_load_n(&s->st[w].packets, __ATOMIC_RELAXED) +
             __atomic_load_n(&s->st[w].drops, __ATOMIC_RELAXED);
    }
    return n;
}

int
dp_esp_sa_seq(struct dp *dp, uint32_t spi, struct dp_esp_sa_seq *out)
{
    int i = dp->esp ? sa_index(dp->esp, spi) : -1;
    const struct esp_sa *s;

    if (i < 0) {
        return ENOENT;
    }
    s = dp->esp->sas[i];
    memset(out, 0, sizeof *out);
    out->inbound = s->conf.inbound;
    if (s->conf.inbound) {
        uint32_t top = __atomic_load_n(&s->highest_seq, __ATOMIC_RELAXED);
        out->seq = top > s->seq_first ? top : s->seq_first;
        out->replay_window = s->conf.replay_window ? s->conf.replay_window : ESP_REPLAY_DEFAULT;
    } else {
        out->seq = s->seq_first - 1 + (sa_numbered(dp, s) - s->seq_count0);
    }
    return 0;
}

int
dp_esp_sa_seq_jump(struct dp *dp, uint32_t spi, uint64_t next)
{
    struct esp *esp = dp->esp;
    int i = esp ? sa_index(esp, spi) : -1;
    struct esp_sa *old, *s;
    struct dp_esp_sa_seq cur;
    int ret;

    if (i < 0) {
        return ENOENT;
    }
    old = esp->sas[i];
    dp_esp_sa_seq(dp, spi, &cur);
    if (next <= cur.seq || (!old->conf.esn && next > UINT32_MAX)) {
        return EINVAL;
    }
    s = rte_zmalloc("esp_sa", sizeof *s, RTE_CACHE_LINE_SIZE);
    if (!s) {
        return ENOMEM;
    }
    /* The same SA (its crypto session, counters, install order) but a new rte_ipsec SA. */
    memcpy(s, old, sizeof *s);
    s->ipsec = NULL;
    rte_spinlock_init(&s->inbound_lock);
    s->seq_first = next;
    s->seq_count0 = sa_numbered(dp, old);
    if (s->conf.inbound) {
        s->highest_seq = (uint32_t)next;
    }
    ret = sa_build(esp, &s->conf, s, true);
    if (!ret) {
        ret = rcu_table_set(esp->by_spi, &spi, &s);
    }
    if (ret) {
        s->crypto_ses = NULL; /* Still the old one's. */
        sa_free(esp, s);
        return ret;
    }
    esp->sas[i] = s;
    if (!s->conf.inbound) {
        reqid_refresh(esp, s->conf.reqid);
    }
    rte_rcu_qsbr_synchronize(dp->qsbr, RTE_QSBR_THRID_INVALID);
    old->crypto_ses = NULL; /* Now the new one's. */
    sa_free(esp, old);
    return 0;
}

/* Sums the workers' counters of 's'. */
static void
sa_stats(const struct dp *dp, const struct esp_sa *s, struct dp_esp_sa_stats *out)
{
    memset(out, 0, sizeof *out);
    for (unsigned w = 0; w < dp->params.n_workers && w < DP_MAX_WORKERS; w++) {
        const struct esp_sa_worker *st = &s->st[w];
        uint64_t t = __atomic_load_n(&st->last_tsc, __ATOMIC_RELAXED);
        out->bytes += __atomic_load_n(&st->bytes, __ATOMIC_RELAXED);
        out->packets += __atomic_load_n(&st->packets, __ATOMIC_RELAXED);
        out->drops += __atomic_load_n(&st->drops, __ATOMIC_RELAXED);
        out->last_used = t > out->last_used ? t : out->last_used;
    }
}

int
dp_esp_sa_query(struct dp *dp, uint32_t spi, struct dp_esp_sa_stats *out)
{
    int i = dp->esp ? sa_index(dp->esp, spi) : -1;

    if (i < 0) {
        return ENOENT;
    }
    sa_stats(dp, dp->esp->sas[i], out);
    return 0;
}

void
dp_esp_sa_iterate(struct dp *dp,
                  bool (*fn)(const struct dp_esp_sa *sa, const struct dp_esp_sa_stats *st,
                             void *aux),
                  void *aux)
{
    for (uint32_t i = 0; dp->esp && i < dp->esp->n_sas; i++) {
        struct dp_esp_sa_stats st;
        sa_stats(dp, dp->esp->sas[i], &st);
        if (!fn(&dp->esp->sas[i]->conf, &st, aux)) {
            return;
        }
    }
}

int
dp_esp_local_add(struct dp *dp, uint32_t addr)
{
    struct esp *esp = dp->esp;

    if (!esp) {
        return ENOTSUP;
    }
    if (esp_is_local(esp, addr)) {
        return EEXIST;
    }
    if (esp->n_local == ESP_LOCAL_MAX) {
        return ENOSPC;
    }
    esp->local[esp->n_local] = addr;
    __atomic_store_n(&esp->n_local, esp->n_local + 1, __ATOMIC_RELEASE);
    return 0;
}

int
dp_esp_local_del(struct dp *dp, uint32_t addr)
{
    struct esp *esp = dp->esp;

    for (uint32_t i = 0; esp && i < esp->n_local; i++) {
        if (esp->local[i] == addr) {
            /* Workers may briefly miss the address that moves into the gap: harmless for a
             * change that only an operator's reconfiguration makes. */
            esp->local[i] = esp->local[esp->n_local - 1];
            __atomic_store_n(&esp->n_local, esp->n_local - 1, __ATOMIC_RELEASE);
            return 0;
        }
    }
    return ENOENT;
}
