/* SPDX-License-Identifier: Apache-2.0 */
/* Configuration loader: the line of every key, messages in the "file:line: field: problem" form,
 * and the libconfuse callbacks that feed both. See config_internal.h. */
#include "gateway/config/config_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The loader the libconfuse callbacks report to, set only while cfg_parse_buf() runs. */
static struct loader *cur_loader;

cfg_opt_t *
config_find_opt(cfg_t *sec, const char *name)
{
    for (cfg_opt_t *o = sec->opts; o && o->name; o++) {
        if (!strcmp(o->name, name)) {
            return o;
        }
    }
    return NULL;
}

int
config_section_line(cfg_t *sec)
{
    cfg_opt_t *opt = sec ? config_find_opt(sec, CONFIG_LINE_KEY) : NULL;

    return opt && opt->nvalues ? (int)(intptr_t)cfg_opt_getnptr(opt, 0) : 0;
}

/* qsort() order of key lines: by option, element, then line. */
static int
key_line_cmp(const void *a_, const void *b_)
{
    const struct key_line *a = a_, *b = b_;

    if (a->opt != b->opt) {
        return a->opt < b->opt ? -1 : 1;
    }
    if (a->idx != b->idx) {
        return a->idx < b->idx ? -1 : 1;
    }
    return (a->line > b->line) - (a->line < b->line);
}

/* Needs the loader's keys sorted. */
int
config_key_line(const struct loader *ld, cfg_t *sec, const char *name, unsigned idx)
{
    cfg_opt_t *opt = config_find_opt(sec, name);
    size_t lo = 0, hi = ld ? ld->n_keys : 0;
    uintptr_t key = (uintptr_t)opt;

    if (!opt) {
        return 0;
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct key_line *k = &ld->keys[mid];
        if (k->opt < key || (k->opt == key && k->idx < idx)) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo < ld->n_keys && ld->keys[lo].opt == key && ld->keys[lo].idx == idx) {
        return ld->keys[lo].line;
    }
    /* An element that left no line (e.g. from '+='): fall back to the key's first line. */
    return idx ? config_key_line(ld, sec, name, 0) : 0;
}

/* Writes "name" or name "title" of section 'sec' (nothing for the root) into 'buf'. */
static void
section_desc(cfg_t *sec, char *buf, size_t size)
{
    if (!sec || !strcmp(cfg_name(sec), "root")) {
        buf[0] = '\0';
    } else if (cfg_title(sec)) {
        snprintf(buf, size, "%s \"%s\"", cfg_name(sec), cfg_title(sec));
    } else {
        snprintf(buf, size, "%s", cfg_name(sec));
    }
}

/* Writes the context of a key of 'sec' inside 'parent' inside 'grand' (any may be NULL) into
 * 'buf', e.g. tenant "a" nat static_mapping. */
static void
context_of(cfg_t *grand, cfg_t *parent, cfg_t *sec, char *buf, size_t size)
{
    cfg_t *chain[] = {grand, parent, sec};
    size_t len = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < sizeof chain / sizeof chain[0] && len < size; i++) {
        char d[64];

        section_desc(chain[i], d, sizeof d);
        if (d[0]) {
            snprintf(buf + len, size - len, "%s%s", len ? " " : "", d);
            len += strlen(buf + len);
        }
    }
}

int
config_report(const struct where *w, int ret, const char *field, unsigned idx, const char *fmt, ...)
{
    char label[208];
    va_list ap;
    int n = 0;

    snprintf(label, sizeof label, "%s%s%s", w->ctx, w->ctx[0] && field ? " " : "",
             field ? field : "");
    if (w->file) {
        int line = w->sec && field ? config_key_line(w->ld, w->sec, field, idx) : 0;
        n = snprintf(w->err, CONFIG_ERR_MAX, "%s:%d: %s: ", w->file, line > 0 ? line : w->line,
                     label[0] ? label : "syntax");
    } else if (label[0]) {
        n = snprintf(w->err, CONFIG_ERR_MAX, "%s: ", label);
    }
    n = n < 0 ? 0 : n >= CONFIG_ERR_MAX ? CONFIG_ERR_MAX - 1 : n;
    va_start(ap, fmt);
    vsnprintf(w->err + n, CONFIG_ERR_MAX - n, fmt, ap);
    va_end(ap);
    return ret;
}

