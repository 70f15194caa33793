/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of the VICI client (vpn/vici.c) against stock strongSwan charons.
 *
 * The group setup starts two charons (/usr/lib/ipsec/charon) in a private network namespace, each
 * in its own mount namespace (so each has its own /run for its pid file and stroke socket):
 * - "gw", the one hnvgwd would drive, on the usual ports, with the tenants' tunnel addresses
 *   198.18.0.10 (contoso) and 198.18.0.12 (northwind) on the namespace's loopback;
 * - "peer", on ports 1500/14500, with 198.18.0.11, playing contoso's remote site. Its
 *   connection is loaded with the same client code, from tenant "peer" of the same config.
 * Both use kernel-libipsec (ESP in user space) so that CHILD_SAs install without kernel XFRM
 * modules; kernel-libipsec routes into its TUN device, so each end needs an address in each
 * of its local selectors. The test loads tenants, checks what charon made of them (list-conns,
 * list-sas), watches the peer bring contoso's tunnel up (events), initiates northwind's tunnel
 * towards an unreachable peer (CONNECTING), terminates it, and unloads everything.
 *
 * Every process started is killed by PID in the group teardown; the namespaces die with them.
 * Without root or without charon the tests are skipped. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "gateway/config.h"
#include "vpn/vici.h"

#define CHARON "/usr/lib/ipsec/charon"
#define PSK    "Zx8-kQ2!mP5#tR7w"

/* One charon. */
struct daemon {
    pid_t pid;        /* 0 when not running. */
    char conf[300];   /* Its strongswan.conf. */
    char socket[100]; /* Its VICI socket path (fits sun_path). */
    char uri[320];    /* unix://socket */
    char log[300];    /* Its log file. */
};

/* The group's state. */
struct env {
    bool ready;               /* Both charons run: the tests may run. */
    char dir[64];             /* Temporary directory. */
    struct daemon gw, peer;   /* The charons. */
    struct hnvgw_config *cfg; /* Tenants contoso (1), peer (2), northwind (3). */
    struct vici_client *vc;   /* Client of gw. */
    struct vici_client *vp;   /* Client of peer. */
};

static struct env env;

/* ---- Helpers ---- */

