/* SPDX-License-Identifier: Apache-2.0 */
/* The VPN commands of the control socket (see vpn_cli.h). */
#include "vpn/vpn_cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "lib/log.h"

static const char *
arg(json_t *args, const char *key)
{
    json_t *v = json_object_get(args, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static const char *
cipher_text(const struct dp_esp_sa *sa)
{
    if (sa->cipher == DP_ESP_AES_GCM_16) {
        return sa->key_len == 36 ? "aes256gcm16" : "aes128gcm16";
    }
    return sa->key_len == 32 ? "aes256-sha256" : "aes128-sha256";
}

/* dp_esp_sa_iterate() callback: one row per data-plane SA, or the counters of one SPI. */
struct sa_rows {
    json_t *arr;                  /* Rows, or NULL when looking for 'spi'. */
    const struct vpn_service *vs; /* For tenant names. */
    uint32_t spi;                 /* Looked for. */
    struct dp_esp_sa_stats st;    /* Its counters. */
    bool found;                   /* It exists. */
};

static bool
sa_row(const struct dp_esp_sa *sa, const struct dp_esp_sa_stats *st, void *aux)
{
    struct sa_rows *r = aux;
    const struct vpn_tenant *t = NULL;
    char local[INET_ADDRSTRLEN], remote[INET_ADDRSTRLEN], spi[12];
    json_t *o;

    if (!r->arr) {
        if (sa->spi == r->spi) {
            r->st = *st;
            r->found = true;
            return false;
        }
        return true;
    }
    for (size_t i = 0; i < r->vs->n_tenants && !t; i++) {
        t = r->vs->tenants[i].id == sa->tenant ? &r->vs->tenants[i] : NULL;
    }
    inet_ntop(AF_INET, &sa->local, local, sizeof local);
    inet_ntop(AF_INET, &sa->remote, remote, sizeof remote);
    snprintf(spi, sizeof spi, "%08x", sa->spi);
    o = json_object();
    json_object_set_new(o, "spi", json_string(spi));
    json_object_set_new(o, "dir", json_string(sa->inbound ? "in" : "out"));
    json_object_set_new(o, "tenant", json_string(t ? t->name : "?"));
    json_object_set_new(o, "reqid", json_integer(sa->reqid));
    json_object_set_new(o, "local", json_string(local));
    json_object_set_new(o, "remote", json_string(remote));
    json_object_set_new(o, "cipher", json_string(cipher_text(sa)));
    json_object_set_new(o, "udp_encap", json_boolean(sa->encap_local_port != 0));
    json_object_set_new(o, "esn", json_boolean(sa->esn));
    json_object_set_new(o, "packets", json_integer((json_int_t)st->packets));
    json_object_set_new(o, "bytes", json_integer((json_int_t)st->bytes));
    json_object_set_new(o, "drops", json_integer((json_int_t)st->drops));
    json_array_append_new(r->arr, o);
    return true;
}

/* The data plane's counters of SA 'spi' (zeros when it has none). */
static struct dp_esp_sa_stats
sa_counters(const struct vpn_service *vs, uint32_t spi)
{
    struct sa_rows r = {.vs = vs, .spi = spi};

    if (spi) {
        dp_esp_sa_iterate(vs->dp, sa_row, &r);
    }
    return r.st;
}

static int
show_vpn(json_t *args, json_t **result, char *err, void *aux)
{
    struct vpn_service *vs = aux;
    const char *tenant = arg(args, "tenant");
    time_t now = time(NULL);
    json_t *arr = json_array();

    (void)err;
    for (size_t i = 0; i < vs->n_tunnels; i++) {
        const struct vpn_tunnel_state *t = &vs->tunnels[i];
        struct dp_esp_sa_stats in = sa_counters(vs, t->spi_in), out = sa_counters(vs, t->spi_out);
        char remote[48], spi_in[12], spi_out[12];
        json_t *o;

        if (tenant && strcmp(tenant, t->tenant->name)) {
            continue;
        }
        if (t->conf->remote_any) {
            snprintf(remote, sizeof remote, "%%any");
        } else {
            inet_ntop(AF_INET, &t->conf->remote_address.v4, remote, sizeof remote);
        }
        snprintf(spi_in, sizeof spi_in, "%08x", t->spi_in);
        snprintf(spi_out, sizeof spi_out, "%08x", t->spi_out);
        o = json_object();
        json_object_set_new(o, "tenant", json_string(t->tenant->name));
        json_object_set_new(o, "tunnel", json_string(t->conf->name));
        json_object_set_new(o, "remote", json_string(remote));
        json_object_set_new(o, "mode", json_string(vpn_mode_name(t->conf->mode)));
        json_object_set_new(o, "ike", json_string(t->ike_state));
        json_object_set_new(o, "child", json_string(t->child_state));
        json_object_set_new(o, "reqid", json_integer(t->conf->reqid));
        json_object_set_new(o, "spi_in", json_string(spi_in));
        json_object_set_new(o, "spi_out", json_string(spi_out));
        json_object_set_new(o, "packets_in", json_integer((json_int_t)in.packets));
        json_object_set_new(o, "bytes_in", json_integer((json_int_t)in.bytes));
        json_object_set_new(o, "packets_out", json_integer((json_int_t)out.packets));
        json_object_set_new(o, "bytes_out", json_integer((json_int_t)out.bytes));
        json_object_set_new(o, "child_age_s",
                            json_integer(t->spi_in ? (json_int_t)(now - t->child_since) : 0));
        /* charon rekeys a little before this, by up to its jitter (10% by default). */
        json_object_set_new(
            o, "child_rekey_in_s",
            json_integer(t->spi_in ? (json_int_t)(t->child_since + t->conf->child_lifetime - now)
                                   : 0));
        json_object_set_new(o, "child_rekeys", json_integer(t->child_rekeys));
        json_object_set_new(o, "ike_rekeys", json_integer(t->ike_rekeys));
        json_object_set_new(o, "held_down", json_boolean(t->held_down));
        json_object_set_new(o, "retries", json_integer(t->retries));
        json_array_append_new(arr, o);
    }
    *result = arr;
    return 0;
}

static int
show_vpn_sas(json_t *args, json_t **result, char *err, void *aux)
{
    const struct vpn_service *vs = aux;
    struct sa_rows r = {.vs = vs, .arr = json_array()};

    (void)args;
    (void)err;
    dp_esp_sa_iterate(vs->dp, sa_row, &r);
    *result = r.arr;
    return 0;
}

/* The tunnel named by tenant= and tunnel=, or NULL with 'err' written. */
static struct vpn_tunnel_state *
tunnel_arg(struct vpn_service *vs, json_t *args, char *err)
{
    const char *tenant = arg(args, "tenant"), *name = arg(args, "tunnel");
    struct vpn_tunnel_state *t = tenant && name ? vpn_find_tunnel(vs, tenant, name) : NULL;

    if (!t) {
        snprintf(err, VPN_CLI_ERR_MAX, "tenant=%s tunnel=%s: no such tunnel", tenant ? tenant : "?",
                 name ? name : "?");
    }
    return t;
}

static int
vpn_up(json_t *args, json_t **result, char *err, void *aux)
{
    struct vpn_service *vs = aux;
    struct vpn_tunnel_state *t = tunnel_arg(vs, args, err);
    int ret = t ? vpn_initiate(vs, t, err) : ENOENT;

    if (!ret) {
        log_info("vpn: tenant %s tunnel %s: initiate requested", t->tenant->name, t->conf->name);
        *result = json_pack("{s:s}", "initiating", t->conf->name);
    }
    return ret;
}

static int
vpn_down(json_t *args, json_t **result, char *err, void *aux)
{
    struct vpn_service *vs = aux;
    struct vpn_tunnel_state *t = tunnel_arg(vs, args, err);
    int ret = t ? vpn_terminate(vs, t, err) : ENOENT;

    if (!ret) {
        log_info("vpn: tenant %s tunnel %s: terminate requested", t->tenant->name, t->conf->name);
        *result = json_pack("{s:s}", "terminating", t->conf->name);
    }
    return ret;
}

const struct vpn_cli_command vpn_cli_commands[] = {
    {"show vpn",
     "site-to-site tunnels: IKE and CHILD state, SPIs, counters, rekey times [tenant=NAME]",
     show_vpn},
    {"show vpn sas", "the data plane's ESP SAs: SPI, tenant, tunnel, cipher, counters",
     show_vpn_sas},
    {"vpn initiate", "bring a tunnel up: tenant=NAME tunnel=NAME", vpn_up},
    {"vpn terminate",
     "tear a tunnel down; it stays down until vpn initiate: tenant=NAME tunnel=NAME", vpn_down},
};
const size_t vpn_cli_n_commands = sizeof vpn_cli_commands / sizeof vpn_cli_commands[0];
