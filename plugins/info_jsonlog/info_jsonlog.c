/*
 * info_jsonlog: one JSON object per line for each handshake start, end and
 * alert, for log shippers.  Each line is built whole and written with one
 * write() to a file opened with O_APPEND, so lines from many connections,
 * threads and processes never interleave.  When the entry is only checked,
 * the file is validated but neither created nor opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <sslplug/plugin.h>

#include "alert_name.h"
#include "sslplug_plugin_util.h"

/* The events a line is written for; the host does not call for the others. */
#define EVENTS (SSL_CB_HANDSHAKE_START | SSL_CB_HANDSHAKE_DONE | SSL_CB_ALERT)

typedef struct info_jsonlog {
    const sslplug_services *services;
    const sslplug_handle *handle;
    int fd;
    int own_fd; /* 0 for stdout, which is not ours to close */
    char *path;
    atomic_int failing; /* the last write failed (and was logged) */
} info_jsonlog;

/*
 * Add a string member.  jansson refuses text that is not UTF-8 (a server
 * name is whatever bytes the client sent): such text is added with every
 * byte outside ASCII replaced by '?'.
 */
static void
add_string(json_t *obj, const char *key, const char *value)
{
    json_t *s = json_string(value);

    if (s == NULL) {
        char *copy = strdup(value);

        if (copy == NULL) {
            return;
        }
        for (char *p = copy; *p != '\0'; p++) {
            if ((unsigned char)*p >= 0x80) {
                *p = '?';
            }
        }
        s = json_string(copy);
        free(copy);
    }
    json_object_set_new(obj, key, s);
}

static void
add_time(json_t *obj)
{
    struct timespec now;
    struct tm tm;
    char stamp[40];
    char text[48];

    if (clock_gettime(CLOCK_REALTIME, &now) != 0 || gmtime_r(&now.tv_sec, &tm) == NULL ||
        strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        return;
    }
    snprintf(text, sizeof(text), "%s.%03ldZ", stamp, now.tv_nsec / 1000000);
    add_string(obj, "time", text);
}