/* Runs 'cmd' with /bin/sh; returns its exit status. */
static int
run(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

static void
write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* Writes the strongswan.conf of daemon 'd' named 'name' with IKE ports 'port'/'natt'. */
static void
write_conf(struct daemon *d, const char *name, unsigned port, unsigned natt)
{
    char text[2048];

    snprintf(d->conf, sizeof d->conf, "%s/%s.conf", env.dir, name);
    snprintf(d->socket, sizeof d->socket, "%s/%s.vici", env.dir, name);
    snprintf(d->uri, sizeof d->uri, "unix://%s", d->socket);
    snprintf(d->log, sizeof d->log, "%s/%s.log", env.dir, name);
    snprintf(text, sizeof text,
             "charon {\n"
             "  load = random nonce openssl pem pkcs1 pkcs8 x509 constraints pubkey aes sha1 sha2 "
             "hmac gcm kdf kernel-libipsec kernel-netlink socket-default vici\n"
             "  port = %u\n"
             "  port_nat_t = %u\n"
             "  plugins {\n    vici {\n      socket = unix://%s\n    }\n  }\n"
             "  filelog {\n    log {\n      path = %s\n      default = 1\n      ike = 2\n"
             "      time_format = %%T\n    }\n  }\n"
             "  syslog {\n    daemon {\n      default = -1\n    }\n  }\n"
             "}\n",
             port, natt, d->socket, d->log);
    write_file(d->conf, text);
}

/* Runs 'argv' and waits; for the child before exec, single-threaded. */
static int
child_run(char *const argv[])
{
    int status;
    pid_t pid = fork();

    if (pid == 0) {
        execvp(argv[0], argv);
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &status, 0) < 0) {
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Starts charon 'd'. With 'netns_of' 0 it gets a new network namespace with 'addrs' on its
 * loopback; else it joins the network namespace of process 'netns_of'. */
static pid_t
start_charon(struct daemon *d, pid_t netns_of, const char *const *addrs)
{
    pid_t pid = fork();

    if (pid != 0) {
        return pid;
    }
    /* The child: dies with the test, gets its own /run, logs into the temp dir. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    if (netns_of) {
        char ns[64];
        snprintf(ns, sizeof ns, "/proc/%d/ns/net", (int)netns_of);
        fd = open(ns, O_RDONLY);
        if (fd < 0 || setns(fd, CLONE_NEWNET) || unshare(CLONE_NEWNS)) {
            perror("netns");
            _exit(126);
        }
    } else if (unshare(CLONE_NEWNS | CLONE_NEWNET)) {
        perror("unshare");
        _exit(126);
    }
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
        mount("tmpfs", "/run", "tmpfs", 0, "mode=0755")) {
        perror("mount");
        _exit(126);
    }
    if (!netns_of) {
        char *up[] = {"ip", "link", "set", "lo", "up", NULL};
        if (child_run(up)) {
            _exit(125);
        }
        for (size_t i = 0; addrs[i]; i++) {
            char *add[] = {"ip", "addr", "add", (char *)addrs[i], "dev", "lo", NULL};
            if (child_run(add)) {
                _exit(125);
            }
        }
    }
    setenv("STRONGSWAN_CONF", d->conf, 1);
    execl(CHARON, "charon", (char *)NULL);
    perror("exec charon");
    _exit(127);
}

/* Waits up to 10 s for charon 'd' to accept connections on its VICI socket. */
static bool
wait_socket(struct daemon *d)
{
    for (int i = 0; i < 200; i++) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int status;

        memcpy(sa.sun_path, d->socket, sizeof d->socket);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
            close(fd);
            return true;
        }
        if (fd >= 0) {
            close(fd);
        }
        if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
            d->pid = 0;
            return false;
        }
        usleep(50 * 1000);
    }
    return false;
}

static void
stop_charon(struct daemon *d)
{
    int status;

    if (d->pid <= 0) {
        return;
    }
    kill(d->pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
        if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
            d->pid = 0;
            return;
        }
        usleep(50 * 1000);
    }
    kill(d->pid, SIGKILL);
    waitpid(d->pid, &status, 0);
    d->pid = 0;
}

