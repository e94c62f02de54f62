/*
 * info_metrics: count handshakes started, completed and failed and alerts
 * by description, and write them in the Prometheus text format for
 * node_exporter's textfile collector.  Callbacks only bump atomic
 * counters; a background thread writes the file every interval_s seconds
 * (a temporary file renamed over it), and fini writes it a last time.
 * When the entry is only checked, nothing is written and no thread runs.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ssl.h>

#include <sslplug/plugin.h>

#include "alert_name.h"
#include "sslplug_plugin_util.h"

/* The events counted; the host does not call for the others. */
#define EVENTS (SSL_CB_HANDSHAKE_START | SSL_CB_HANDSHAKE_DONE | SSL_CB_ALERT | SSL_CB_EXIT)
#define ALERT_CODES 256

typedef struct info_metrics {
    const sslplug_services *services;
    const sslplug_handle *handle;
    char *path;
    char *entry; /* the "entry" label value, escaped */
    long long interval_s;

    atomic_ulong started;
    atomic_ulong completed;
    atomic_ulong failed;
    atomic_ulong alerts[ALERT_CODES]; /* by description code */

    pthread_mutex_t lock; /* guards stop, for the writer's timed wait */
    pthread_cond_t wake;
    int stop;
    pthread_t writer;
    int writer_running;
    int sync_ready; /* lock and wake initialised */
    int failing;    /* the last write failed (and was logged); writer and fini only */
    int checking;   /* only checked: no file is written, no thread started */
} info_metrics;

/*
 * failed: a fatal alert sent or received, or a handshake that exits with
 * 0 (OpenSSL's "failed"; -1 is "would block or error").
 */
static void
im_info(void *state, const SSL *ssl, int where, int ret)
{
    info_metrics *im = state;

    (void)ssl;
    if ((where & EVENTS) == 0) {
        return;
    }
    if (where & SSL_CB_HANDSHAKE_START) {
        atomic_fetch_add_explicit(&im->started, 1, memory_order_relaxed);
    }
    if (where & SSL_CB_HANDSHAKE_DONE) {
        atomic_fetch_add_explicit(&im->completed, 1, memory_order_relaxed);
    }
    if (where & SSL_CB_ALERT) {
        atomic_fetch_add_explicit(&im->alerts[ret & 0xff], 1, memory_order_relaxed);
        if (((ret >> 8) & 0xff) == SSL3_AL_FATAL) {
            atomic_fetch_add_explicit(&im->failed, 1, memory_order_relaxed);
        }
    } else if ((where & SSL_CB_EXIT) && ret == 0) {
        atomic_fetch_add_explicit(&im->failed, 1, memory_order_relaxed);
    }
}

/* ---- the file ---- */

/* A growing text buffer; on allocation failure it stays failed and the write is skipped. */
typedef struct text {
    char *buf;
    size_t len, cap;
    int failed;
} text;

static void text_add(text *t, const char *fmt, ...) SSLPLUGI_PRINTF(2, 3);

static void
text_add(text *t, const char *fmt, ...)
{
    va_list ap;
    int n;

    for (int attempt = 0; attempt < 2 && !t->failed; attempt++) {
        va_start(ap, fmt);
        n = vsnprintf(t->buf != NULL ? t->buf + t->len : NULL, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = 1;
        } else if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        } else {
            size_t cap = (t->cap + (size_t)n + 1) * 2;
            char *grown = realloc(t->buf, cap);

            if (grown == NULL) {
                t->failed = 1;
            } else {
                t->buf = grown;
                t->cap = cap;
            }
        }
    }
}

static void
counter(text *t, const info_metrics *im, const char *name, const char *help, unsigned long value)
{
    text_add(t, "# HELP %s %s\n# TYPE %s counter\n%s{entry=\"%s\"} %lu\n", name, help, name, name,
             im->entry, value);
}

