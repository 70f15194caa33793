/* NAT44 tables and control API (interface stub; the implementation follows). */
#include <errno.h>

#include "dp_internal.h"

int
dp_nat_tenant_set(struct dp *dp, const struct dp_nat_conf *conf)
{
    (void)dp, (void)conf;
    return ENOTSUP;
}

int
dp_nat_static_add(struct dp *dp, const struct dp_nat_static *st)
{
    (void)dp, (void)st;
    return ENOTSUP;
}

int
dp_nat_usage(const struct dp *dp, uint16_t tenant, struct dp_nat_usage *out)
{
    (void)dp, (void)tenant, (void)out;
    return ENOENT;
}

size_t
dp_nat_tenants(const struct dp *dp, uint16_t *out, size_t max)
{
    (void)dp, (void)out, (void)max;
    return 0;
}

const struct dp_nat_conf *
dp_nat_conf_get(const struct dp *dp, uint16_t tenant)
{
    (void)dp, (void)tenant;
    return NULL;
}

size_t
dp_nat_pools(const struct dp *dp, struct dp_nat_pool_info *out, size_t max)
{
    (void)dp, (void)out, (void)max;
    return 0;
}

size_t
dp_nat_sessions(struct dp *dp, const struct dp_nat_filter *f, struct dp_nat_session_info *out,
                size_t max)
{
    (void)dp, (void)f, (void)out, (void)max;
    return 0;
}

size_t
dp_nat_clear(struct dp *dp, const struct dp_nat_filter *f)
{
    (void)dp, (void)f;
    return 0;
}

uint64_t
dp_nat_log_drain(struct dp *dp, void (*fn)(const struct dp_nat_log *, void *aux), void *aux)
{
    (void)dp, (void)fn, (void)aux;
    return 0;
}

const char *
dp_nat_tcp_state_name(enum dp_nat_tcp_state s)
{
    static const char *const names[] = {"-",        "syn-sent",  "established",
                                        "fin-wait", "time-wait", "reset"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}