/* The config: contoso (1) and northwind (3) on the gateway, peer (2) as contoso's remote site. */
static const char config_fmt[] =
    "node {\n  roles = {\"gateway\"}\n  provider_addresses = {\"10.0.0.1\"}\n}\n"
    "port \"pa0\" {\n  kind = \"provider\"\n  devargs = \"net_tap0\"\n"
    "  mac = \"02:00:0a:00:00:01\"\n  address = \"10.0.0.1/24\"\n}\n"
    "port \"ext0\" {\n  kind = \"external\"\n  devargs = \"net_tap1\"\n"
    "  mac = \"02:00:0a:63:00:01\"\n  address = \"198.18.0.1/24\"\n}\n"
    "tenant \"contoso\" {\n  id = 1\n"
    "  subnet \"web\" {\n    vsid = 5001\n    prefix = \"10.1.1.0/24\"\n"
    "    gateway_ip = \"10.1.1.1\"\n    gateway_mac = \"02:00:00:00:01:01\"\n  }\n"
    "  subnet \"db\" {\n    vsid = 5002\n    prefix = \"10.1.2.0/24\"\n"
    "    gateway_ip = \"10.1.2.1\"\n    gateway_mac = \"02:00:00:00:02:01\"\n  }\n"
    "  vpn {\n    local_address = \"198.18.0.10\"\n"
    "    tunnel site1 {\n      remote_address = \"198.18.0.11\"\n      psk = \"" PSK "\"\n"
    "      start_action = respond\n      remote_ts = {\"172.16.1.0/24\"}\n"
    "      child_life_bytes = 1073741824\n    }\n"
    "    tunnel dc {\n      remote_address = \"%%any\"\n      psk = \"" PSK "\"\n"
    "      remote_id = \"branch.example\"\n"
    "      start_action = respond\n      mode = route\n      routes = {\"172.20.0.0/16\"}\n"
    "    }\n  }\n}\n"
    "tenant \"peer\" {\n  id = 2\n"
    "  subnet \"lan\" {\n    vsid = 6001\n    prefix = \"172.16.1.0/24\"\n"
    "    gateway_ip = \"172.16.1.1\"\n    gateway_mac = \"02:00:00:00:03:01\"\n  }\n"
    "  vpn {\n    local_address = \"198.18.0.11\"\n"
    "    tunnel contoso {\n      remote_address = \"198.18.0.10\"\n      psk = \"" PSK "\"\n"
    "      remote_ts = {\"10.1.0.0/16\"}\n    }\n  }\n}\n"
    "tenant \"northwind\" {\n  id = 3\n"
    "  subnet \"lan\" {\n    vsid = 7001\n    prefix = \"10.3.0.0/24\"\n"
    "    gateway_ip = \"10.3.0.1\"\n    gateway_mac = \"02:00:00:00:04:01\"\n  }\n"
    "  vpn {\n    local_address = \"198.18.0.12\"\n"
    "    tunnel hq {\n      remote_address = \"198.18.9.9\"\n"
    "      local_id = \"gw.northwind.example\"\n"
    "      remote_id = \"C=US, O=hnvgw test, CN=hq.northwind.example\"\n"
    "      auth = pubkey\n      certificate = \"gw.pem\"\n      private_key = \"gw.key\"\n"
    "      ca_certificate = \"ca.pem\"\n      start_action = respond\n"
    "      esp_proposals = {\"aes128-sha256-modp2048\"}\n"
    "      remote_ts = {\"192.168.50.0/24\"}\n    }\n  }\n}\n";

/* Makes a test CA and a certificate for gw.northwind.example with openssl. */
static int
make_certs(void)
{
    return run("(cd %s && "
               "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
               "-keyout ca.key -out ca.pem -days 2 -subj '/C=US/O=hnvgw test/CN=test CA' "
               "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign,cRLSign "
               "&& openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
               "-keyout gw.key -out gw.csr -subj '/C=US/O=hnvgw test/CN=gw.northwind.example' "
               "&& printf 'subjectAltName=DNS:gw.northwind.example\\n' > gw.ext "
               "&& openssl x509 -req -in gw.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
               "-out gw.pem -days 2 -extfile gw.ext) >%s/openssl.log 2>&1",
               env.dir, env.dir);
}

static int
group_setup(void **state)
{
    static const char *const gw_addrs[] = {"198.18.0.10/32",
                                           "198.18.0.11/32",
                                           "198.18.0.12/32",
                                           "10.1.1.1/32",
                                           "10.1.2.1/32",
                                           "172.16.1.1/32",
                                           NULL};
    char path[128], text[8192], err[CONFIG_ERR_MAX];

    (void)state;
    memset(&env, 0, sizeof env);
    if (geteuid() != 0 || access(CHARON, X_OK)) {
        fprintf(stderr, "test_vici: needs root and %s: skipped\n", CHARON);
        return 0;
    }
    snprintf(env.dir, sizeof env.dir, "/tmp/hnvgw_vici_XXXXXX");
    if (!mkdtemp(env.dir)) {
        return -1;
    }
    if (make_certs()) {
        fprintf(stderr, "test_vici: openssl failed, see %s/openssl.log\n", env.dir);
        return -1;
    }
    snprintf(path, sizeof path, "%s/hnvgw.conf", env.dir);
    snprintf(text, sizeof text, config_fmt);
    write_file(path, text);
    if (config_load(path, &env.cfg, err)) {
        fprintf(stderr, "test_vici: %s\n", err);
        return -1;
    }
    write_conf(&env.gw, "gw", 500, 4500);
    write_conf(&env.peer, "peer", 1500, 14500);
    env.gw.pid = start_charon(&env.gw, 0, gw_addrs);
    if (env.gw.pid < 0 || !wait_socket(&env.gw)) {
        fprintf(stderr, "test_vici: charon did not start, see %s\n", env.gw.log);
        return env.gw.pid > 0 ? -1 : 0; /* No namespaces here: skip. */
    }
    env.peer.pid = start_charon(&env.peer, env.gw.pid, NULL);
    if (env.peer.pid < 0 || !wait_socket(&env.peer)) {
        fprintf(stderr, "test_vici: peer charon did not start, see %s\n", env.peer.log);
        return -1;
    }
    env.ready = true;
    return 0;
}

