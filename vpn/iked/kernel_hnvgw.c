/* SPDX-License-Identifier: Apache-2.0 */
/* hnvgw-iked's kernel_ipsec_t (see kernel_hnvgw.h). */
#include "vpn/iked/kernel_hnvgw.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <collections/linked_list.h>
#include <daemon.h>
#include <processing/jobs/callback_job.h>
#include <threading/mutex.h>

#include "vpn/iked/kipsec_client.h"

#define VOLUME_POLL_S 2 /* How often volume limits are checked against hnvgwd's counters. */

static char socket_path[108] = "/run/hnvgw/ike/kipsec.sock";

void
kernel_hnvgw_set_socket(const char *path)
{
    snprintf(socket_path, sizeof socket_path, "%s", path);
}

/* What the backend remembers of an installed SA: its lifetimes. */
typedef struct {
    uint32_t spi;          /* Host order. */
    uint32_t if_id;        /* The connection's if_id. */
    bool inbound;          /* Direction: an inbound SA's destination is our address. */
    host_t *dst;           /* The SA's destination, for expire(). */
    uint64_t gen;          /* Install number: expiry jobs of a deleted SA find none. */
    uint64_t soft_bytes;   /* Volume limits, 0: none. */
    uint64_t hard_bytes;   /* */
    uint64_t soft_packets; /* */
    uint64_t hard_packets; /* */
    bool soft_raised;      /* The soft (rekey) expire was raised. */
    unsigned raised_poll;  /* The volume poll that raised it: one step per SA and poll. */
    uint64_t last_packets; /* Packets at the last query. */
    time_t last_use;       /* Monotonic time packets were last seen to grow, 0: never. */
} sa_rec_t;

typedef struct {
    kernel_ipsec_t public;        /* The interface. */
    struct kipsec_client *client; /* hnvgwd. */
    mutex_t *mutex;               /* Protects sas and gen. */
    linked_list_t *sas;           /* sa_rec_t, installed SAs. */
    uint64_t gen;                 /* Last install number. */
} private_kernel_hnvgw_t;

/* The one backend (expiry jobs find it here). */
static private_kernel_hnvgw_t *backend;

static void
rec_destroy(sa_rec_t *r)
{
    r->dst->destroy(r->dst);
    free(r);
}

/* The record of 'spi', or NULL; with the mutex held. */
static sa_rec_t *
rec_find(private_kernel_hnvgw_t *this, uint32_t spi)
{
    enumerator_t *e = this->sas->create_enumerator(this->sas);
    sa_rec_t *r, *found = NULL;

    while (e->enumerate(e, &r)) {
        if (r->spi == spi) {
            found = r;
            break;
        }
    }
    e->destroy(e);
    return found;
}

/* One request to hnvgwd; returns its error (0 on success), or EIO when it could not be asked. */
static int
call(private_kernel_hnvgw_t *this, struct kipsec_request *req, struct kipsec_reply *rep)
{
    int ret = kipsec_client_call(this->client, req, rep);

    if (ret) {
        DBG1(DBG_KNL, "hnvgw: data plane unreachable (%s)", strerror(ret));
        return EIO;
    }
    return rep->err;
}

/* A scheduled time expiry. */
typedef struct {
    uint32_t spi; /* Host order. */
    uint64_t gen; /* The install it belongs to. */
    bool hard;    /* Hard (delete) or soft (rekey). */
} expire_job_t;

static job_requeue_t
expire_cb(expire_job_t *job)
{
    host_t *dst = NULL;
    sa_rec_t *r;

    backend->mutex->lock(backend->mutex);
    r = rec_find(backend, job->spi);
    if (r && r->gen == job->gen) {
        dst = r->dst->clone(r->dst);
    }
    backend->mutex->unlock(backend->mutex);
    if (dst) {
        DBG1(DBG_KNL, "hnvgw: SA spi %.8x reached its %s lifetime", job->spi,
             job->hard ? "hard" : "soft");
        charon->kernel->expire(charon->kernel, IPPROTO_ESP, htonl(job->spi), dst, job->hard);
        dst->destroy(dst);
    }
    return JOB_REQUEUE_NONE;
}