static void
render(text *t, info_metrics *im)
{
    counter(t, im, "sslplug_handshakes_started_total", "TLS handshakes started.",
            atomic_load(&im->started));
    counter(t, im, "sslplug_handshakes_completed_total", "TLS handshakes completed.",
            atomic_load(&im->completed));
    counter(t, im, "sslplug_handshakes_failed_total",
            "TLS handshakes that failed: a fatal alert sent or received, or an exit with 0.",
            atomic_load(&im->failed));
    text_add(t, "# HELP sslplug_alerts_total TLS alerts sent or received, by description.\n"
                "# TYPE sslplug_alerts_total counter\n");
    for (int code = 0; code < ALERT_CODES; code++) {
        unsigned long n = atomic_load(&im->alerts[code]);
        char name[SSLPLUGI_ALERT_NAME_MAX];

        if (n > 0) {
            sslplugi_alert_name(code, name);
            text_add(t, "sslplug_alerts_total{entry=\"%s\",description=\"%s\"} %lu\n", im->entry,
                     name, n);
        }
    }
}

/* Render and write the counters as they are now.  Returns 1, or 0 with why. */
static int
write_metrics(info_metrics *im, char *why, size_t whylen)
{
    text t = {NULL, 0, 0, 0};
    int ok;

    render(&t, im);
    if (t.failed) {
        snprintf(why, whylen, "out of memory");
        ok = 0;
    } else {
        /* Not ending in ".prom" while it is being written, so the collector skips it. */
        ok = sslplugi_replace_file(im->path, t.buf, t.len, 0644, 0, why, whylen);
    }
    free(t.buf);
    return ok;
}

/* From the writer and fini: failures are logged once per run of them. */
static void
write_and_log(info_metrics *im)
{
    char why[512];

    if (write_metrics(im, why, sizeof(why))) {
        im->failing = 0;
    } else if (!im->failing) {
        im->failing = 1;
        im->services->log(im->handle, SSLPLUG_LOG_ERROR, "%s", why);
    }
}

/* ---- the writer thread ---- */

static void *
writer_main(void *arg)
{
    info_metrics *im = arg;
    struct timespec deadline;

    pthread_mutex_lock(&im->lock);
    while (!im->stop) {
        int rc = 0;

        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_sec += (time_t)im->interval_s;
        while (!im->stop && rc != ETIMEDOUT) {
            rc = pthread_cond_timedwait(&im->wake, &im->lock, &deadline);
        }
        if (im->stop) {
            break;
        }
        pthread_mutex_unlock(&im->lock);
        write_and_log(im);
        pthread_mutex_lock(&im->lock);
    }
    pthread_mutex_unlock(&im->lock);
    return NULL;
}

/* The condition variable waits on the monotonic clock: a clock step must not stall writes. */
static int
sync_init(info_metrics *im)
{
    pthread_condattr_t attr;
    int ok;

    if (pthread_condattr_init(&attr) != 0) {
        return 0;
    }
    ok = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
         pthread_cond_init(&im->wake, &attr) == 0;
    pthread_condattr_destroy(&attr);
    if (!ok) {
        return 0;
    }
    if (pthread_mutex_init(&im->lock, NULL) != 0) {
        pthread_cond_destroy(&im->wake);
        return 0;
    }
    im->sync_ready = 1;
    return 1;
}

/* The writer blocks every signal: the application's handlers run on its own threads. */
static int
start_writer(info_metrics *im)
{
    sigset_t all, old;
    int rc;

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&im->writer, NULL, writer_main, im);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    im->writer_running = rc == 0;
    return rc;
}

static void
stop_writer(info_metrics *im)
{
    if (!im->writer_running) {
        return;
    }
    pthread_mutex_lock(&im->lock);
    im->stop = 1;
    pthread_cond_signal(&im->wake);
    pthread_mutex_unlock(&im->lock);
    pthread_join(im->writer, NULL);
    im->writer_running = 0;
}

/* ---- lifecycle ---- */

