/*
 * ss_memory: a session_store shared by every context of the process (a
 * fleet in one process), keyed by namespace and session id.  Config flags
 * make it misbehave on purpose: "ignore_ns": 1 finds a session by its id
 * whatever the namespace asked for; "garbage": 1 answers every GET with
 * bytes that are no session; "ask_more": 1 claims one byte more than the
 * room on the first try of each GET; "fail": 1 cannot answer.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sslplug/plugin.h>

#include "cb_config.h"

#define MAX_ENTRIES 256

typedef struct entry {
    unsigned char ns[32];
    unsigned char id[32];
    size_t id_len;
    unsigned char *der;
    size_t len;
} entry;

typedef struct flags {
    long ignore_ns, garbage, ask_more, fail;
} flags;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static entry table[MAX_ENTRIES];
static size_t used;
static int instances;

static int
ss_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
        void **state)
{
    flags *f = calloc(1, sizeof(*f));

    if (f == NULL) {
        services->error(handle, NULL, "out of memory");
        return 0;
    }
    f->ignore_ns = cb_config_int(config_json, "ignore_ns", 0);
    f->garbage = cb_config_int(config_json, "garbage", 0);
    f->ask_more = cb_config_int(config_json, "ask_more", 0);
    f->fail = cb_config_int(config_json, "fail", 0);
    pthread_mutex_lock(&lock);
    instances++;
    pthread_mutex_unlock(&lock);
    *state = f;
    return 1;
}

static void
ss_fini(void *state)
{
    pthread_mutex_lock(&lock);
    if (--instances == 0) {
        for (size_t i = 0; i < used; i++) {
            free(table[i].der);
        }
        memset(table, 0, sizeof(table));
        used = 0;
    }
    pthread_mutex_unlock(&lock);
    free(state);
}

static entry *
find(const sslplug_session *s, int any_ns)
{
    for (size_t i = 0; i < used; i++) {
        if (table[i].id_len == s->id_len && memcmp(table[i].id, s->id, s->id_len) == 0 &&
            (any_ns || (s->ns_len == 32 && memcmp(table[i].ns, s->ns, 32) == 0))) {
            return &table[i];
        }
    }
    return NULL;
}

static int
ss_store(void *state, sslplug_session *s)
{
    const flags *f = state;
    entry *e;
    int r = 0;

    if (s->ns_len != 32 || s->id_len > 32) {
        return 0;
    }
    pthread_mutex_lock(&lock);
    switch (s->op) {
    case SSLPLUG_SESSION_NEW:
        if (used < MAX_ENTRIES && (table[used].der = malloc(s->der_len)) != NULL) {
            memcpy(table[used].ns, s->ns, 32);
            memcpy(table[used].id, s->id, s->id_len);
            table[used].id_len = s->id_len;
            memcpy(table[used].der, s->der, s->der_len);
            table[used].len = s->der_len;
            used++;
            r = 1;
        }
        break;
    case SSLPLUG_SESSION_GET:
        e = find(s, (int)f->ignore_ns);
        if (f->fail) {
            r = SSLPLUG_SESSION_ERROR;
        } else if (e != NULL && f->garbage) {
            memset(s->buf, 0x30, 10);
            r = 10;
        } else if (e != NULL && f->ask_more && s->buf_len < 65536 && s->buf_len == 16384) {
            r = (int)s->buf_len + 1;
        } else if (e != NULL && e->len <= s->buf_len) {
            memcpy(s->buf, e->der, e->len);
            r = (int)e->len;
        }
        break;
    case SSLPLUG_SESSION_REMOVE:
        if ((e = find(s, 0)) != NULL) {
            free(e->der);
            *e = table[--used];
            memset(&table[used], 0, sizeof(table[used]));
            r = 1;
        }
        break;
    default:
        break;
    }
    pthread_mutex_unlock(&lock);
    return r;
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "ss_memory",
    .version = "1.0",
    .init = ss_init,
    .fini = ss_fini,
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
    .session_store = ss_store,
};
/* clang-format on */

SSLPLUG_PLUGIN_EXPORT const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