static void
schedule_expire(uint32_t spi, uint64_t gen, bool hard, uint64_t seconds)
{
    expire_job_t *job;

    if (!seconds) {
        return;
    }
    INIT(job, .spi = spi, .gen = gen, .hard = hard, );
    lib->scheduler->schedule_job(
        lib->scheduler, (job_t *)callback_job_create((callback_job_cb_t)expire_cb, job, free, NULL),
        (uint32_t)seconds);
}

/* Checks volume limits against hnvgwd's counters; requeued every VOLUME_POLL_S. */
static job_requeue_t
volume_cb(void *data)
{
    static unsigned poll;

    (void)data;
    poll++;
    for (;;) {
        struct kipsec_request req = {.op = KIPSEC_QUERY_SA};
        struct kipsec_reply rep;
        enumerator_t *e;
        sa_rec_t *r, *due = NULL;
        bool hard = false;
        host_t *dst = NULL;
        uint32_t spi = 0;

        /* Find one SA over a limit, raise it, and look again (expire() may delete SAs). */
        backend->mutex->lock(backend->mutex);
        e = backend->sas->create_enumerator(backend->sas);
        while (!due && e->enumerate(e, &r)) {
            if ((!r->soft_bytes && !r->hard_bytes && !r->soft_packets && !r->hard_packets) ||
                r->raised_poll == poll) {
                continue;
            }
            req.id.spi = r->spi;
            req.id.if_id = r->if_id;
            if (call(backend, &req, &rep)) {
                continue;
            }
            bool over_soft = (r->soft_bytes && rep.stats.bytes >= r->soft_bytes) ||
                             (r->soft_packets && rep.stats.packets >= r->soft_packets);
            bool over_hard = (r->hard_bytes && rep.stats.bytes >= r->hard_bytes) ||
                             (r->hard_packets && rep.stats.packets >= r->hard_packets);

            /* Soft first, always: an SA that blew through both limits between two polls is
             * rekeyed, and only deleted if it is still in use at the next poll. */
            if ((over_soft || over_hard) && !r->soft_raised) {
                hard = false;
                r->soft_raised = true;
            } else if (over_hard) {
                hard = true;
                r->soft_bytes = r->hard_bytes = r->soft_packets = r->hard_packets = 0;
            } else {
                continue;
            }
            r->raised_poll = poll;
            due = r;
            spi = r->spi;
            dst = r->dst->clone(r->dst);
        }
        e->destroy(e);
        backend->mutex->unlock(backend->mutex);
        if (!due) {
            return JOB_RESCHEDULE(VOLUME_POLL_S);
        }
        DBG1(DBG_KNL, "hnvgw: SA spi %.8x reached its %s volume limit", spi,
             hard ? "hard" : "soft");
        charon->kernel->expire(charon->kernel, IPPROTO_ESP, htonl(spi), dst, hard);
        dst->destroy(dst);
    }
}

METHOD(kernel_ipsec_t, get_features, kernel_feature_t, private_kernel_hnvgw_t *this)
{
    (void)this;
    return KERNEL_POLICY_SPI;
}

METHOD(kernel_ipsec_t, get_spi, status_t, private_kernel_hnvgw_t *this, host_t *src, host_t *dst,
       uint8_t protocol, uint32_t *spi)
{
    struct kipsec_request req = {.op = KIPSEC_GET_SPI};
    struct kipsec_reply rep;

    (void)src;
    (void)dst;
    if (protocol != IPPROTO_ESP || call(this, &req, &rep)) {
        return FAILED;
    }
    *spi = htonl(rep.spi);
    return SUCCESS;
}

METHOD(kernel_ipsec_t, get_cpi, status_t, private_kernel_hnvgw_t *this, host_t *src, host_t *dst,
       uint16_t *cpi)
{
    (void)this;
    (void)src;
    (void)dst;
    (void)cpi;
    return NOT_SUPPORTED;
}

/* Copies the IPv4 subnets of 'list' (traffic_selector_t) into 'out'; returns how many. */
static uint8_t
selectors(linked_list_t *list, struct dp_esp_ts *out)
{
    enumerator_t *e = list->create_enumerator(list);
    traffic_selector_t *ts;
    uint8_t n = 0;

    while (n < DP_ESP_TS_MAX && e->enumerate(e, &ts)) {
        host_t *net;
        uint8_t mask;

        if (ts->get_type(ts) != TS_IPV4_ADDR_RANGE) {
            continue;
        }
        ts->to_subnet(ts, &net, &mask);
        memcpy(&out[n].prefix, net->get_address(net).ptr, 4);
        out[n++].plen = mask;
        net->destroy(net);
    }
    e->destroy(e);
    return n;
}