void
config_where_sec(struct where *w, const struct loader *ld, cfg_t *sec, const char *fmt, ...)
{
    va_list ap;

    memset(w, 0, sizeof *w);
    w->err = ld->err;
    w->ld = ld;
    w->file = ld->path;
    w->sec = sec;
    w->line = config_section_line(sec);
    va_start(ap, fmt);
    vsnprintf(w->ctx, sizeof w->ctx, fmt, ap);
    va_end(ap);
}

void
config_where_line(struct where *w, const struct loader *ld, const char *file, int line,
                  const char *ctx)
{
    memset(w, 0, sizeof *w);
    w->err = ld->err;
    w->file = file;
    w->line = line;
    snprintf(w->ctx, sizeof w->ctx, "%s", ctx);
}

void
config_where_runtime(struct where *w, char *err)
{
    memset(w, 0, sizeof *w);
    w->err = err;
}

/* ---- libconfuse callbacks ---- */

/* Runs when a section is created at its opening brace: stores that line as the key's value and
 * pushes the section on the loader's stack. A value written in the file is refused as an unknown
 * key. */
int
config_section_opened(cfg_t *sec, cfg_opt_t *opt, const char *value, void *result)
{
    struct loader *ld = cur_loader;

    if (!value || strcmp(value, CONFIG_LINE_MAGIC) ||
        (ld && ld->depth > 0 && ld->depth <= CONFIG_SECTION_DEPTH &&
         ld->open[ld->depth - 1] == sec)) {
        cfg_error(sec, "no such option '%s'", opt->name);
        return -1;
    }
    *(void **)result = (void *)(intptr_t)sec->line;
    if (ld) {
        if (ld->depth < CONFIG_SECTION_DEPTH) {
            ld->open[ld->depth] = sec;
        }
        ld->depth++;
    }
    return 0;
}

/* Validation callback of every key and section: records the line of a value, or pops a section
 * that just closed. */
static int
key_read(cfg_t *sec, cfg_opt_t *opt)
{
    struct loader *ld = cur_loader;
    struct key_line *k;

    if (!ld) {
        return 0;
    }
    if (opt->type == CFGT_SEC) {
        ld->depth -= ld->depth > 0;
        return 0;
    }
    if (ld->n_keys == ld->cap_keys) {
        size_t cap = ld->cap_keys ? ld->cap_keys * 2 : 256;
        struct key_line *grown = realloc(ld->keys, cap * sizeof *grown);
        if (!grown) {
            ld->oom = true;
            return -1;
        }
        ld->keys = grown;
        ld->cap_keys = cap;
    }
    k = &ld->keys[ld->n_keys++];
    k->opt = (uintptr_t)opt;
    k->idx = opt->nvalues ? opt->nvalues - 1 : 0;
    k->line = sec->line;
    k->sec = sec;
    k->parent =
        ld->depth >= 2 && ld->depth <= CONFIG_SECTION_DEPTH ? ld->open[ld->depth - 2] : NULL;
    k->grand = ld->depth >= 3 && ld->depth <= CONFIG_SECTION_DEPTH ? ld->open[ld->depth - 3] : NULL;
    return 0;
}

/* Installs key_read() on every option of 'opts' and of its sections, except CONFIG_LINE_KEY. */
static void
install_callbacks(cfg_opt_t *opts)
{
    for (cfg_opt_t *o = opts; o && o->name; o++) {
        if (strcmp(o->name, CONFIG_LINE_KEY)) {
            o->validcb = key_read;
        }
        if (o->type == CFGT_SEC) {
            install_callbacks(o->subopts);
        }
    }
}

/* Reports a "found duplicate title" from libconfuse: names the kind of section and where the
 * first one is. 'parent' is the section that holds both. */
static void
report_duplicate_title(struct where *w, cfg_t *parent, const char *title)
{
    for (cfg_opt_t *o = parent->opts; o && o->name; o++) {
        if (o->type != CFGT_SEC || !(o->flags & CFGF_TITLE)) {
            continue;
        }
        for (unsigned i = 0; i < o->nvalues; i++) {
            cfg_t *s = o->values[i]->section;
            if (s && s->title && !strcmp(s->title, title)) {
                char field[160];
                snprintf(field, sizeof field, "%s \"%s\"", o->name, title);
                config_report(w, EINVAL, field, 0, "name already used by the %s at line %d",
                              o->name, config_section_line(s));
                return;
            }
        }
    }
    config_report(w, EINVAL, NULL, 0, "\"%s\" is defined twice", title);
}

