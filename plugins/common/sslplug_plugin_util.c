/* Internal helpers shared by the bundled plugins; see sslplug_plugin_util.h. */
#define _POSIX_C_SOURCE 200809L

#include "sslplug_plugin_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/crypto.h>

/* Long enough for any key a bundled plugin accepts, with room to spare. */
#define POINTER_MAX 256
#define MESSAGE_MAX 1024
#define RESOLVED_PATH_MAX 4096

/* The members this library calls must lie inside the host's table. */
#define SERVICES_HAVE(s, member)                                                                   \
    ((s)->size >= offsetof(sslplug_services, member) + sizeof((s)->member))

const char *
sslplugi_json_type_name(const json_t *value)
{
    switch (json_typeof(value)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "integer";
    case JSON_REAL:
        return "real";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    case JSON_NULL:
        return "null";
    default:
        return "unknown";
    }
}

void
sslplugi_pointer_append(char *out, size_t outlen, const char *token)
{
    size_t n = strnlen(out, outlen);

    if (n + 2 > outlen) {
        return;
    }
    out[n++] = '/';
    for (; *token != '\0' && n + 3 <= outlen; token++) {
        if (*token == '~' || *token == '/') {
            out[n++] = '~';
            out[n++] = *token == '~' ? '0' : '1';
        } else {
            out[n++] = *token;
        }
    }
    out[n] = '\0';
}

/* "/key", RFC 6901 escaped; "" for NULL or "" (the config object itself). */
static void
key_pointer(const char *key, char *out, size_t outlen)
{
    out[0] = '\0';
    if (key != NULL && key[0] != '\0') {
        sslplugi_pointer_append(out, outlen, key);
    }
}

static void report_v(const sslplugi_cfg *cfg, const char *pointer, const char *fmt, va_list ap)
    SSLPLUGI_PRINTF(3, 0);

static void
report_v(const sslplugi_cfg *cfg, const char *pointer, const char *fmt, va_list ap)
{
    char message[MESSAGE_MAX];

    vsnprintf(message, sizeof(message), fmt, ap);
    cfg->services->error(cfg->handle, pointer, "%s", message);
}

void
sslplugi_cfg_error(const sslplugi_cfg *cfg, const char *key, const char *fmt, ...)
{
    char pointer[POINTER_MAX];
    va_list ap;

    key_pointer(key, pointer, sizeof(pointer));
    va_start(ap, fmt);
    report_v(cfg, key != NULL ? pointer : NULL, fmt, ap);
    va_end(ap);
}

void
sslplugi_cfg_error_at(const sslplugi_cfg *cfg, const char *pointer, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    report_v(cfg, pointer, fmt, ap);
    va_end(ap);
}

void
sslplugi_cfg_element_error(const sslplugi_cfg *cfg, const char *key, size_t index, const char *fmt,
                           ...)
{
    char pointer[POINTER_MAX];
    size_t used;
    va_list ap;

    key_pointer(key, pointer, sizeof(pointer));
    used = strlen(pointer);
    snprintf(pointer + used, sizeof(pointer) - used, "/%zu", index);
    va_start(ap, fmt);
    report_v(cfg, pointer, fmt, ap);
    va_end(ap);
}

int
sslplugi_cfg_may_override(const sslplugi_cfg *cfg, int error)
{
    if (!SERVICES_HAVE(cfg->services, may_override)) {
        return -1;
    }
    return cfg->services->may_override(cfg->handle, error) ? 1 : 0;
}

int
sslplugi_cfg_checking(const sslplugi_cfg *cfg)
{
    return SERVICES_HAVE(cfg->services, checking) && cfg->services->checking(cfg->handle) == 1;
}

int
sslplugi_cfg_creatable(const sslplugi_cfg *cfg, const char *key, const char *what, const char *path)
{
    char errbuf[128];
    const char *slash = strrchr(path, '/');
    char *dir;
    struct stat st;
    int ok = 0;

    if (slash == NULL) {
        dir = strdup(".");
    } else {
        dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
    }
    if (dir == NULL) {
        sslplugi_cfg_error(cfg, NULL, "out of memory");
        return 0;
    }
    if (stat(dir, &st) != 0) {
        sslplugi_cfg_error(cfg, key, "cannot create %s %s: directory %s: %s", what, path, dir,
                           sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
    } else if (!S_ISDIR(st.st_mode)) {
        sslplugi_cfg_error(cfg, key, "cannot create %s %s: %s is not a directory", what, path, dir);
    } else if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) != 0) {
        sslplugi_cfg_error(cfg, key, "cannot create %s %s: directory %s: %s", what, path, dir,
                           sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
    } else {
        ok = 1;
    }
    free(dir);
    return ok;
}