static uint32_t
addr4(host_t *h)
{
    uint32_t a = 0;
    chunk_t c = h->get_address(h);
    if (c.len == 4) {
        memcpy(&a, c.ptr, 4);
    }
    return a;
}

METHOD(kernel_ipsec_t, add_sa, status_t, private_kernel_hnvgw_t *this, kernel_ipsec_sa_id_t *id,
       kernel_ipsec_add_sa_t *data)
{
    struct kipsec_request req = {.op = KIPSEC_ADD_SA};
    struct kipsec_reply rep;
    struct dp_esp_sa *sa = &req.sa.sa;
    host_t *local = data->inbound ? id->dst : id->src, *remote = data->inbound ? id->src : id->dst;
    sa_rec_t *r;
    int ret;

    if (id->proto != IPPROTO_ESP || data->mode != MODE_TUNNEL || data->ipcomp ||
        local->get_family(local) != AF_INET || remote->get_family(remote) != AF_INET) {
        DBG1(DBG_KNL, "hnvgw: only IPv4 ESP in tunnel mode without IPComp is supported");
        return NOT_SUPPORTED;
    }
    if (data->enc_alg == ENCR_AES_GCM_ICV16 &&
        (data->enc_key.len == 20 || data->enc_key.len == 36)) {
        sa->cipher = DP_ESP_AES_GCM_16;
    } else if (data->enc_alg == ENCR_AES_CBC && data->int_alg == AUTH_HMAC_SHA2_256_128 &&
               (data->enc_key.len == 16 || data->enc_key.len == 32) && data->int_key.len == 32) {
        sa->cipher = DP_ESP_AES_CBC_HMAC_SHA256;
        memcpy(sa->auth_key, data->int_key.ptr, 32);
        sa->auth_key_len = 32;
    } else {
        DBG1(DBG_KNL,
             "hnvgw: %N/%N is not supported by the data plane (AES-GCM-16, or AES-CBC "
             "with HMAC-SHA-256-128)",
             encryption_algorithm_names, data->enc_alg, integrity_algorithm_names, data->int_alg);
        return NOT_SUPPORTED;
    }
    memcpy(sa->key, data->enc_key.ptr, data->enc_key.len); /* GCM: the salt is its last 4. */
    sa->key_len = (uint8_t)data->enc_key.len;
    sa->spi = ntohl(id->spi);
    sa->inbound = data->inbound;
    sa->reqid = data->reqid;
    sa->local = addr4(local);
    sa->remote = addr4(remote);
    if (data->encap) {
        sa->encap_local_port = local->get_port(local);
        sa->encap_remote_port = remote->get_port(remote);
    }
    sa->esn = data->esn;
    sa->replay_window = data->inbound ? data->replay_window : 0;
    sa->n_local_ts = selectors(data->inbound ? data->dst_ts : data->src_ts, sa->local_ts);
    sa->n_remote_ts = selectors(data->inbound ? data->src_ts : data->dst_ts, sa->remote_ts);
    req.sa.if_id = id->if_id;
    req.sa.soft_bytes = data->lifetime->bytes.rekey;
    req.sa.hard_bytes = data->lifetime->bytes.life;
    ret = call(this, &req, &rep);
    memwipe(req.sa.sa.key, sizeof req.sa.sa.key);
    memwipe(req.sa.sa.auth_key, sizeof req.sa.sa.auth_key);
    if (ret) {
        DBG1(DBG_KNL, "hnvgw: data plane refused SA spi %.8x (if_id %u, reqid %u): %s",
             ntohl(id->spi), id->if_id, data->reqid, strerror(ret));
        return FAILED;
    }
    INIT(r, .spi = ntohl(id->spi), .if_id = id->if_id, .inbound = data->inbound,
         .dst = id->dst->clone(id->dst), .soft_bytes = data->lifetime->bytes.rekey,
         .hard_bytes = data->lifetime->bytes.life, .soft_packets = data->lifetime->packets.rekey,
         .hard_packets = data->lifetime->packets.life, );
    this->mutex->lock(this->mutex);
    r->gen = ++this->gen;
    this->sas->insert_last(this->sas, r);
    this->mutex->unlock(this->mutex);
    schedule_expire(r->spi, r->gen, FALSE, data->lifetime->time.rekey);
    schedule_expire(r->spi, r->gen, TRUE, data->lifetime->time.life);
    DBG2(DBG_KNL, "hnvgw: SA spi %.8x installed (if_id %u, reqid %u)", r->spi, id->if_id,
         data->reqid);
    return SUCCESS;
}