static void
im_free(info_metrics *im)
{
    if (im == NULL) {
        return;
    }
    stop_writer(im);
    if (im->sync_ready) {
        pthread_cond_destroy(&im->wake);
        pthread_mutex_destroy(&im->lock);
    }
    free(im->path);
    free(im->entry);
    free(im);
}

/* A Prometheus label value: backslash, double quote and newline escaped. */
static char *
escape_label(const char *value)
{
    char *out = malloc(strlen(value) * 2 + 1);
    char *p = out;

    if (out == NULL) {
        return NULL;
    }
    for (; *value != '\0'; value++) {
        if (*value == '\\' || *value == '"') {
            *p++ = '\\';
            *p++ = *value;
        } else if (*value == '\n') {
            *p++ = '\\';
            *p++ = 'n';
        } else {
            *p++ = *value;
        }
    }
    *p = '\0';
    return out;
}

/*
 * For use: a first write of zeros (the path is known to work, and the
 * series exist from the start), then the writer.  Checked: nothing is
 * written; the file is made beside itself and renamed over, so its
 * directory is what must work.
 */
static int
start(const sslplugi_cfg *cfg, info_metrics *im)
{
    char why[512];
    int rc;

    if (im->checking) {
        return sslplugi_cfg_creatable(cfg, "path", "metrics file", im->path);
    }
    if (!write_metrics(im, why, sizeof(why))) {
        sslplugi_cfg_error(cfg, "path", "%s", why);
        return 0;
    }
    if ((rc = start_writer(im)) != 0) {
        sslplugi_cfg_error(cfg, NULL, "cannot start the writer thread: %s",
                           sslplugi_strerror(rc, why, sizeof(why)));
        return 0;
    }
    return 1;
}

static int
im_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
        void **state)
{
    static const char *const keys[] = {"path", "interval_s", "name", NULL};
    sslplugi_cfg cfg;
    info_metrics *im = NULL;
    const char *name = "default";
    int ok = 0;

    if (!sslplugi_cfg_open(&cfg, services, handle, config_json, keys)) {
        goto done;
    }
    if ((im = calloc(1, sizeof(*im))) == NULL) {
        sslplugi_cfg_error(&cfg, NULL, "out of memory");
        goto done;
    }
    im->interval_s = 15;
    if (!sslplugi_cfg_path(&cfg, "path", SSLPLUGI_REQUIRED, &im->path) ||
        !sslplugi_cfg_int(&cfg, "interval_s", SSLPLUGI_OPTIONAL, 1, 86400, &im->interval_s) ||
        !sslplugi_cfg_string(&cfg, "name", SSLPLUGI_NONEMPTY, &name)) {
        goto done;
    }
    im->services = services;
    im->handle = handle;
    for (int i = 0; i < ALERT_CODES; i++) {
        atomic_init(&im->alerts[i], 0);
    }
    atomic_init(&im->started, 0);
    atomic_init(&im->completed, 0);
    atomic_init(&im->failed, 0);
    if ((im->entry = escape_label(name)) == NULL || !sync_init(im)) {
        sslplugi_cfg_error(&cfg, NULL, "out of memory");
        goto done;
    }
    im->checking = sslplugi_cfg_checking(&cfg);
    if (!start(&cfg, im)) {
        goto done;
    }
    *state = im;
    im = NULL;
    ok = 1;

done:
    im_free(im);
    sslplugi_cfg_close(&cfg);
    return ok;
}

/* Stop the writer (it wakes at once), then write the final counts. */
static void
im_fini(void *state)
{
    info_metrics *im = state;

    stop_writer(im);
    if (!im->checking) {
        write_and_log(im);
    }
    im_free(im);
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "info_metrics",
    .version = "1.0",
    .init = im_init,
    .fini = im_fini,
    .info = im_info,
    /* Callbacks only touch atomic counters. */
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
    .info_events = SSLPLUG_EVENT_HANDSHAKE_START | SSLPLUG_EVENT_HANDSHAKE_DONE |
                   SSLPLUG_EVENT_ALERT | SSLPLUG_EVENT_EXIT,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