void
sslplugi_cfg_warn_may_override(const sslplugi_cfg *cfg, const char *name, const char *what,
                               const char *need)
{
    const char *file =
        SERVICES_HAVE(cfg->services, config_path) ? cfg->services->config_path(cfg->handle) : NULL;
    int in_file = file != NULL && file[0] != '\0';

    cfg->services->log(cfg->handle, SSLPLUG_LOG_WARNING,
                       "%s; add %s to the \"may_override\" of the %s entry%s%s, or make it \"any\"",
                       what, need, name, in_file ? " in " : "", in_file ? file : "");
}

void
sslplugi_cfg_check_override(const sslplugi_cfg *cfg, const char *name)
{
    if (sslplugi_cfg_may_override(cfg, 0) == 0) {
        sslplugi_cfg_warn_may_override(
            cfg, name, "\"override\" is on, but the host lets this entry override no failure",
            "the codes to override (such as \"X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT\")");
    }
}

static int
key_allowed(const char *key, const char *const *keys)
{
    for (; *keys != NULL; keys++) {
        if (strcmp(key, *keys) == 0) {
            return 1;
        }
    }
    return 0;
}

static void
join_names(const char *const *names, char *out, size_t outlen)
{
    size_t n = 0;

    out[0] = '\0';
    for (; *names != NULL && n < outlen; names++) {
        int w = snprintf(out + n, outlen - n, "%s\"%s\"", n > 0 ? ", " : "", *names);
        if (w < 0) {
            break;
        }
        n += (size_t)w;
    }
}

int
sslplugi_cfg_open(sslplugi_cfg *cfg, const sslplug_services *services, sslplug_handle *handle,
                  const char *config_json, const char *const *keys)
{
    json_error_t jerr;
    const char *key;
    json_t *value;
    char expected[MESSAGE_MAX / 2];

    cfg->services = services;
    cfg->handle = handle;
    cfg->root = NULL;

    if (services == NULL || !SERVICES_HAVE(services, error)) {
        return 0;
    }
    if (services->abi_major != SSLPLUG_ABI_MAJOR || !SERVICES_HAVE(services, resolve_path)) {
        services->error(
            handle, NULL, "host services table is unusable: expected ABI %d, found %u.%u",
            SSLPLUG_ABI_MAJOR, (unsigned)services->abi_major, (unsigned)services->abi_minor);
        return 0;
    }

    cfg->root = json_loads(config_json != NULL ? config_json : "{}", JSON_REJECT_DUPLICATES, &jerr);
    if (cfg->root == NULL) {
        sslplugi_cfg_error(cfg, "", "config is not valid JSON: %s", jerr.text);
        return 0;
    }
    if (!json_is_object(cfg->root)) {
        sslplugi_cfg_error(cfg, "", "wrong type: expected object, found %s",
                           sslplugi_json_type_name(cfg->root));
        return 0;
    }
    json_object_foreach(cfg->root, key, value) {
        if (!key_allowed(key, keys)) {
            if (keys[0] == NULL) {
                sslplugi_cfg_error(cfg, key, "unknown key \"%s\": expected no keys", key);
            } else {
                join_names(keys, expected, sizeof(expected));
                sslplugi_cfg_error(cfg, key, "unknown key \"%s\": expected one of %s", key,
                                   expected);
            }
            return 0;
        }
    }
    return 1;
}

void
sslplugi_cfg_close(sslplugi_cfg *cfg)
{
    json_decref(cfg->root);
    cfg->root = NULL;
}

/*
 * The value of key if present and of the wanted type; *value is NULL for an
 * absent optional key.
 */
static int
get_typed(const sslplugi_cfg *cfg, const char *key, unsigned flags, json_type type,
          const char *type_label, const json_t **value)
{
    const json_t *v = json_object_get(cfg->root, key);

    *value = NULL;
    if (v == NULL) {
        if (flags & SSLPLUGI_REQUIRED) {
            sslplugi_cfg_error(cfg, key, "required key \"%s\" is missing: expected %s", key,
                               type_label);
            return 0;
        }
        return 1;
    }
    if (json_typeof(v) != type && !(type == JSON_TRUE && json_typeof(v) == JSON_FALSE)) {
        sslplugi_cfg_error(cfg, key, "wrong type: expected %s, found %s", type_label,
                           sslplugi_json_type_name(v));
        return 0;
    }
    *value = v;
    return 1;
}