METHOD(kernel_ipsec_t, update_sa, status_t, private_kernel_hnvgw_t *this, kernel_ipsec_sa_id_t *id,
       kernel_ipsec_update_sa_t *data)
{
    struct kipsec_request req = {.op = KIPSEC_UPDATE_SA};
    struct kipsec_reply rep;
    sa_rec_t *r;

    /* The SA's direction decides which new address is ours: the destination of an inbound SA. */
    req.update.id.spi = ntohl(id->spi);
    req.update.id.if_id = id->if_id;
    bool inbound = false;
    host_t *local, *remote;

    this->mutex->lock(this->mutex);
    r = rec_find(this, ntohl(id->spi));
    if (r) {
        inbound = r->inbound;
        r->dst->destroy(r->dst);
        r->dst = data->new_dst->clone(data->new_dst);
    }
    this->mutex->unlock(this->mutex);
    local = inbound ? data->new_dst : data->new_src;
    remote = inbound ? data->new_src : data->new_dst;
    req.update.local = addr4(local);
    req.update.remote = addr4(remote);
    if (data->new_encap) {
        req.update.encap_local_port = local->get_port(local);
        req.update.encap_remote_port = remote->get_port(remote);
    }
    return call(this, &req, &rep) ? FAILED : SUCCESS;
}

METHOD(kernel_ipsec_t, query_sa, status_t, private_kernel_hnvgw_t *this, kernel_ipsec_sa_id_t *id,
       kernel_ipsec_query_sa_t *data, uint64_t *bytes, uint64_t *packets, time_t *time)
{
    struct kipsec_request req = {.op = KIPSEC_QUERY_SA};
    struct kipsec_reply rep;
    sa_rec_t *r;

    (void)data;
    req.id.spi = ntohl(id->spi);
    req.id.if_id = id->if_id;
    if (call(this, &req, &rep)) {
        return FAILED;
    }
    if (bytes) {
        *bytes = rep.stats.bytes;
    }
    if (packets) {
        *packets = rep.stats.packets;
    }
    this->mutex->lock(this->mutex);
    r = rec_find(this, ntohl(id->spi));
    if (r && rep.stats.packets != r->last_packets) {
        r->last_packets = rep.stats.packets;
        r->last_use = time_monotonic(NULL);
    }
    if (time) {
        *time = r ? r->last_use : 0;
    }
    this->mutex->unlock(this->mutex);
    return SUCCESS;
}

METHOD(kernel_ipsec_t, del_sa, status_t, private_kernel_hnvgw_t *this, kernel_ipsec_sa_id_t *id,
       kernel_ipsec_del_sa_t *data)
{
    struct kipsec_request req = {.op = KIPSEC_DEL_SA};
    struct kipsec_reply rep;
    sa_rec_t *r;
    int ret;

    (void)data;
    this->mutex->lock(this->mutex);
    r = rec_find(this, ntohl(id->spi));
    if (r) {
        this->sas->remove(this->sas, r, NULL);
        rec_destroy(r);
    }
    this->mutex->unlock(this->mutex);
    req.id.spi = ntohl(id->spi);
    req.id.if_id = id->if_id;
    ret = call(this, &req, &rep);
    return ret && ret != ENOENT ? FAILED : SUCCESS;
}

METHOD(kernel_ipsec_t, flush_sas, status_t, private_kernel_hnvgw_t *this)
{
    (void)this;
    return SUCCESS;
}

