/*
 * abi_counter: the tests' window into what the host does with a plugin.
 *
 * Every successful init takes a fresh record in a table global to the
 * object; the state init returns points at it, and the callbacks count
 * into the record through that state.  The tests dlopen this same file
 * (dlopen of a loaded object returns the same mapping) and read the
 * records through the exported abi_counter_* functions, so they see every
 * init, callback and fini the host made.
 *
 * Config keys, read with a small scanner (the host passes compact JSON):
 *   "tag": "t"        names the record for abi_counter_get/_text
 *   "step": n         what each info call adds to the record (default 1)
 *   "resolve": "p"    resolve p with services->resolve_path in init
 *   "log": "text"     log text at WARNING from init, and at DEBUG when a
 *                     handshake is done
 *   "late_error": true  call services->error when a handshake is done,
 *                     outside init, where it must only be logged
 *
 * Tests drive connections from one thread, so the table has no lock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sslplug/plugin.h>

SSLPLUG_PLUGIN_EXPORT void abi_counter_reset(void);
SSLPLUG_PLUGIN_EXPORT long abi_counter_get(const char *tag, const char *what);
SSLPLUG_PLUGIN_EXPORT const char *abi_counter_text(const char *tag, const char *what);

#define RECORDS 32
#define COOKIE 0x434e5452u

typedef struct record {
    int used;
    char tag[64];
    char config[512];
    char resolved[1024];
    char config_path[1024];
    long resolve_small;
    long info;
    long verify;
    long done;
    long fini;
    long services_ok;
} record;

typedef struct counter_state {
    unsigned cookie;
    record *rec;
    long step;
    int late_error;
    int log_done;
    const sslplug_services *services;
    sslplug_handle *handle;
} counter_state;

static record records[RECORDS];
static long inits, finis, bad_state;

static int
scan_string(const char *json, const char *key, char *out, size_t len)
{
    char pattern[80];
    const char *p, *end;

    snprintf(pattern, sizeof(pattern), "\"%s\":\"", key);
    if ((p = strstr(json, pattern)) == NULL) {
        return 0;
    }
    p += strlen(pattern);
    if ((end = strchr(p, '"')) == NULL || (size_t)(end - p) >= len) {
        return 0;
    }
    memcpy(out, p, (size_t)(end - p));
    out[end - p] = '\0';
    return 1;
}

static long
scan_long(const char *json, const char *key, long fallback)
{
    char pattern[80];
    const char *p;

    snprintf(pattern, sizeof(pattern), "\"%s\":", key);
    if ((p = strstr(json, pattern)) == NULL) {
        return fallback;
    }
    return strtol(p + strlen(pattern), NULL, 10);
}

static int
scan_true(const char *json, const char *key)
{
    char pattern[80];

    snprintf(pattern, sizeof(pattern), "\"%s\":true", key);
    return strstr(json, pattern) != NULL;
}

static int
services_usable(const sslplug_services *services)
{
    return services->size >=
               offsetof(sslplug_services, config_path) + sizeof(services->config_path) &&
           services->abi_major == SSLPLUG_ABI_MAJOR;
}

static int
ac_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
        void **state)
{
    counter_state *s = NULL;
    record *rec = NULL;
    char text[256], small[4];

    for (size_t i = 0; i < RECORDS && rec == NULL; i++) {
        if (!records[i].used) {
            rec = &records[i];
        }
    }
    if (!services_usable(services)) {
        return 0; /* cannot even report: error() may not exist */
    }
    if (rec == NULL || (s = calloc(1, sizeof(*s))) == NULL) {
        services->error(handle, NULL, "no record left or out of memory");
        return 0;
    }
    memset(rec, 0, sizeof(*rec));
    rec->used = 1;
    rec->services_ok = 1;
    scan_string(config_json, "tag", rec->tag, sizeof(rec->tag));
    snprintf(rec->config, sizeof(rec->config), "%s", config_json);
    snprintf(rec->config_path, sizeof(rec->config_path), "%s", services->config_path(handle));
    if (scan_string(config_json, "resolve", text, sizeof(text))) {
        if (!services->resolve_path(handle, text, rec->resolved, sizeof(rec->resolved))) {
            rec->resolved[0] = '\0';
        }
        /* Too small for any absolute path: resolve_path must say so, not overflow. */
        rec->resolve_small = services->resolve_path(handle, text, small, sizeof(small));
    }
    s->cookie = COOKIE;
    s->rec = rec;
    s->step = scan_long(config_json, "step", 1);
    s->late_error = scan_true(config_json, "late_error");
    s->services = services;
    s->handle = handle;
    if (scan_string(config_json, "log", text, sizeof(text))) {
        services->log(handle, SSLPLUG_LOG_WARNING, "init %s: %s", rec->tag, text);
        s->log_done = 1;
    }
    inits++;
    *state = s;
    return 1;
}

