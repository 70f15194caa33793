/* SPDX-License-Identifier: Apache-2.0 */
/* hnvgw-iked: the IKE daemon of hnvgw. strongSwan's charon (Debian's libcharon.so.0) with its own
 * kernel_ipsec_t (kernel_hnvgw.c): IKE runs here, inside the IKE compartment; the CHILD_SAs it
 * negotiates go to hnvgwd's DPDK data plane. hnvgwd starts and supervises it, and drives it over
 * VICI (connections, secrets, initiate/terminate, events).
 *
 * usage: hnvgw-iked [--socket PATH] [--conf STRONGSWAN_CONF] [--debug N] [--ha]
 * Logs go to stderr (hnvgwd's journal). SIGINT/SIGTERM stop it. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <daemon.h>
#include <library.h>
#include <plugins/plugin_feature.h>

#include "vpn/iked/kernel_hnvgw.h"

/* What charon needs for IKEv2 with PSK or X.509, AES-GCM/CBC and SHA-2, sockets and addresses
 * (kernel-netlink: its net part; our feature replaces its ipsec part), and VICI. */
#define IKED_PLUGINS                                                                               \
    "random nonce aes sha1 sha2 hmac gcm pem pkcs1 pkcs8 x509 revocation constraints pubkey "      \
    "openssl kdf curve25519 socket-default kernel-netlink vici"
/* A node of a pair adds strongSwan's IKE/CHILD_SA sync (see vpn/ike_ha.h). */
#define IKED_PLUGINS_HA IKED_PLUGINS " ha"

static void
usage(void)
{
    printf("usage: hnvgw-iked [--socket PATH] [--conf FILE] [--debug N] [--ha]\n"
           "  --socket PATH  hnvgwd's kipsec socket (default /run/hnvgw/ike/kipsec.sock)\n"
           "  --conf FILE    strongswan.conf to read (default: STRONGSWAN_CONF or the system's)\n"
           "  --debug N      log level of the default groups on stderr (default 1)\n"
           "  --ha           load strongSwan's ha plugin: the node is one of a pair\n");
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"socket", required_argument, NULL, 's'}, {"conf", required_argument, NULL, 'c'},
        {"debug", required_argument, NULL, 'd'},  {"ha", no_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    static plugin_feature_t features[] = {
        PLUGIN_CALLBACK(kernel_ipsec_register, kernel_hnvgw_create),
        PLUGIN_PROVIDE(CUSTOM, "kernel-ipsec"),
    };
    char *conf = getenv("STRONGSWAN_CONF");
    char *plugins = IKED_PLUGINS;
    int c, level = 1, sig;
    sigset_t set;

    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            kernel_hnvgw_set_socket(optarg);
            break;
        case 'c':
            conf = optarg;
            break;
        case 'd':
            level = atoi(optarg);
            break;
        case 'a':
            plugins = IKED_PLUGINS_HA;
            break;
        case 'h':
            usage();
            return 0;
        default:
            usage();
            return 2;
        }
    }
    /* Stop signals are taken by sigwait() below, on no thread of charon's. */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    dbg_default_set_level(level);
    if (!library_init(conf, "charon")) {
        fprintf(stderr, "hnvgw-iked: cannot initialize libstrongswan\n");
        library_deinit();
        return 1;
    }
    if (!libcharon_init()) {
        fprintf(stderr, "hnvgw-iked: cannot initialize libcharon\n");
        libcharon_deinit();
        library_deinit();
        return 1;
    }
    charon->set_default_loggers(charon, NULL, FALSE);
    for (debug_t g = 0; g < DBG_MAX; g++) {
        charon->set_level(charon, g, level);
    }
    charon->load_loggers(charon);
    /* Ours first: it must win the kernel-ipsec feature over kernel-netlink's. */
    lib->plugins->add_static_features(lib->plugins, "hnvgw-kernel", features, countof(features),
                                      TRUE, NULL, NULL);
    if (!charon->initialize(charon,
                            lib->settings->get_str(lib->settings, "charon.load", plugins))) {
        fprintf(stderr, "hnvgw-iked: charon failed to initialize (see the log above)\n");
        libcharon_deinit();
        library_deinit();
        return 1;
    }
    charon->start(charon);
    fprintf(stderr, "hnvgw-iked: charon %s up\n", VERSION);
    do {
        if (sigwait(&set, &sig)) {
            break;
        }
    } while (sig == SIGHUP);
    fprintf(stderr, "hnvgw-iked: signal %d, stopping\n", sig);
    libcharon_deinit();
    library_deinit();
    return 0;
}