/* "host:port" ("[v6]:port") of the socket under the SSL's read BIO, if it has one. */
static void
add_peer(json_t *obj, const SSL *ssl)
{
    BIO *bio = BIO_find_type(SSL_get_rbio(ssl), BIO_TYPE_DESCRIPTOR);
    struct sockaddr_storage addr;
    socklen_t len = sizeof(addr);
    char host[128], port[16]; /* numeric: room for IPv6 with a scope name */
    char text[sizeof(host) + sizeof(port) + 4];
    int fd = -1;

    if (bio == NULL || BIO_get_fd(bio, &fd) < 0 || fd < 0 ||
        getpeername(fd, (struct sockaddr *)&addr, &len) != 0 ||
        (addr.ss_family != AF_INET && addr.ss_family != AF_INET6) ||
        getnameinfo((struct sockaddr *)&addr, len, host, sizeof(host), port, sizeof(port),
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        return;
    }
    snprintf(text, sizeof(text), addr.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
    add_string(obj, "peer", text);
}

static void
add_done(json_t *obj, const SSL *ssl)
{
    const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl);
    X509 *peer = SSL_get0_peer_certificate(ssl);
    const char *servername = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    long verify = SSL_get_verify_result(ssl);

    add_string(obj, "protocol", SSL_get_version(ssl));
    if (cipher != NULL) {
        add_string(obj, "cipher", SSL_CIPHER_get_name(cipher));
    }
    if (servername != NULL) {
        add_string(obj, "servername", servername);
    }
    json_object_set_new(obj, "resumed", json_boolean(SSL_session_reused(ssl)));
    if (peer != NULL) {
        char subject[1024];

        sslplugi_x509_name(X509_get_subject_name(peer), subject, sizeof(subject));
        add_string(obj, "peer_subject", subject);
    }
    json_object_set_new(obj, "verify_result", json_integer(verify));
    add_string(obj, "verify_error", X509_verify_cert_error_string(verify));
}

static void
add_alert(json_t *obj, int where, int ret)
{
    char name[SSLPLUGI_ALERT_NAME_MAX];

    sslplugi_alert_name(ret, name);
    add_string(obj, "direction", (where & SSL_CB_READ) ? "received" : "sent");
    add_string(obj, "level", SSL_alert_type_string_long(ret));
    add_string(obj, "description", name);
    json_object_set_new(obj, "code", json_integer(ret & 0xff));
}

/* One write of the whole line; a short write (disk full) is finished rather than lost. */
static void
write_line(info_jsonlog *ij, const char *line, size_t len)
{
    char errbuf[128];

    if (sslplugi_write_all(ij->fd, line, len)) {
        atomic_store(&ij->failing, 0);
    } else if (atomic_exchange(&ij->failing, 1) == 0) {
        /* Said once per run of failures, not once per line. */
        ij->services->log(ij->handle, SSLPLUG_LOG_ERROR, "cannot write to %s: %s", ij->path,
                          sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
    }
}

static void
ij_info(void *state, const SSL *ssl, int where, int ret)
{
    info_jsonlog *ij = state;
    json_t *obj;
    char *text;
    size_t len;

    if ((where & EVENTS) == 0 || ssl == NULL) {
        return;
    }
    if ((obj = json_object()) == NULL) {
        return;
    }
    add_time(obj);
    add_string(obj, "side", SSL_is_server(ssl) ? "server" : "client");
    add_peer(obj, ssl);
    if (where & SSL_CB_ALERT) {
        add_string(obj, "event", "alert");
        add_alert(obj, where, ret);
    } else if (where & SSL_CB_HANDSHAKE_DONE) {
        add_string(obj, "event", "handshake_done");
        add_done(obj, ssl);
    } else {
        add_string(obj, "event", "handshake_start");
    }
    text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(obj);
    if (text == NULL) {
        return;
    }
    /* The newline goes into the same write: a line is never split. */
    len = strlen(text);
    text[len] = '\n';
    write_line(ij, text, len + 1);
    free(text);
}

static void
ij_free(info_jsonlog *ij)
{
    if (ij == NULL) {
        return;
    }
    if (ij->own_fd && ij->fd >= 0) {
        close(ij->fd);
    }
    free(ij->path);
    free(ij);
}

/*
 * Checked (services->checking): the file is neither created nor opened; an
 * existing one must be writable, a missing one possible to create.
 */
static int
validate_log(const sslplugi_cfg *cfg, const char *path)
{
    char errbuf[128];

    if (access(path, F_OK) != 0 && errno == ENOENT) {
        return sslplugi_cfg_creatable(cfg, "path", "log file", path);
    }
    if (faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) != 0) {
        sslplugi_cfg_error(cfg, "path", "cannot open %s for appending: %s", path,
                           sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
        return 0;
    }
    return 1;
}

/* The file, opened for appending; only validated when the entry is checked. */
static int
open_log(const sslplugi_cfg *cfg, info_jsonlog *ij)
{
    char errbuf[128];

    if (sslplugi_cfg_checking(cfg)) {
        return validate_log(cfg, ij->path);
    }
    ij->fd = open(ij->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
    if (ij->fd < 0) {
        sslplugi_cfg_error(cfg, "path", "cannot open %s for appending: %s", ij->path,
                           sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
        return 0;
    }
    ij->own_fd = 1;
    return 1;
}

static int
ij_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
        void **state)
{
    static const char *const keys[] = {"path", NULL};
    sslplugi_cfg cfg;
    info_jsonlog *ij = NULL;
    const char *path = NULL;
    int ok = 0;

    if (!sslplugi_cfg_open(&cfg, services, handle, config_json, keys) ||
        !sslplugi_cfg_string(&cfg, "path", SSLPLUGI_REQUIRED | SSLPLUGI_NONEMPTY, &path)) {
        goto done;
    }
    if ((ij = calloc(1, sizeof(*ij))) == NULL) {
        sslplugi_cfg_error(&cfg, NULL, "out of memory");
        goto done;
    }
    ij->fd = -1;
    if (strcmp(path, "-") == 0) {
        ij->fd = STDOUT_FILENO;
        ij->path = strdup("standard output");
        if (ij->path == NULL) {
            sslplugi_cfg_error(&cfg, NULL, "out of memory");
            goto done;
        }
    } else {
        if (!sslplugi_cfg_path(&cfg, "path", SSLPLUGI_REQUIRED, &ij->path) || !open_log(&cfg, ij)) {
            goto done;
        }
    }
    ij->services = services;
    ij->handle = handle;
    atomic_init(&ij->failing, 0);
    *state = ij;
    ij = NULL;
    ok = 1;

done:
    ij_free(ij);
    sslplugi_cfg_close(&cfg);
    return ok;
}

static void
ij_fini(void *state)
{
    ij_free(state);
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "info_jsonlog",
    .version = "1.0",
    .init = ij_init,
    .fini = ij_fini,
    .info = ij_info,
    /* Every line is written whole by one write(); the state is fixed at init. */
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
    .info_events = SSLPLUG_EVENT_HANDSHAKE_START | SSLPLUG_EVENT_HANDSHAKE_DONE |
                   SSLPLUG_EVENT_ALERT,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