static int
group_teardown(void **state)
{
    (void)state;
    vici_client_close(env.vc);
    vici_client_close(env.vp);
    stop_charon(&env.peer);
    stop_charon(&env.gw);
    config_destroy(env.cfg);
    if (env.dir[0] && !getenv("HNVGW_KEEP_TMP")) {
        run("rm -rf %s", env.dir);
    }
    return 0;
}

/* The tenant 'name' of the test config, as the VPN service takes it (one of a few buffers, so
 * that two calls in one expression do not overwrite each other). */
static const struct vpn_tenant *
tenant(const char *name)
{
    static struct vpn_tenant ring[4];
    static unsigned next;

    for (size_t i = 0; i < env.cfg->n_tenants; i++) {
        if (!strcmp(env.cfg->tenants[i].name, name)) {
            struct vpn_tenant *t = &ring[next++ % 4];
            snprintf(t->name, sizeof t->name, "%s", name);
            t->id = env.cfg->tenants[i].id;
            t->vpn = env.cfg->tenants[i].vpn;
            return t;
        }
    }
    fail_msg("no tenant %s", name);
    return NULL;
}

#define NEED_ENV()                                                                                 \
    do {                                                                                           \
        if (!env.ready) {                                                                          \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

/* ---- Collecting lists ---- */

#define MAX_CONNS 8

struct conns {
    struct vici_conn_info c[MAX_CONNS];      /* Copies, children not kept. */
    struct vici_child_conf child[MAX_CONNS]; /* First child of each. */
    size_t n;
};

static void
collect_conn(const struct vici_conn_info *c, void *aux)
{
    struct conns *l = aux;

    if (l->n < MAX_CONNS) {
        l->c[l->n] = *c;
        l->c[l->n].children = NULL;
        if (c->n_children) {
            l->child[l->n] = c->children[0];
        }
        l->n++;
    }
}

static const struct vici_conn_info *
find_conn(const struct conns *l, const char *name, const struct vici_child_conf **child)
{
    for (size_t i = 0; i < l->n; i++) {
        if (!strcmp(l->c[i].name, name)) {
            *child = &l->child[i];
            return &l->c[i];
        }
    }
    return NULL;
}

struct sas {
    struct vici_ike_info s[MAX_CONNS];       /* Copies, children not kept. */
    struct vici_child_info child[MAX_CONNS]; /* First child of each, if any. */
    size_t n;
};

static void
collect_sa(const struct vici_ike_info *s, void *aux)
{
    struct sas *l = aux;

    if (l->n < MAX_CONNS) {
        l->s[l->n] = *s;
        l->s[l->n].children = NULL;
        if (s->n_children) {
            l->child[l->n] = s->children[0];
        }
        l->n++;
    }
}

/* Reads events of 'vc' until one of 'kind' for connection 'ike' (with 'up') arrives, up to
 * 'ms'. Returns true with it in '*out'. Every event read is printed. */
static bool
wait_event(struct vici_client *vc, enum vici_event_kind kind, const char *ike, bool up, int ms,
           struct vici_event *out)
{
    struct timespec t0, t;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        struct pollfd pfd = {.fd = vici_client_event_fd(vc), .events = POLLIN};
        long left;

        while (vici_client_read_event(vc, out) == 1) {
            printf("    event: %s\n", out->line);
            if (out->kind == kind && !strcmp(out->ike, ike) &&
                (out->up == up || !(kind & (VICI_EV_IKE_UPDOWN | VICI_EV_CHILD_UPDOWN)))) {
                return true;
            }
        }
        clock_gettime(CLOCK_MONOTONIC, &t);
        left = ms - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
        if (left <= 0) {
            return false;
        }
        poll(&pfd, 1, (int)left);
    }
}

/* ---- Tests ---- */

/* Nothing listens: a clear error, no client. */
static void
test_open_refused(void **state)
{
    char err[VICI_ERR_MAX], uri[128];
    struct vici_client *vc = (struct vici_client *)&vc;

    (void)state;
    NEED_ENV();
    snprintf(uri, sizeof uri, "unix://%s/nobody.vici", env.dir);
    assert_int_not_equal(vici_client_open(uri, &vc, err), 0);
    assert_null(vc);
    assert_non_null(strstr(err, "vici connect"));
    assert_non_null(strstr(err, "nobody.vici"));
    vici_client_close(NULL);
}

/* Loading contoso (PSK) and northwind (certificates) gives the connections the config says. */
static void
test_load_and_list_conns(void **state)
{
    char err[VICI_ERR_MAX];
    const struct vici_conn_info *c;
    const struct vici_child_conf *ch;
    struct conns l;

    (void)state;
    NEED_ENV();
    if (vici_client_open(env.gw.uri, &env.vc, err)) {
        fail_msg("%s", err);
    }
    if (vici_client_watch(env.vc, VICI_EV_ALL, err)) {
        fail_msg("%s", err);
    }
    assert_true(vici_client_event_fd(env.vc) >= 0);
    assert_int_equal(vici_client_watch(env.vc, VICI_EV_ALL, err), EALREADY);
    if (vici_client_load_tenant(env.vc, tenant("contoso"), err) ||
        vici_client_load_tenant(env.vc, tenant("northwind"), err)) {
        fail_msg("%s", err);
    }
    /* A tenant without a vpn section is refused. */
    {
        struct vpn_tenant bare = *tenant("contoso");
        bare.vpn = NULL;
        assert_int_equal(vici_client_load_tenant(env.vc, &bare, err), EINVAL);
    }

    memset(&l, 0, sizeof l);
    assert_int_equal(vici_client_list_conns(env.vc, NULL, collect_conn, &l, err), 0);
    assert_int_equal(l.n, 3);

    c = find_conn(&l, "contoso-site1", &ch);
    assert_non_null(c);
    assert_string_equal(c->local_addr, "198.18.0.10");
    assert_string_equal(c->remote_addr, "198.18.0.11");
    assert_string_equal(c->version, "IKEv2");
    assert_int_equal(c->rekey_time, 14400);
    assert_int_equal(c->dpd_delay, 30);
    assert_string_equal(c->local_auth, "pre-shared key");
    assert_string_equal(c->local_id, "198.18.0.10");
    assert_string_equal(c->remote_auth, "pre-shared key");
    assert_string_equal(c->remote_id, "198.18.0.11");
    assert_string_equal(ch->name, "contoso-site1");
    assert_string_equal(ch->mode, "TUNNEL");
    assert_int_equal(ch->rekey_time, 3600);
    assert_int_equal(ch->rekey_bytes, 1073741824);
    assert_string_equal(ch->dpd_action, "none"); /* "clear" is charon's ACTION_NONE. */
    assert_string_equal(ch->close_action, "none");
    assert_int_equal(ch->n_local_ts, 2);
    assert_string_equal(ch->local_ts[0], "10.1.1.0/24");
    assert_string_equal(ch->local_ts[1], "10.1.2.0/24");
    assert_int_equal(ch->n_remote_ts, 1);
    assert_string_equal(ch->remote_ts[0], "172.16.1.0/24");

    c = find_conn(&l, "contoso-dc", &ch);
    assert_non_null(c);
    assert_string_equal(c->remote_addr, "%any");
    assert_string_equal(c->remote_id, "branch.example");
    assert_int_equal(ch->n_local_ts, 1);
    assert_string_equal(ch->local_ts[0], "0.0.0.0/0");
    assert_string_equal(ch->remote_ts[0], "0.0.0.0/0");
    assert_int_equal(ch->rekey_bytes, 0);

    c = find_conn(&l, "northwind-hq", &ch);
    assert_non_null(c);
    assert_string_equal(c->local_addr, "198.18.0.12");
    assert_string_equal(c->local_auth, "public key");
    assert_string_equal(c->local_id, "gw.northwind.example");
    assert_int_equal(c->n_local_certs, 1);
    assert_string_equal(c->remote_auth, "public key");
    assert_string_equal(c->remote_id, "C=US, O=hnvgw test, CN=hq.northwind.example");
    assert_int_equal(c->n_remote_cacerts, 1);
    assert_string_equal(ch->remote_ts[0], "192.168.50.0/24");

    /* A filter by name. */
    memset(&l, 0, sizeof l);
    assert_int_equal(vici_client_list_conns(env.vc, "northwind-hq", collect_conn, &l, err), 0);
    assert_int_equal(l.n, 1);
}

/* The peer initiates to contoso: both ends' SAs carry their tunnel's reqid and if_id, and the
 * gateway's client reports the tunnel up by tenant and tunnel name. */
static void
test_tunnel_up(void **state)
{
    char err[VICI_ERR_MAX];
    struct vici_event ev;
    struct sas gw, peer;

    (void)state;
    NEED_ENV();
    assert_non_null(env.vc);
    if (vici_client_open(env.peer.uri, &env.vp, err) ||
        vici_client_load_tenant(env.vp, tenant("peer"), err)) {
        fail_msg("%s", err);
    }
    /* start_action = initiate: the peer starts at once. */
    if (!wait_event(env.vc, VICI_EV_CHILD_UPDOWN, "contoso-site1", true, 60000, &ev)) {
        fail_msg("no child-updown for contoso-site1; see %s and %s", env.gw.log, env.peer.log);
    }
    assert_string_equal(ev.tenant, "contoso");
    assert_string_equal(ev.tunnel, "site1");
    assert_int_equal(ev.reqid, 17);
    assert_true(ev.spi_in != 0 && ev.spi_out != 0);
    assert_true(!strncmp(ev.line, "vpn: tenant contoso tunnel site1 child up", 41));
    assert_non_null(strstr(ev.line, "reqid=17"));

    memset(&gw, 0, sizeof gw);
    assert_int_equal(vici_client_list_sas(env.vc, "contoso-site1", collect_sa, &gw, err), 0);
    assert_int_equal(gw.n, 1);
    assert_string_equal(gw.s[0].name, "contoso-site1");
    assert_string_equal(gw.s[0].tenant, "contoso");
    assert_string_equal(gw.s[0].tunnel, "site1");
    assert_string_equal(gw.s[0].state, "ESTABLISHED");
    assert_false(gw.s[0].initiator);
    assert_string_equal(gw.s[0].local_host, "198.18.0.10");
    assert_string_equal(gw.s[0].remote_host, "198.18.0.11");
    assert_int_equal(gw.s[0].if_id_in, 1);
    assert_int_equal(gw.s[0].if_id_out, 1);
    assert_string_equal(gw.s[0].encr_alg, "AES_GCM_16");
    assert_int_equal(gw.s[0].encr_keysize, 256);
    assert_string_equal(gw.s[0].dh_group, "ECP_384");
    assert_true(gw.s[0].rekey_time > 0 && gw.s[0].rekey_time <= 14400);
    assert_string_equal(gw.child[0].name, "contoso-site1");
    assert_string_equal(gw.child[0].state, "INSTALLED");
    assert_int_equal(gw.child[0].reqid, 17);
    assert_int_equal(gw.child[0].if_id_in, 1);
    assert_int_equal(gw.child[0].if_id_out, 1);
    assert_int_equal(gw.child[0].spi_in, ev.spi_in);
    assert_int_equal(gw.child[0].spi_out, ev.spi_out);
    assert_string_equal(gw.child[0].encr_alg, "AES_GCM_16");
    assert_int_equal(gw.child[0].encr_keysize, 256);
    assert_true(gw.child[0].rekey_time > 0 && gw.child[0].rekey_time <= 3600);
    assert_true(gw.child[0].life_time >= gw.child[0].rekey_time);
    /* Narrowed to the responder's selectors. */
    assert_int_equal(gw.child[0].n_local_ts, 2);
    assert_string_equal(gw.child[0].local_ts[0], "10.1.1.0/24");
    assert_string_equal(gw.child[0].remote_ts[0], "172.16.1.0/24");

    memset(&peer, 0, sizeof peer);
    assert_int_equal(vici_client_list_sas(env.vp, NULL, collect_sa, &peer, err), 0);
    assert_int_equal(peer.n, 1);
    assert_string_equal(peer.s[0].name, "peer-contoso");
    assert_true(peer.s[0].initiator);
    assert_int_equal(peer.child[0].reqid, 2 * 16 + 1);
    assert_int_equal(peer.child[0].if_id_in, 2);
    assert_int_equal(peer.child[0].spi_out, gw.child[0].spi_in);
    assert_int_equal(peer.child[0].spi_in, gw.child[0].spi_out);
    assert_int_equal(vici_client_events_dropped(env.vc), 0);
}

/* Waits up to 'ms' for a log event whose line has 'needle'. */
static bool
wait_log(struct vici_client *vc, const char *needle, int ms, struct vici_event *out)
{
    for (int waited = 0; waited < ms; waited += 100) {
        while (vici_client_read_event(vc, out) == 1) {
            printf("    event: %s\n", out->line);
            if (out->kind == VICI_EV_LOG && strstr(out->line, needle)) {
                return true;
            }
        }
        usleep(100 * 1000);
    }
    return false;
}

/* An impostor at the peer's address with another identity: the gateway finds no tunnel for it,
 * and the journal hears about it through the log event. */
static void
test_auth_failure_logged(void **state)
{
    char err[VICI_ERR_MAX];
    struct vpn_tenant t;
    struct config_vpn v;
    struct config_vpn_tunnel tun;
    struct vici_event ev;

    (void)state;
    NEED_ENV();
    assert_non_null(env.vp);
    t = *tenant("peer");
    v = *t.vpn;
    tun = v.tunnels[0];
    snprintf(tun.name, sizeof tun.name, "impostor");
    snprintf(tun.local_id, sizeof tun.local_id, "impostor.example");
    tun.reqid = 2 * 16 + 2;
    v.tunnels = &tun;
    v.n_tunnels = 1;
    t.vpn = &v;
    if (vici_client_load_tenant(env.vp, &t, err)) {
        fail_msg("%s", err);
    }
    if (!wait_log(env.vc, "no matching peer config found", 10000, &ev)) {
        fail_msg("no log event about the impostor; see %s", env.gw.log);
    }
    assert_true(!strncmp(ev.line, "vpn: ", 5));
    assert_int_equal(vici_client_unload_tenant(env.vp, &t, err), 0);
}

/* northwind initiates towards a peer that does not exist: the IKE_SA is CONNECTING, with the
 * tenant's if_id; terminating it removes it. */
static void
test_initiate_unreachable(void **state)
{
    char err[VICI_ERR_MAX];
    struct sas l;
    int i;

    (void)state;
    NEED_ENV();
    assert_non_null(env.vc);
    if (vici_client_initiate(env.vc, "northwind", "hq", -1, err)) {
        fail_msg("%s", err);
    }
    for (i = 0; i < 100; i++) {
        memset(&l, 0, sizeof l);
        assert_int_equal(vici_client_list_sas(env.vc, "northwind-hq", collect_sa, &l, err), 0);
        if (l.n) {
            break;
        }
        usleep(50 * 1000);
    }
    assert_int_equal(l.n, 1);
    assert_string_equal(l.s[0].state, "CONNECTING");
    assert_string_equal(l.s[0].tenant, "northwind");
    assert_string_equal(l.s[0].tunnel, "hq");
    assert_true(l.s[0].initiator);
    assert_string_equal(l.s[0].remote_host, "198.18.9.9");
    assert_int_equal(l.s[0].if_id_in, 3);
    assert_int_equal(l.s[0].if_id_out, 3);

    if (vici_client_terminate(env.vc, "northwind", "hq", 2000, err)) {
        fail_msg("%s", err);
    }
    for (i = 0; i < 100; i++) {
        memset(&l, 0, sizeof l);
        assert_int_equal(vici_client_list_sas(env.vc, "northwind-hq", collect_sa, &l, err), 0);
        if (!l.n) {
            break;
        }
        usleep(50 * 1000);
    }
    assert_int_equal(l.n, 0);
    /* Nothing left to terminate. */
    assert_int_equal(vici_client_terminate(env.vc, "northwind", "hq", 0, err), ENOENT);
    /* An unknown tunnel cannot be initiated. */
    assert_int_not_equal(vici_client_initiate(env.vc, "northwind", "nosuch", 0, err), 0);
    assert_non_null(strstr(err, "initiate"));
}

/* Unloading contoso takes its SAs down (events) and its connections away; northwind's too. */
static void
test_unload(void **state)
{
    char err[VICI_ERR_MAX];
    struct vici_event ev;
    struct conns l;
    struct sas s;

    (void)state;
    NEED_ENV();
    assert_non_null(env.vc);
    if (vici_client_unload_tenant(env.vc, tenant("contoso"), err)) {
        fail_msg("%s", err);
    }
    assert_true(wait_event(env.vc, VICI_EV_IKE_UPDOWN, "contoso-site1", false, 30000, &ev));
    assert_true(!strncmp(ev.line, "vpn: tenant contoso tunnel site1 ike down", 41));
    /* The peer restarts (close_action), but the gateway has no connection for it any more. */
    for (int i = 0; i < 40; i++) {
        memset(&s, 0, sizeof s);
        assert_int_equal(vici_client_list_sas(env.vc, NULL, collect_sa, &s, err), 0);
        if (!s.n) {
            break;
        }
        usleep(50 * 1000);
    }
    assert_int_equal(s.n, 0);
    memset(&l, 0, sizeof l);
    assert_int_equal(vici_client_list_conns(env.vc, NULL, collect_conn, &l, err), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.c[0].name, "northwind-hq");

    if (vici_client_unload_tenant(env.vc, tenant("northwind"), err)) {
        fail_msg("%s", err);
    }
    memset(&l, 0, sizeof l);
    assert_int_equal(vici_client_list_conns(env.vc, NULL, collect_conn, &l, err), 0);
    assert_int_equal(l.n, 0);
    /* Unloading again finds nothing, which is not an error. */
    assert_int_equal(vici_client_unload_tenant(env.vc, tenant("northwind"), err), 0);
    /* Loading again works after an unload. */
    if (vici_client_load_tenant(env.vc, tenant("northwind"), err)) {
        fail_msg("%s", err);
    }
    assert_int_equal(vici_client_unload_tenant(env.vc, tenant("northwind"), err), 0);
}

int
main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_refused),
        cmocka_unit_test(test_load_and_list_conns),
        cmocka_unit_test(test_tunnel_up),
        cmocka_unit_test(test_auth_failure_logged),
        cmocka_unit_test(test_initiate_unreachable),
        cmocka_unit_test(test_unload),
    };

    setvbuf(stdout, NULL, _IONBF, 0);
    return cmocka_run_group_tests_name("vici", tests, group_setup, group_teardown);
}
