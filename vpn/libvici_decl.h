/* SPDX-License-Identifier: Apache-2.0 */
/* Our own declarations of the parts of strongSwan's libvici (libvici.so.0, package
 * strongswan-swanctl, in /usr/lib/ipsec) that vpn/vici.c uses. Debian ships the library but no
 * header; these prototypes follow the API of strongSwan 5.9.8's libvici.h, which is stable across
 * 5.x. Link with -L/usr/lib/ipsec -Wl,-rpath,/usr/lib/ipsec -l:libvici.so.0.
 *
 * The library's own rules that matter here:
 * - vici_init() initializes libstrongswan and starts its thread pool; vici_deinit() stops both.
 *   Both are process-wide: vpn/vici.c counts its clients and calls each once.
 * - One thread at a time per connection. vici_submit() consumes the request, whether or not it
 *   succeeds, and returns NULL with errno set on failure.
 * - Event callbacks run on a libstrongswan pool thread. They must not call vici_submit() and
 *   must not free the message. Events of a connection are delivered in order, and all events a
 *   command streams (list-sa for list-sas) are delivered before vici_submit() returns.
 * - Values are blobs: strings are not NUL-terminated on the wire. */
#ifndef HNVGW_LIBVICI_DECL_H
#define HNVGW_LIBVICI_DECL_H

#include <stdio.h>

typedef struct vici_conn_t vici_conn_t;
typedef struct vici_req_t vici_req_t;
typedef struct vici_res_t vici_res_t;

/* What vici_parse() found next in a message. */
typedef enum {
    VICI_PARSE_BEGIN_SECTION, /* A section starts; it has a name. */
    VICI_PARSE_END_SECTION,   /* The current section ends. */
    VICI_PARSE_BEGIN_LIST,    /* A list starts; it has a name. */
    VICI_PARSE_LIST_ITEM,     /* A list element; it has a value. */
    VICI_PARSE_END_LIST,      /* The current list ends. */
    VICI_PARSE_KEY_VALUE,     /* A key and its value. */
    VICI_PARSE_END,           /* The end of the message. */
    VICI_PARSE_ERROR,         /* A malformed message. */
} vici_parse_t;

typedef void (*vici_event_cb_t)(void *user, char *name, vici_res_t *msg);

void vici_init(void);
void vici_deinit(void);

/* "unix:///path" or "tcp://host:port"; NULL for the default socket. NULL with errno on error. */
vici_conn_t *vici_connect(char *uri);
void vici_disconnect(vici_conn_t *conn);

vici_req_t *vici_begin(char *name);
void vici_begin_section(vici_req_t *req, char *name);
void vici_end_section(vici_req_t *req);
void vici_add_key_value(vici_req_t *req, char *key, void *buf, int len);
void vici_add_key_valuef(vici_req_t *req, char *key, char *fmt, ...);
void vici_begin_list(vici_req_t *req, char *name);
void vici_add_list_item(vici_req_t *req, void *buf, int len);
void vici_add_list_itemf(vici_req_t *req, char *fmt, ...);
void vici_end_list(vici_req_t *req);
vici_res_t *vici_submit(vici_req_t *req, vici_conn_t *conn);
void vici_free_req(vici_req_t *req);

int vici_dump(vici_res_t *res, char *label, int pretty, FILE *out);
vici_parse_t vici_parse(vici_res_t *res);
char *vici_parse_name(vici_res_t *res);
void *vici_parse_value(vici_res_t *res, int *len);
char *vici_find_str(vici_res_t *res, char *def, char *fmt, ...);
void vici_free_res(vici_res_t *res);

/* (Un)registers 'cb' (NULL: unregister) for event 'name'. 0 on success, else errno is set. */
int vici_register(vici_conn_t *conn, char *name, vici_event_cb_t cb, void *user);

#endif