int
sslplugi_cfg_string(const sslplugi_cfg *cfg, const char *key, unsigned flags, const char **out)
{
    const json_t *v;

    if (!get_typed(cfg, key, flags, JSON_STRING, "string", &v)) {
        return 0;
    }
    if (v == NULL) {
        return 1;
    }
    if ((flags & SSLPLUGI_NONEMPTY) && json_string_length(v) == 0) {
        sslplugi_cfg_error(cfg, key, "empty string: expected a non-empty string, found \"\"");
        return 0;
    }
    *out = json_string_value(v);
    return 1;
}

int
sslplugi_cfg_bool(const sslplugi_cfg *cfg, const char *key, unsigned flags, int *out)
{
    const json_t *v;

    if (!get_typed(cfg, key, flags, JSON_TRUE, "boolean", &v)) {
        return 0;
    }
    if (v != NULL) {
        *out = json_is_true(v);
    }
    return 1;
}

int
sslplugi_cfg_int(const sslplugi_cfg *cfg, const char *key, unsigned flags, long long min,
                 long long max, long long *out)
{
    const json_t *v;
    long long n;

    if (!get_typed(cfg, key, flags, JSON_INTEGER, "integer", &v)) {
        return 0;
    }
    if (v == NULL) {
        return 1;
    }
    n = (long long)json_integer_value(v);
    if (n < min || n > max) {
        sslplugi_cfg_error(cfg, key, "out of range: expected %lld..%lld, found %lld", min, max, n);
        return 0;
    }
    *out = n;
    return 1;
}

void
sslplugi_strings_free(char **strings)
{
    if (strings == NULL) {
        return;
    }
    for (char **s = strings; *s != NULL; s++) {
        free(*s);
    }
    free(strings);
}

int
sslplugi_cfg_strings(const sslplugi_cfg *cfg, const char *key, unsigned flags, char ***out,
                     size_t *count)
{
    const json_t *v;
    char **strings = NULL;
    size_t n;

    if (!get_typed(cfg, key, flags, JSON_ARRAY, "array of strings", &v)) {
        return 0;
    }
    if (v == NULL) {
        return 1;
    }
    n = json_array_size(v);
    if ((flags & SSLPLUGI_NONEMPTY) && n == 0) {
        sslplugi_cfg_error(cfg, key, "empty array: expected at least one string, found []");
        return 0;
    }
    strings = calloc(n + 1, sizeof(*strings));
    if (strings == NULL) {
        sslplugi_cfg_error(cfg, key, "out of memory");
        goto err;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *item = json_array_get(v, i);
        if (!json_is_string(item)) {
            sslplugi_cfg_element_error(cfg, key, i, "wrong type: expected string, found %s",
                                       sslplugi_json_type_name(item));
            goto err;
        }
        strings[i] = strdup(json_string_value(item));
        if (strings[i] == NULL) {
            sslplugi_cfg_error(cfg, key, "out of memory");
            goto err;
        }
    }
    *out = strings;
    if (count != NULL) {
        *count = n;
    }
    return 1;

err:
    sslplugi_strings_free(strings);
    return 0;
}

int
sslplugi_cfg_choice(const sslplugi_cfg *cfg, const char *key, unsigned flags,
                    const char *const *choices, size_t *index)
{
    const char *s = NULL;
    char expected[MESSAGE_MAX / 2];

    if (!sslplugi_cfg_string(cfg, key, flags, &s)) {
        return 0;
    }
    if (s == NULL) {
        return 1;
    }
    for (size_t i = 0; choices[i] != NULL; i++) {
        if (strcmp(s, choices[i]) == 0) {
            *index = i;
            return 1;
        }
    }
    join_names(choices, expected, sizeof(expected));
    sslplugi_cfg_error(cfg, key, "unknown value: expected one of %s, found \"%s\"", expected, s);
    return 0;
}

int
sslplugi_cfg_path(const sslplugi_cfg *cfg, const char *key, unsigned flags, char **out)
{
    const char *path = NULL;
    char resolved[RESOLVED_PATH_MAX];
    char *copy;

    if (!sslplugi_cfg_string(cfg, key, flags | SSLPLUGI_NONEMPTY, &path)) {
        return 0;
    }
    if (path == NULL) {
        return 1;
    }
    if (!cfg->services->resolve_path(cfg->handle, path, resolved, sizeof(resolved))) {
        sslplugi_cfg_error(cfg, key,
                           "path \"%s\" is too long once resolved: expected at most %zu bytes",
                           path, sizeof(resolved) - 1);
        return 0;
    }
    copy = strdup(resolved);
    if (copy == NULL) {
        sslplugi_cfg_error(cfg, key, "out of memory");
        return 0;
    }
    *out = copy;
    return 1;
}