/* libconfuse's error function: rewrites its messages into ours, with the current section as
 * context and the scanner's line. Only the first message is kept. */
static void
confuse_error(cfg_t *sec, const char *fmt, va_list ap)
{
    struct loader *ld = cur_loader;
    char msg[256], name[128];
    struct where w;
    cfg_t *top, *parent, *grand;

    if (!ld || ld->failed) {
        return;
    }
    vsnprintf(msg, sizeof msg, fmt, ap);
    top = ld->depth > 0 && ld->depth <= CONFIG_SECTION_DEPTH ? ld->open[ld->depth - 1] : NULL;
    parent = ld->depth > 1 && ld->depth <= CONFIG_SECTION_DEPTH ? ld->open[ld->depth - 2] : NULL;
    grand = ld->depth > 2 && ld->depth <= CONFIG_SECTION_DEPTH ? ld->open[ld->depth - 3] : NULL;
    config_where_line(&w, ld, ld->path, sec ? sec->line : 0, "");
    if (sec && sec == top) {
        context_of(grand, parent, top, w.ctx, sizeof w.ctx);
    }
    if (sscanf(msg, "no such option '%127[^']'", name) == 1) {
        config_report(&w, EINVAL, name, 0, "unknown %s", w.ctx[0] ? "key" : "key or section");
    } else if (sscanf(msg, "invalid integer value for option '%127[^']'", name) == 1) {
        config_report(&w, EINVAL, name, 0, "not an integer");
    } else if (sscanf(msg, "invalid boolean value for option '%127[^']'", name) == 1) {
        config_report(&w, EINVAL, name, 0, "not true or false");
    } else if (sscanf(msg, "integer value for option '%127[^']' is out of range", name) == 1) {
        config_report(&w, EINVAL, name, 0, "integer out of range");
    } else if (sscanf(msg, "missing equal sign after option '%127[^']'", name) == 1) {
        config_report(&w, EINVAL, name, 0, "expected '=' after the key");
    } else if (sscanf(msg, "attempt to append to non-list option '%127[^']'", name) == 1) {
        config_report(&w, EINVAL, name, 0, "not a list: use '=', not '+='");
    } else if (sscanf(msg, "found duplicate title '%127[^']'", name) == 1 && sec) {
        report_duplicate_title(&w, sec, name);
    } else {
        config_report(&w, EINVAL, NULL, 0, "%s", msg);
    }
    ld->failed = true;
}

int
config_parse(struct loader *ld, char *text, struct where *w)
{
    int ret;

    install_callbacks(ld->root->opts);
    cfg_set_error_function(ld->root, confuse_error);

    cur_loader = ld;
    errno = 0; /* libconfuse tests errno after strtol() without clearing it. */
    ret = cfg_parse_buf(ld->root, text);
    cur_loader = NULL;
    if (ld->oom) {
        return config_report(w, ENOMEM, "file", 0, "out of memory");
    }
    if (ret != CFG_SUCCESS) {
        if (!ld->failed) {
            w->line = ld->root->line;
            config_report(w, EINVAL, NULL, 0, "syntax error");
        }
        return EINVAL;
    }
    qsort(ld->keys, ld->n_keys, sizeof *ld->keys, key_line_cmp);
    return 0;
}

int
config_check_repeated_keys(struct loader *ld)
{
    for (size_t i = 1; i < ld->n_keys; i++) {
        const struct key_line *a = &ld->keys[i - 1], *b = &ld->keys[i];
        const cfg_opt_t *opt = (const cfg_opt_t *)b->opt;
        struct where w;

        if (a->opt == b->opt && a->idx == b->idx && !(opt->flags & CFGF_LIST)) {
            config_where_line(&w, ld, ld->path, b->line, "");
            context_of(b->grand, b->parent, b->sec, w.ctx, sizeof w.ctx);
            return config_report(&w, EINVAL, opt->name, 0, "set twice (first at line %d)", a->line);
        }
    }
    return 0;
}