static void
ac_fini(void *state)
{
    counter_state *s = state;

    finis++;
    if (s == NULL || s->cookie != COOKIE) {
        return;
    }
    s->rec->fini++;
    s->cookie = 0;
    free(s);
}

static int
ac_verify(void *state, int ok, X509_STORE_CTX *store)
{
    counter_state *s = state;

    (void)store;
    if (s == NULL || s->cookie != COOKIE) {
        bad_state++;
        return 0;
    }
    s->rec->verify++;
    return ok;
}

static void
ac_info(void *state, const SSL *ssl, int where, int ret)
{
    counter_state *s = state;

    (void)ssl;
    (void)ret;
    if (s == NULL || s->cookie != COOKIE) {
        bad_state++;
        return;
    }
    s->rec->info += s->step;
    if ((where & SSL_CB_HANDSHAKE_DONE) == 0) {
        return;
    }
    s->rec->done++;
    if (s->log_done) {
        s->services->log(s->handle, SSLPLUG_LOG_DEBUG, "done %s", s->rec->tag);
    }
    if (s->late_error) {
        s->services->error(s->handle, "/late_error", "late error from %s", s->rec->tag);
    }
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "abi_counter",
    .version = "1.0",
    .init = ac_init,
    .fini = ac_fini,
    .verify = ac_verify,
    .info = ac_info,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}

/* ---- the tests' side ---- */

void
abi_counter_reset(void)
{
    memset(records, 0, sizeof(records));
    inits = 0;
    finis = 0;
    bad_state = 0;
}

static const record *
find(const char *tag)
{
    for (size_t i = 0; i < RECORDS; i++) {
        if (records[i].used && strcmp(records[i].tag, tag) == 0) {
            return &records[i];
        }
    }
    return NULL;
}

/*
 * tag NULL: "inits" or "finis" over all states, or "bad_state" (callbacks
 * that got a state init did not make).  Otherwise a counter of the record
 * tagged tag ("records" counts records with that tag); -1 when none.
 */
long
abi_counter_get(const char *tag, const char *what)
{
    const record *r;
    long n = 0;

    if (tag == NULL) {
        if (strcmp(what, "inits") == 0) {
            return inits;
        }
        if (strcmp(what, "finis") == 0) {
            return finis;
        }
        if (strcmp(what, "bad_state") == 0) {
            return bad_state;
        }
        return -1;
    }
    if (strcmp(what, "records") == 0) {
        for (size_t i = 0; i < RECORDS; i++) {
            n += records[i].used && strcmp(records[i].tag, tag) == 0;
        }
        return n;
    }
    if ((r = find(tag)) == NULL) {
        return -1;
    }
    if (strcmp(what, "info") == 0) {
        return r->info;
    }
    if (strcmp(what, "verify") == 0) {
        return r->verify;
    }
    if (strcmp(what, "done") == 0) {
        return r->done;
    }
    if (strcmp(what, "fini") == 0) {
        return r->fini;
    }
    if (strcmp(what, "resolve_small") == 0) {
        return r->resolve_small;
    }
    if (strcmp(what, "services_ok") == 0) {
        return r->services_ok;
    }
    return -1;
}

/* "config", "resolved" or "config_path" of the record tagged tag; NULL when none. */
const char *
abi_counter_text(const char *tag, const char *what)
{
    const record *r = find(tag);

    if (r == NULL) {
        return NULL;
    }
    if (strcmp(what, "config") == 0) {
        return r->config;
    }
    if (strcmp(what, "resolved") == 0) {
        return r->resolved;
    }
    if (strcmp(what, "config_path") == 0) {
        return r->config_path;
    }
    return NULL;
}