int
sslplugi_read_fd(int fd, size_t max, char **out, size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    int saved;

    buf = malloc(max + 1);
    if (buf == NULL) {
        errno = ENOMEM;
        return 0;
    }
    for (;;) {
        ssize_t r = read(fd, buf + n, max + 1 - n);
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            goto err;
        }
        if (r == 0) {
            break;
        }
        n += (size_t)r;
        if (n > max) {
            errno = EFBIG;
            goto err;
        }
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 1;

err:
    saved = errno;
    OPENSSL_cleanse(buf, max + 1);
    free(buf);
    errno = saved;
    return 0;
}

int
sslplugi_read_file(const char *path, size_t max, char **out, size_t *len)
{
    int fd;
    int ok;
    int saved;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        return 0;
    }
    ok = sslplugi_read_fd(fd, max, out, len);
    saved = errno;
    close(fd);
    errno = saved;
    return ok;
}

int
sslplugi_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            if (n == 0) {
                errno = EIO;
            }
            return 0;
        }
        p += n;
        len -= (size_t)n;
    }
    return 1;
}

int
sslplugi_replace_file(const char *path, const char *data, size_t len, mode_t mode, int durable,
                      char *why, size_t whylen)
{
    char errbuf[128];
    size_t tmplen = strlen(path) + sizeof(".XXXXXX");
    char *tmp = malloc(tmplen);
    int fd = -1;
    int created = 0; /* only a file mkstemp made is ours to remove */
    int ok = 0;

    if (tmp == NULL) {
        snprintf(why, whylen, "out of memory");
        return 0;
    }
    snprintf(tmp, tmplen, "%s.XXXXXX", path);
    fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(why, whylen, "cannot create a temporary file beside %s: %s", path,
                 sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
        goto done;
    }
    created = 1;
    if (fchmod(fd, mode) != 0 || !sslplugi_write_all(fd, data, len) ||
        (durable && fsync(fd) != 0)) {
        snprintf(why, whylen, "cannot write %s: %s", tmp,
                 sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
        goto done;
    }
    if (close(fd) != 0) {
        fd = -1;
        snprintf(why, whylen, "cannot write %s: %s", tmp,
                 sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
        goto done;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        snprintf(why, whylen, "cannot rename %s to %s: %s", tmp, path,
                 sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
        goto done;
    }
    ok = 1;

done:
    if (fd >= 0) {
        close(fd);
    }
    if (!ok && created) {
        unlink(tmp);
    }
    free(tmp);
    return ok;
}

void
sslplugi_vlog_about(const sslplug_services *services, const sslplug_handle *handle, int level,
                    const char *what, const char *name, const char *fmt, va_list ap)
{
    char message[MESSAGE_MAX];

    vsnprintf(message, sizeof(message), fmt, ap);
    services->log(handle, level, "%s %s: %s", what, name, message);
}

const char *
sslplugi_strerror(int errnum, char *buf, size_t len)
{
    /* The XSI strerror_r (we do not define _GNU_SOURCE). */
    if (strerror_r(errnum, buf, len) != 0) {
        snprintf(buf, len, "error %d", errnum);
    }
    return buf;
}

void
sslplugi_x509_name(const X509_NAME *name, char *out, size_t outlen)
{
    BIO *bio = NULL;
    char *data = NULL;
    long n;
    size_t len;

    if (outlen == 0) {
        return;
    }
    snprintf(out, outlen, "%s", name == NULL ? "(none)" : "(unprintable)");
    if (name == NULL) {
        return;
    }
    bio = BIO_new(BIO_s_mem());
    if (bio == NULL || X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) < 0) {
        goto done;
    }
    n = BIO_get_mem_data(bio, &data);
    if (n < 0 || data == NULL) {
        goto done;
    }
    len = (size_t)n < outlen - 1 ? (size_t)n : outlen - 1;
    memcpy(out, data, len);
    out[len] = '\0';

done:
    BIO_free(bio);
}

const char *
sslplugi_ossl_reason(void)
{
    unsigned long e = ERR_peek_last_error();
    const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;

    return reason != NULL ? reason : "unknown error";
}

FILE *
sslplugi_pem_open(const sslplugi_cfg *cfg, const char *pointer, const char *what, const char *path)
{
    char errbuf[256];
    FILE *f = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

    if (fd < 0 || (f = fdopen(fd, "r")) == NULL) {
        sslplugi_cfg_error_at(cfg, pointer, "cannot open %s %s: %s", what, path,
                              sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
        if (fd >= 0) {
            close(fd);
        }
    }
    return f;
}

int
sslplugi_refuse_password(char *buf, int size, int rwflag, void *asked)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    if (asked != NULL) {
        *(int *)asked = 1;
    }
    return -1;
}