/* Sends a policy to hnvgwd (for its records and checks). */
static status_t
policy(private_kernel_hnvgw_t *this, uint16_t op, kernel_ipsec_policy_id_t *id,
       kernel_ipsec_manage_policy_t *data)
{
    struct kipsec_request req = {.op = op};
    struct kipsec_reply rep;
    host_t *net;
    uint8_t mask;

    if (id->src_ts->get_type(id->src_ts) != TS_IPV4_ADDR_RANGE) {
        return SUCCESS; /* IPv6 selectors: nothing the data plane routes. */
    }
    req.policy.dir = id->dir == POLICY_IN    ? KIPSEC_DIR_IN
                     : id->dir == POLICY_OUT ? KIPSEC_DIR_OUT
                                             : KIPSEC_DIR_FWD;
    id->src_ts->to_subnet(id->src_ts, &net, &mask);
    memcpy(&req.policy.src, net->get_address(net).ptr, 4);
    req.policy.src_plen = mask;
    net->destroy(net);
    id->dst_ts->to_subnet(id->dst_ts, &net, &mask);
    memcpy(&req.policy.dst, net->get_address(net).ptr, 4);
    req.policy.dst_plen = mask;
    net->destroy(net);
    req.policy.if_id = id->if_id;
    req.policy.reqid = data->sa ? data->sa->reqid : 0;
    req.policy.spi = data->sa && data->sa->esp.use ? ntohl(data->sa->esp.spi) : 0;
    return call(this, &req, &rep) && op == KIPSEC_ADD_POLICY ? FAILED : SUCCESS;
}

METHOD(kernel_ipsec_t, add_policy, status_t, private_kernel_hnvgw_t *this,
       kernel_ipsec_policy_id_t *id, kernel_ipsec_manage_policy_t *data)
{
    return policy(this, KIPSEC_ADD_POLICY, id, data);
}

METHOD(kernel_ipsec_t, query_policy, status_t, private_kernel_hnvgw_t *this,
       kernel_ipsec_policy_id_t *id, kernel_ipsec_query_policy_t *data, time_t *use_time)
{
    (void)this;
    (void)id;
    (void)data;
    (void)use_time;
    return NOT_SUPPORTED;
}

METHOD(kernel_ipsec_t, del_policy, status_t, private_kernel_hnvgw_t *this,
       kernel_ipsec_policy_id_t *id, kernel_ipsec_manage_policy_t *data)
{
    return policy(this, KIPSEC_DEL_POLICY, id, data);
}

METHOD(kernel_ipsec_t, flush_policies, status_t, private_kernel_hnvgw_t *this)
{
    (void)this;
    return SUCCESS;
}

METHOD(kernel_ipsec_t, bypass_socket, bool, private_kernel_hnvgw_t *this, int fd, int family)
{
    (void)this;
    (void)fd;
    (void)family;
    return TRUE; /* IKE packets never meet a policy: the data plane punts them before any. */
}

METHOD(kernel_ipsec_t, enable_udp_decap, bool, private_kernel_hnvgw_t *this, int fd, int family,
       uint16_t port)
{
    (void)this;
    (void)fd;
    (void)family;
    (void)port;
    return TRUE; /* ESP in UDP is the data plane's: it never reaches this socket. */
}

METHOD(kernel_ipsec_t, destroy, void, private_kernel_hnvgw_t *this)
{
    this->sas->destroy_function(this->sas, (void *)rec_destroy);
    this->mutex->destroy(this->mutex);
    kipsec_client_close(this->client);
    backend = NULL;
    free(this);
}

kernel_ipsec_t *
kernel_hnvgw_create(void)
{
    private_kernel_hnvgw_t *this;
    struct kipsec_client *client = kipsec_client_open(socket_path, 30);

    if (!client) {
        DBG0(DBG_KNL, "hnvgw: cannot reach hnvgwd's data plane at %s: %s", socket_path,
             strerror(errno));
        return NULL;
    }
    INIT(this,
         .public =
             {
                 .get_features = _get_features,
                 .get_spi = _get_spi,
                 .get_cpi = _get_cpi,
                 .add_sa = _add_sa,
                 .update_sa = _update_sa,
                 .query_sa = _query_sa,
                 .del_sa = _del_sa,
                 .flush_sas = _flush_sas,
                 .add_policy = _add_policy,
                 .query_policy = _query_policy,
                 .del_policy = _del_policy,
                 .flush_policies = _flush_policies,
                 .bypass_socket = _bypass_socket,
                 .enable_udp_decap = _enable_udp_decap,
                 .destroy = _destroy,
             },
         .client = client, .mutex = mutex_create(MUTEX_TYPE_DEFAULT),
         .sas = linked_list_create(), );
    backend = this;
    lib->scheduler->schedule_job(
        lib->scheduler, (job_t *)callback_job_create(volume_cb, NULL, NULL, NULL), VOLUME_POLL_S);
    return &this->public;
}
