/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the configuration module: the vpn section of a tenant and its tunnels. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "gateway/policy.h"
#include "tests/gateway/config/config_fixture.h"

/* ---- Invalid configurations: one case per rule ---- */

static const struct bad_case bad_cases[] = {
    /* vpn */
    {"vpn_needs_external_port", NODE_GW PORT_PA TENANT_A_NAT("  vpn { #<<\n  }\n"),
     "tenant \"contoso\" vpn: VPN needs an external port", -1},
    {"vpn_needs_gateway_role", NODE_HOST PORT_PA_HOST PORT_EXT TENANT_A_NAT("  vpn { #<<\n  }\n"),
     "tenant \"contoso\" vpn: VPN needs \"gateway\" in node roles", -1},
    {"vpn_twice", NAT_BASE TENANT_A_NAT(VPN(TUN("s", TUN_MIN)) "  vpn { #<<\n  }\n"),
     "tenant \"contoso\" vpn: defined twice (first at line 32)", -1},
    {"vpn_unknown_key", NAT_BASE TENANT_A_NAT("  vpn {\n    ike = 2 #<<\n  }\n"),
     "tenant \"contoso\" vpn ike: unknown key", -1},
    {"vpn_local_address_missing", NAT_BASE TENANT_A_NAT("  vpn { #<<\n" TUN("s", TUN_MIN) "  }\n"),
     "tenant \"contoso\" vpn local_address: is required", -1},
    {"vpn_local_address_bad",
     NAT_BASE TENANT_A_NAT("  vpn {\n    local_address = \"198.18.0\" #<<\n  }\n"),
     "tenant \"contoso\" vpn local_address: '198.18.0' is not an IPv4 address", -1},
    {"vpn_local_address_ipv6",
     NAT_BASE TENANT_A_NAT("  vpn {\n    local_address = \"2001:db8::1\" #<<\n  }\n"),
     "tenant \"contoso\" vpn local_address: IPv6 is not supported yet", -1},
    {"vpn_local_address_multicast",
     NAT_BASE TENANT_A_NAT("  vpn {\n    local_address = \"239.1.1.1\" #<<\n  }\n"),
     "tenant \"contoso\" vpn local_address: 239.1.1.1 is not a unicast address", -1},
    {"vpn_local_address_port",
     NAT_BASE TENANT_A_NAT("  vpn {\n    local_address = \"10.99.0.1\" #<<\n  }\n"),
     "tenant \"contoso\" vpn local_address: 10.99.0.1 is the address of port \"ext0\"", -1},
    {"vpn_local_address_pa",
     NAT_BASE TENANT_A_NAT("  vpn {\n    local_address = \"10.0.0.1\" #<<\n  }\n"),
     "tenant \"contoso\" vpn local_address: 10.0.0.1 is", -1},
    {"vpn_local_address_nat_public",
     NAT_BASE TENANT_A_NAT(NAT(NAT_PUB) "  vpn {\n    local_address = \"198.18.0.10\" #<<\n  }\n"),
     "tenant \"contoso\" vpn local_address: 198.18.0.10 is a NAT public address of tenant "
     "\"contoso\" (nat at line 32)",
     -1},
    {"vpn_local_address_forward_prefix",
     NAT_BASE TENANT_A_NAT("  forward_prefixes = {\"198.18.0.0/24\"}\n"
                           "  vpn {\n    local_address = \"198.18.0.20\" #<<\n  }\n"),
     "tenant \"contoso\" vpn local_address: 198.18.0.20 is inside forward prefix 198.18.0.0/24 of "
     "tenant \"contoso\"",
     -1},
    {"vpn_local_address_shared",
     NAT_BASE TENANT_A_NAT(VPN(TUN("s", TUN_MIN)))
         TENANT_B_NAT("  vpn {\n    local_address = \"198.18.0.20\" #<<\n  }\n"),
     "tenant \"fabrikam\" vpn local_address: 198.18.0.20 is already the local_address of tenant "
     "\"contoso\" (vpn at line 32): IKE could not tell the tenants apart",
     -1},
    {"vpn_no_tunnel",
     NAT_BASE TENANT_A_NAT("  vpn { #<<\n    local_address = \"198.18.0.20\"\n  }\n"),
     "tenant \"contoso\" vpn: a vpn section needs at least one tunnel", -1},
    {"vpn_too_many_tunnels",
     NAT_BASE TENANT_A_NAT(VPN(TUN15(TUN_M) "    tunnel t16 { #<<\n" TUN_MIN "    }\n")),
     "tenant \"contoso\" vpn tunnel \"t16\": more than 15 tunnels in a tenant", -1},
    {"vpn_tunnel_duplicate",
     NAT_BASE TENANT_A_NAT(VPN(TUN("s", TUN_MIN) "    tunnel s { #<<\n" TUN_MIN "    }\n")),
     "tenant \"contoso\" vpn tunnel \"s\": name already used by the tunnel at line 34", -1},
    {"vpn_tunnel_bad_name",
     NAT_BASE TENANT_A_NAT(VPN("    tunnel \"a b\" { #<<\n" TUN_MIN "    }\n")),
     "tenant \"contoso\" vpn tunnel \"a b\": a name is 1..31", -1},
    {"vpn_tunnel_unknown_key", VPN_CFG_MIN("      ikev1 = true #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" ikev1: unknown key", -1},
    {"vpn_tunnel_key_twice", VPN_CFG_MIN("      dpd_delay = 10\n      dpd_delay = 20 #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" dpd_delay: set twice (first at line 38)", -1},
    {"vpn_remote_missing",
     NAT_BASE TENANT_A_NAT(VPN("    tunnel \"site1\" { #<<\n" TUN_PSK TUN_RTS "    }\n")),
     "tenant \"contoso\" vpn tunnel \"site1\" remote_address: is required", -1},
    {"vpn_remote_bad", VPN_CFG("      remote_address = \"peer.example\" #<<\n" TUN_PSK TUN_RTS),
     "tenant \"contoso\" vpn tunnel \"site1\" remote_address: 'peer.example' is not an IPv4 "
     "address",
     -1},
    {"vpn_remote_multicast", VPN_CFG("      remote_address = \"224.0.0.1\" #<<\n" TUN_PSK TUN_RTS),
     "tenant \"contoso\" vpn tunnel \"site1\" remote_address: 224.0.0.1 is not a unicast address",
     -1},
    {"vpn_remote_is_local", VPN_CFG("      remote_address = \"198.18.0.20\" #<<\n" TUN_PSK TUN_RTS),
     "tenant \"contoso\" vpn tunnel \"site1\" remote_address: 198.18.0.20 is the tenant's own "
     "local_address",
     -1},
    {"vpn_remote_any_initiate", VPN_CFG("      remote_address = \"%any\" #<<\n" TUN_PSK TUN_RTS),
     "tenant \"contoso\" vpn tunnel \"site1\" remote_address: %any needs start_action = respond",
     -1},
    {"vpn_remote_any_psk_needs_id",
     NAT_BASE TENANT_A_NAT(VPN("    tunnel site1 { #<<\n      remote_address = \"%any\"\n" TUN_PSK
                               "      start_action = respond\n" TUN_RTS "    }\n")),
     "tenant \"contoso\" vpn tunnel \"site1\" remote_id: is required with remote_address = "
     "\"%any\" and auth = psk",
     -1},
    {"vpn_local_id_empty", VPN_CFG_MIN("      local_id = \"\" #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" local_id: an identity is 1..255 characters", -1},
    {"vpn_remote_id_quote", VPN_CFG_MIN("      remote_id = 'C=DE, CN=\"x\"' #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" remote_id: only printable characters without", -1},
    {"vpn_auth_bad", VPN_CFG_MIN("      auth = eap #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" auth: 'eap' is not psk or pubkey", -1},
    {"vpn_psk_missing",
     NAT_BASE TENANT_A_NAT(VPN("    tunnel site1 { #<<\n" TUN_REMOTE TUN_RTS "    }\n")),
     "tenant \"contoso\" vpn tunnel \"site1\" psk: is required", -1},
    {"vpn_psk_short", VPN_CFG(TUN_REMOTE TUN_RTS "      psk = \"Sh0rt!key\" #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" psk: 9 characters is too weak: at least 16", -1},
    {"vpn_psk_weak", VPN_CFG(TUN_REMOTE TUN_RTS "      psk = \"1234123412341234\" #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" psk: too weak: only 4 different characters, at least "
     "8 are needed",
     -1},
    {"vpn_psk_with_pubkey", VPN_CFG_MIN("      auth = pubkey\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" psk: not allowed with auth = pubkey", 36},
    {"vpn_certificate_with_psk", VPN_CFG_MIN("      certificate = \"/etc/hostname\" #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" certificate: not allowed with auth = psk", -1},
    {"vpn_pubkey_certificate_missing",
     NAT_BASE TENANT_A_NAT(
         VPN("    tunnel site1 { #<<\n" TUN_REMOTE TUN_RTS "      auth = pubkey\n    }\n")),
     "tenant \"contoso\" vpn tunnel \"site1\" certificate: is required", -1},
    {"vpn_pubkey_certificate_unreadable",
     VPN_CFG(TUN_REMOTE TUN_RTS "      auth = pubkey\n"
                                "      certificate = \"/nonexistent/gw.pem\" #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" certificate: cannot read /nonexistent/gw.pem: No "
     "such "
     "file or directory",
     -1},
    {"vpn_pubkey_key_unreadable",
     VPN_CFG(TUN_REMOTE TUN_RTS "      auth = pubkey\n      certificate = \"/dev/null\"\n"
                                "      private_key = \"nonexistent-key.pem\" #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" private_key: cannot read /tmp/nonexistent-key.pem",
     -1},
    {"vpn_pubkey_ca_missing",
     NAT_BASE TENANT_A_NAT(VPN("    tunnel site1 { #<<\n" TUN_REMOTE TUN_RTS
                               "      auth = pubkey\n      certificate = \"/dev/null\"\n"
                               "      private_key = \"/dev/null\"\n    }\n")),
     "tenant \"contoso\" vpn tunnel \"site1\" ca_certificate: is required", -1},
    {"vpn_ike_proposal_weak",
     VPN_CFG_MIN("      ike_proposals = {\"aes256-sha256-modp2048\",\n"
                 "        \"3des-sha1-modp1024\"} #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" ike_proposals: '3des' in '3des-sha1-modp1024' is not "
     "allowed",
     -1},
    {"vpn_ike_proposal_modp1024",
     VPN_CFG_MIN("      ike_proposals = {\"aes256-sha256-modp1024\"} #<<\n"),
     "ike_proposals: 'modp1024' in 'aes256-sha256-modp1024' is not allowed", -1},
    {"vpn_ike_proposal_no_dh", VPN_CFG_MIN("      ike_proposals = {\"aes256-sha256\"} #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" ike_proposals: 'aes256-sha256' has no DH group", -1},
    {"vpn_ike_proposal_aead_no_prf",
     VPN_CFG_MIN("      ike_proposals = {\"aes256gcm16-ecp384\"} #<<\n"),
     "ike_proposals: 'aes256gcm16-ecp384': an AEAD IKE proposal needs a PRF", -1},
    {"vpn_ike_proposal_empty_token",
     VPN_CFG_MIN("      ike_proposals = {\"aes256--ecp384\"} #<<\n"),
     "ike_proposals: '' in 'aes256--ecp384' is not allowed", -1},
    /* An empty list has no element line: the message names the section's. */
    {"vpn_ike_proposals_empty",
     NAT_BASE TENANT_A_NAT(
         VPN("    tunnel site1 { #<<\n" TUN_MIN "      ike_proposals = {}\n    }\n")),
     "tenant \"contoso\" vpn tunnel \"site1\" ike_proposals: must list at least one proposal", -1},
    {"vpn_ike_proposals_too_many",
     VPN_CFG_MIN("      ike_proposals = {\"aes256-sha256-modp2048\", \"aes256-sha384-modp2048\",\n"
                 "        \"aes256-sha512-modp2048\", \"aes128-sha256-modp2048\",\n"
                 "        \"aes128-sha384-modp2048\", \"aes128-sha512-modp2048\",\n"
                 "        \"aes192-sha256-modp2048\", \"aes192-sha384-modp2048\",\n"
                 "        \"aes192-sha512-modp2048\"} #<<\n"),
     "ike_proposals: more than 8 proposals", -1},
    {"vpn_ike_proposal_twice",
     VPN_CFG_MIN("      ike_proposals = {\"aes256-sha256-ecp256\",\n"
                 "        \"aes256-sha256-ecp256\"} #<<\n"),
     "ike_proposals: 'aes256-sha256-ecp256' is listed twice", -1},
    {"vpn_ike_proposal_too_long",
     VPN_CFG_MIN(
         "      ike_proposals = {\"aes256-sha256-ecp256-ecp256-ecp256-ecp256-ecp256-ecp256-"
         "ecp256-ecp256-ecp256-ecp256-ecp256-ecp256-ecp256-ecp256-ecp256-ecp256-x25519\"} #<<\n"),
     "ike_proposals: 'aes256-sha256-ecp256-", -1},
    {"vpn_esp_proposal_chacha", VPN_CFG_MIN("      esp_proposals = {\"chacha20poly1305\"} #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" esp_proposals: 'chacha20poly1305' in "
     "'chacha20poly1305' is not allowed: the data plane has aes128gcm16, aes256gcm16, and aes128 "
     "or "
     "aes256 with sha256",
     -1},
    {"vpn_esp_proposal_sha1", VPN_CFG_MIN("      esp_proposals = {\"aes128-sha1\"} #<<\n"),
     "esp_proposals: 'sha1' in 'aes128-sha1' is not allowed", -1},
    {"vpn_esp_proposal_aes192", VPN_CFG_MIN("      esp_proposals = {\"aes192gcm16\"} #<<\n"),
     "esp_proposals: 'aes192gcm16' in 'aes192gcm16' is not allowed", -1},
    {"vpn_esp_proposal_cbc_no_integ",
     VPN_CFG_MIN("      esp_proposals = {\"aes256-ecp256\"} #<<\n"),
     "esp_proposals: 'aes256-ecp256': a CBC cipher needs an integrity algorithm (sha256)", -1},
    {"vpn_esp_proposal_gcm_integ",
     VPN_CFG_MIN("      esp_proposals = {\"aes256gcm16-sha256\"} #<<\n"),
     "esp_proposals: 'aes256gcm16-sha256': an AEAD cipher takes no integrity algorithm", -1},
    {"vpn_esp_proposal_mixed",
     VPN_CFG_MIN("      esp_proposals = {\"aes256gcm16-aes256-sha256\"} #<<\n"),
     "esp_proposals: 'aes256gcm16-aes256-sha256' mixes AEAD (GCM) and CBC ciphers", -1},
    {"vpn_esp_proposal_no_cipher", VPN_CFG_MIN("      esp_proposals = {\"ecp384\"} #<<\n"),
     "esp_proposals: 'ecp384' has no encryption algorithm", -1},
    {"vpn_ike_lifetime_range", VPN_CFG_MIN("      ike_lifetime = 100 #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" ike_lifetime: 100 is out of range 300..86400", -1},
    {"vpn_child_lifetime_range", VPN_CFG_MIN("      child_lifetime = 86401 #<<\n"),
     "child_lifetime: 86401 is out of range 60..86400", -1},
    {"vpn_child_life_bytes_small", VPN_CFG_MIN("      child_life_bytes = 1000 #<<\n"),
     "child_life_bytes: 1000 must be 0 (none) or at least 1048576", -1},
    {"vpn_child_life_bytes_negative", VPN_CFG_MIN("      child_life_bytes = -1 #<<\n"),
     "child_life_bytes: -1 is out of range 0..", -1},
    {"vpn_dpd_delay_range", VPN_CFG_MIN("      dpd_delay = 3601 #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" dpd_delay: 3601 is out of range 0..3600", -1},
    {"vpn_start_action_bad", VPN_CFG_MIN("      start_action = trap #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" start_action: 'trap' is not initiate or respond", -1},
    {"vpn_mode_bad", VPN_CFG_MIN("      mode = transport #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" mode: 'transport' is not policy or route", -1},
    {"vpn_remote_ts_missing",
     NAT_BASE TENANT_A_NAT(VPN("    tunnel site1 { #<<\n" TUN_REMOTE TUN_PSK "    }\n")),
     "tenant \"contoso\" vpn tunnel \"site1\" remote_ts: is required with mode = policy", -1},
    {"vpn_remote_ts_empty",
     NAT_BASE TENANT_A_NAT(
         VPN("    tunnel site1 { #<<\n" TUN_REMOTE TUN_PSK "      remote_ts = {}\n    }\n")),
     "remote_ts: must list at least one prefix", -1},
    {"vpn_remote_ts_too_many",
     VPN_CFG(TUN_REMOTE TUN_PSK "      remote_ts = {\"172.16.1.0/24\", \"172.16.2.0/24\",\n"
                                "        \"172.16.3.0/24\", \"172.16.4.0/24\", \"172.16.5.0/24\",\n"
                                "        \"172.16.6.0/24\", \"172.16.7.0/24\", \"172.16.8.0/24\",\n"
                                "        \"172.16.9.0/24\"} #<<\n"),
     "remote_ts: more than 8 prefixes", -1},
    {"vpn_remote_ts_host_bits",
     VPN_CFG(TUN_REMOTE TUN_PSK "      remote_ts = {\"172.16.1.1/24\"} #<<\n"),
     "remote_ts: '172.16.1.1/24' has host bits set (did you mean 172.16.1.0/24?)", -1},
    {"vpn_local_ts_bad", VPN_CFG_MIN("      local_ts = {\"10.1.0.0/33\"} #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" local_ts: '10.1.0.0/33' is not a prefix", -1},
    {"vpn_local_ts_ipv6", VPN_CFG_MIN("      local_ts = {\"fd00::/8\"} #<<\n"),
     "local_ts: IPv6 is not supported yet", -1},
    {"vpn_remote_ts_overlap",
     NAT_BASE TENANT_A_NAT(
         VPN(TUN("a", TUN_MIN) TUN("b", TUN_REMOTE TUN_PSK "      remote_ts = {\"10.200.0.0/16\",\n"
                                                           "        \"172.16.0.0/16\"} #<<\n"))),
     "tenant \"contoso\" vpn tunnel \"b\" remote_ts: 172.16.0.0/16 overlaps 172.16.1.0/24 of "
     "tunnel "
     "\"a\" (line 34)",
     -1},
    {"vpn_route_with_ts",
     VPN_CFG(TUN_REMOTE TUN_PSK "      mode = route\n      local_ts = {\"10.1.0.0/16\"} #<<\n"),
     "local_ts: not allowed with mode = route (selectors are 0.0.0.0/0)", -1},
    {"vpn_route_with_remote_ts", VPN_CFG_MIN("      mode = route\n"),
     "remote_ts: not allowed with mode = route", 37},
    {"vpn_policy_with_routes", VPN_CFG_MIN("      routes = {\"172.16.0.0/16\"} #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" routes: not allowed with mode = policy", -1},
    {"vpn_routes_bad",
     VPN_CFG(TUN_REMOTE TUN_PSK "      mode = route\n      routes = {\"172.16.0.0/16\",\n"
                                "        \"172.16.0.0/16\"} #<<\n"),
     "routes: 172.16.0.0/16 is listed twice", -1},

};

/* Defaults of every tunnel key, reqid and if_id. */
static void
test_vpn_defaults(void **state)
{
    struct hnvgw_config *cfg = load_ok(VPN_CFG_MIN(""));
    const struct config_vpn *vpn = cfg->tenants[0].vpn;
    const struct config_vpn_tunnel *t;
    char b[HNVGW_PFX_STRLEN];

    (void)state;
    assert_non_null(vpn);
    assert_int_equal(vpn->line, 32);
    assert_int_equal(vpn->local_address.v4, htonl(0xc6120014));
    assert_int_equal(vpn->n_tunnels, 1);
    t = &vpn->tunnels[0];
    assert_string_equal(t->name, "site1");
    assert_int_equal(t->line, 34);
    assert_int_equal(t->reqid, 1 * 16 + 1);
    assert_int_equal(t->if_id, 1);
    assert_false(t->remote_any);
    assert_int_equal(t->remote_address.v4, htonl(0xc6120101));
    assert_string_equal(t->local_id, "198.18.0.20");
    assert_string_equal(t->remote_id, "198.18.1.1");
    assert_int_equal(t->auth, CONFIG_VPN_AUTH_PSK);
    assert_string_equal(t->psk, "Zx8-kQ2!mP5#tR7w");
    assert_string_equal(t->certificate, "");
    assert_int_equal(t->n_ike_proposals, 3);
    assert_string_equal(t->ike_proposals[0], "aes256gcm16-prfsha384-ecp384");
    assert_string_equal(t->ike_proposals[1], "aes128gcm16-prfsha256-ecp256");
    assert_string_equal(t->ike_proposals[2], "aes256-sha256-modp2048");
    assert_int_equal(t->n_esp_proposals, 3);
    assert_string_equal(t->esp_proposals[0], "aes256gcm16-ecp384");
    assert_string_equal(t->esp_proposals[1], "aes128gcm16-ecp256");
    assert_string_equal(t->esp_proposals[2], "aes256-sha256-modp2048");
    assert_int_equal(t->ike_lifetime, 14400);
    assert_int_equal(t->child_lifetime, 3600);
    assert_int_equal(t->child_life_bytes, 0);
    assert_int_equal(t->dpd_delay, 30);
    assert_int_equal(t->start_action, CONFIG_VPN_START_INITIATE);
    assert_int_equal(t->mode, CONFIG_VPN_MODE_POLICY);
    /* local_ts defaults to the tenant's subnets. */
    assert_int_equal(t->n_local_ts, 2);
    assert_string_equal(hnvgw_prefix_format(&t->local_ts[0], b), "10.1.1.0/24");
    assert_string_equal(hnvgw_prefix_format(&t->local_ts[1], b), "10.1.2.0/24");
    assert_int_equal(t->n_remote_ts, 1);
    assert_string_equal(hnvgw_prefix_format(&t->remote_ts[0], b), "172.16.1.0/24");
    assert_null(t->routes);
    assert_int_equal(t->n_routes, 0);
    assert_null(cfg->tenants[0].nat);
    assert_string_equal(config_vpn_auth_name(t->auth), "psk");
    assert_string_equal(config_vpn_start_name(t->start_action), "initiate");
    assert_string_equal(config_vpn_mode_name(t->mode), "policy");
    config_destroy(cfg);
}

/* Writes a small file for the pubkey keys; returns its path (free it, unlink it). */
static char *
vpn_file(const char *what)
{
    return write_tmp(what);
}

/* Every key set, over two tenants: pubkey, responder with %any, route mode. */
static void
test_vpn_full(void **state)
{
    char *cert = vpn_file("cert"), *key = vpn_file("key"), *ca = vpn_file("ca");
    char text[8192], b[HNVGW_PFX_STRLEN];
    struct hnvgw_config *cfg;
    const struct config_vpn_tunnel *t, *u, *r;
    const struct config_tenant *owner = NULL;

    (void)state;
    snprintf(
        text, sizeof text,
        NAT_BASE TENANT_A_NAT(NAT(NAT_PUB) "  vpn {\n"
                                           "    local_address = \"198.18.0.20\"\n"
                                           "    tunnel site1 {\n"
                                           "      remote_address = \"198.18.1.1\"\n"
                                           "      local_id = \"gw.contoso.example\"\n"
                                           "      remote_id = \"C=DE, O=site1, CN=peer\"\n"
                                           "      auth = PubKey\n"
                                           "      certificate = \"%s\"\n"
                                           "      private_key = \"%s\"\n"
                                           "      ca_certificate = \"%s\"\n"
                                           "      ike_proposals = {\"aes128-sha256-ecp256\",\n"
                                           "        \"chacha20poly1305-prfsha512-curve25519\"}\n"
                                           "      esp_proposals = {\"aes128-sha256-esn\", "
                                           "\"aes256gcm16\"}\n"
                                           "      ike_lifetime = 28800\n"
                                           "      child_lifetime = 1800\n"
                                           "      child_life_bytes = 4294967296\n"
                                           "      dpd_delay = 0\n"
                                           "      start_action = initiate\n"
                                           "      mode = policy\n"
                                           "      local_ts = {\"10.1.0.0/16\"}\n"
                                           "      remote_ts = {\"172.16.1.0/24\", "
                                           "\"172.16.9.0/24\"}\n"
                                           "    }\n"
                                           "    tunnel \"roadwarrior-hub\" {\n"
                                           "      remote_address = \"%%any\"\n"
                                           "      remote_id = \"hub.example\"\n"
                                           "      psk = \"Zx8-kQ2!mP5#tR7w\"\n"
                                           "      start_action = respond\n"
                                           "      remote_ts = {\"172.17.0.0/16\"}\n"
                                           "    }\n"
                                           "  }\n")
            TENANT_B_NAT("  vpn {\n    local_address = \"198.18.0.21\"\n"
                         "    tunnel dc {\n      remote_address = \"198.18.1.1\"\n" TUN_PSK
                         "      mode = route\n"
                         "      routes = {\"172.16.0.0/16\", \"0.0.0.0/0\"}\n"
                         "    }\n  }\n"),
        cert, key, ca);
    cfg = load_ok(text);
    unlink(cert);
    unlink(key);
    unlink(ca);

    assert_non_null(cfg->tenants[0].vpn);
    assert_int_equal(cfg->tenants[0].vpn->n_tunnels, 2);
    t = &cfg->tenants[0].vpn->tunnels[0];
    assert_int_equal(t->reqid, 17);
    assert_int_equal(t->if_id, 1);
    assert_string_equal(t->local_id, "gw.contoso.example");
    assert_string_equal(t->remote_id, "C=DE, O=site1, CN=peer");
    assert_int_equal(t->auth, CONFIG_VPN_AUTH_PUBKEY);
    assert_string_equal(t->psk, "");
    assert_string_equal(t->certificate, cert);
    assert_string_equal(t->private_key, key);
    assert_string_equal(t->ca_certificate, ca);
    assert_int_equal(t->n_ike_proposals, 2);
    assert_string_equal(t->ike_proposals[1], "chacha20poly1305-prfsha512-curve25519");
    assert_int_equal(t->n_esp_proposals, 2);
    assert_string_equal(t->esp_proposals[0], "aes128-sha256-esn");
    assert_string_equal(t->esp_proposals[1], "aes256gcm16");
    assert_int_equal(t->ike_lifetime, 28800);
    assert_int_equal(t->child_lifetime, 1800);
    assert_true(t->child_life_bytes == 4294967296ull);
    assert_int_equal(t->dpd_delay, 0);
    assert_int_equal(t->n_local_ts, 1);
    assert_string_equal(hnvgw_prefix_format(&t->local_ts[0], b), "10.1.0.0/16");
    assert_int_equal(t->n_remote_ts, 2);
    assert_string_equal(hnvgw_prefix_format(&t->remote_ts[1], b), "172.16.9.0/24");

    u = &cfg->tenants[0].vpn->tunnels[1];
    assert_string_equal(u->name, "roadwarrior-hub");
    assert_int_equal(u->reqid, 18);
    assert_true(u->remote_any);
    assert_int_equal(u->remote_address.family, 0);
    assert_string_equal(u->remote_id, "hub.example");
    assert_int_equal(u->start_action, CONFIG_VPN_START_RESPOND);

    r = &cfg->tenants[1].vpn->tunnels[0];
    assert_int_equal(r->reqid, 2 * 16 + 1);
    assert_int_equal(r->if_id, 2);
    assert_int_equal(r->mode, CONFIG_VPN_MODE_ROUTE);
    assert_int_equal(r->n_local_ts, 1);
    assert_int_equal(r->n_remote_ts, 1);
    assert_string_equal(hnvgw_prefix_format(&r->local_ts[0], b), "0.0.0.0/0");
    assert_string_equal(hnvgw_prefix_format(&r->remote_ts[0], b), "0.0.0.0/0");
    assert_int_equal(r->n_routes, 2);
    assert_string_equal(hnvgw_prefix_format(&r->routes[0], b), "172.16.0.0/16");
    assert_string_equal(hnvgw_prefix_format(&r->routes[1], b), "0.0.0.0/0");

    assert_ptr_equal(config_find_vpn_tunnel(cfg, 18, &owner), u);
    assert_ptr_equal(owner, &cfg->tenants[0]);
    assert_ptr_equal(config_find_vpn_tunnel(cfg, 33, NULL), r);
    assert_null(config_find_vpn_tunnel(cfg, 19, NULL));
    assert_null(config_find_vpn_tunnel(cfg, 16, NULL));
    assert_null(config_find_vpn_tunnel(cfg, 3 * 16 + 1, NULL));
    config_destroy(cfg);
    free(cert);
    free(key);
    free(ca);
}

/* Fifteen tunnels fit, numbered 1..15 in file order; route-mode tunnels may share selectors. */
static void
test_vpn_limits(void **state)
{
    struct hnvgw_config *cfg =
        load_ok(NAT_BASE TENANT_A_NAT(VPN(TUN("r1", TUN_REMOTE TUN_PSK "      mode = route\n") TUN(
            "r2", TUN_REMOTE TUN_PSK "      mode = route\n") TUN("p", TUN_MIN))));
    (void)state;
    assert_int_equal(cfg->tenants[0].vpn->n_tunnels, 3);
    assert_int_equal(cfg->tenants[0].vpn->tunnels[2].reqid, 19);
    config_destroy(cfg);

    /* Fifteen policy tunnels with the same remote_ts would overlap: make them route mode. */
    cfg = load_ok(NAT_BASE TENANT_A_NAT(VPN(TUN15(TUN_R))));
    assert_int_equal(cfg->tenants[0].vpn->n_tunnels, 15);
    assert_int_equal(cfg->tenants[0].vpn->tunnels[14].reqid, 31);
    assert_string_equal(cfg->tenants[0].vpn->tunnels[14].name, "t15");
    config_destroy(cfg);
}

/* policy_config_clone() deep-copies the vpn section; any change to it needs a restart. */
static void
test_vpn_clone_restart(void **state)
{
    static const char text[] = NAT_BASE TENANT_A_NAT(VPN(TUN("p", TUN_MIN) TUN(
        "r", TUN_REMOTE TUN_PSK "      mode = route\n      routes = {\"172.20.0.0/16\"}\n")))
        TENANT_B;
    struct hnvgw_config *cfg = load_ok(text), *c = policy_config_clone(cfg), *d;
    const struct config_vpn *a = cfg->tenants[0].vpn, *b;

    (void)state;
    assert_non_null(c);
    b = c->tenants[0].vpn;
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    assert_null(c->tenants[1].vpn);
    assert_ptr_not_equal(a->tunnels, b->tunnels);
    assert_ptr_not_equal(a->tunnels[1].routes, b->tunnels[1].routes);
    assert_memory_equal(a->tunnels[1].routes, b->tunnels[1].routes, sizeof *a->tunnels[1].routes);
    assert_null(policy_restart_needed(cfg, c));

    /* The same file loaded twice compares equal too. */
    d = load_ok(text);
    assert_null(policy_restart_needed(cfg, d));
    config_destroy(d);

    c->tenants[0].vpn->tunnels[0].psk[0] = 'Y';
    assert_string_equal(policy_restart_needed(cfg, c), "a tenant's vpn section");
    c->tenants[0].vpn->tunnels[0].psk[0] = 'Z';
    assert_null(policy_restart_needed(cfg, c));
    c->tenants[0].vpn->tunnels[1].routes[0].plen = 12;
    assert_string_equal(policy_restart_needed(cfg, c), "a tenant's vpn section");
    c->tenants[0].vpn->tunnels[1].routes[0].plen = 16;
    c->tenants[0].vpn->local_address.v4 ^= htonl(1);
    assert_string_equal(policy_restart_needed(cfg, c), "a tenant's vpn section");
    c->tenants[0].vpn->local_address.v4 ^= htonl(1);
    assert_null(policy_restart_needed(cfg, c));

    /* Adding a tenant with a VPN, or removing one, needs a restart as well. */
    d = load_ok(NAT_BASE TENANT_A);
    assert_string_equal(policy_restart_needed(d, cfg), "a tenant's vpn section");
    config_destroy(d);
    d = load_ok(NAT_BASE TENANT_B);
    assert_string_equal(policy_restart_needed(cfg, d), "the set of tenants with VPN");
    assert_string_equal(policy_restart_needed(d, cfg), "the set of tenants with VPN");
    config_destroy(d);

    /* The copy outlives the original. */
    config_destroy(cfg);
    assert_string_equal(b->tunnels[0].psk, "Zx8-kQ2!mP5#tR7w");
    assert_int_equal(b->tunnels[1].routes[0].plen, 16);
    config_destroy(c);
}

int
main(void)
{
    /* clang-format off */
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_vpn_defaults),
        cmocka_unit_test(test_vpn_full),
        cmocka_unit_test(test_vpn_limits),
        cmocka_unit_test(test_vpn_clone_restart),
    };
    /* clang-format on */

    return config_fixture_run("config_vpn", fixed, sizeof fixed / sizeof fixed[0], bad_cases,
                              sizeof bad_cases / sizeof bad_cases[0]);
}
