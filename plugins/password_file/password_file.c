/*
 * password_file: the private key's password from a file, one candidate per
 * line.
 *
 * The file is read when a key asks for its first candidate (attempt 0), not
 * at init, so a rotated file is picked up by the next context.  The lines
 * are kept for the attempts that follow and wiped at the next attempt 0 or
 * at fini.  The file must be private to the effective user: the mode bits
 * are checked rather than relying on what the kernel refuses, because root
 * can read anything.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <sslplug/plugin.h>

#include "password.h"
#include "sslplug_plugin_util.h"

/* Room for a handful of rotation candidates of the longest PEM password. */
#define PASSWORD_FILE_MAX 16384

typedef struct password_file {
    const sslplug_services *services;
    const sslplug_handle *handle;
    char *path;
    int allow_group_read;

    /* Callbacks for different contexts may run concurrently. */
    pthread_mutex_t lock;
    char *data; /* the file, lines NUL-terminated in place */
    size_t data_size;
    char **lines; /* pointers into data */
    size_t nlines;
} password_file;

static void
pf_forget(password_file *pf)
{
    if (pf->data != NULL) {
        OPENSSL_cleanse(pf->data, pf->data_size);
        free(pf->data);
    }
    free(pf->lines);
    pf->data = NULL;
    pf->data_size = 0;
    pf->lines = NULL;
    pf->nlines = 0;
}

static void pf_log(const password_file *pf, const char *fmt, ...) SSLPLUGI_PRINTF(2, 3);

static void
pf_log(const password_file *pf, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    sslplugi_vlog_about(pf->services, pf->handle, SSLPLUG_LOG_ERROR, "password file", pf->path, fmt,
                        ap);
    va_end(ap);
}

/* The ownership and mode rules; 1 if the file may be used. */
static int
pf_check(const password_file *pf, const struct stat *st)
{
    unsigned mode = (unsigned)(st->st_mode & 07777);

    if (!S_ISREG(st->st_mode)) {
        pf_log(pf, "refused: not a regular file");
        return 0;
    }
    if (st->st_uid != geteuid()) {
        pf_log(pf, "refused: owned by uid %lu, expected the effective uid %lu",
               (unsigned long)st->st_uid, (unsigned long)geteuid());
        return 0;
    }
    if (st->st_mode & (S_IWGRP | S_IWOTH)) {
        pf_log(pf, "refused: mode %04o is writable by group or others, expected 0600 or 0400",
               mode);
        return 0;
    }
    if (st->st_mode & S_IROTH) {
        pf_log(pf, "refused: mode %04o is readable by others, expected 0600 or 0400", mode);
        return 0;
    }
    if ((st->st_mode & S_IRGRP) && !pf->allow_group_read) {
        pf_log(pf,
               "refused: mode %04o is readable by group, expected 0600 or 0400 "
               "(set \"allow_group_read\" to allow 0640)",
               mode);
        return 0;
    }
    return 1;
}

/* Split data into lines in place; one final line break is not a line. */
static int
pf_split(password_file *pf, char *data, size_t len)
{
    size_t n = 1;
    size_t i;
    char *p;

    len = sslplugi_strip_line_end(data, len);
    if (len == 0) {
        pf_log(pf, "refused: empty, expected at least one password");
        return 0;
    }
    if (memchr(data, '\0', len) != NULL) {
        pf_log(pf, "refused: contains a NUL byte");
        return 0;
    }
    for (i = 0; i < len; i++) {
        n += data[i] == '\n';
    }
    pf->lines = calloc(n, sizeof(*pf->lines));
    if (pf->lines == NULL) {
        pf_log(pf, "out of memory");
        return 0;
    }
    for (p = data, i = 0; i < n; i++) {
        char *end = strchr(p, '\n');
        size_t linelen;
        if (end != NULL) {
            *end = '\0';
        }
        linelen = strlen(p);
        if (linelen > 0 && p[linelen - 1] == '\r') {
            p[linelen - 1] = '\0';
        }
        pf->lines[i] = p;
        p = end != NULL ? end + 1 : p + linelen;
    }
    pf->nlines = n;
    return 1;
}

static int
pf_load(password_file *pf)
{
    char errbuf[256];
    struct stat st;
    char *data = NULL;
    size_t len = 0;
    int fd = -1;
    int ok = 0;

    pf_forget(pf);
    /* O_NONBLOCK: a FIFO must be refused by the check, not hang the open. */
    fd = open(pf->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ELOOP) {
            pf_log(pf, "refused: a symbolic link");
        } else {
            pf_log(pf, "cannot open: %s", sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
        }
        goto done;
    }
    if (fstat(fd, &st) != 0) {
        pf_log(pf, "cannot stat: %s", sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
        goto done;
    }
    if (!pf_check(pf, &st)) {
        goto done;
    }
    if (!sslplugi_read_fd(fd, PASSWORD_FILE_MAX, &data, &len)) {
        if (errno == EFBIG) {
            pf_log(pf, "refused: larger than %d bytes", PASSWORD_FILE_MAX);
        } else {
            pf_log(pf, "cannot read: %s", sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
        }
        goto done;
    }
    pf->data = data;
    pf->data_size = PASSWORD_FILE_MAX + 1;
    if (!pf_split(pf, data, len)) {
        pf_forget(pf);
        goto done;
    }
    ok = 1;

done:
    if (fd >= 0) {
        close(fd);
    }
    return ok;
}

static void
pf_free(password_file *pf)
{
    if (pf == NULL) {
        return;
    }
    pf_forget(pf);
    pthread_mutex_destroy(&pf->lock);
    free(pf->path);
    free(pf);
}

static int
pf_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
        void **state)
{
    static const char *const keys[] = {"path", "allow_group_read", NULL};
    sslplugi_cfg cfg;
    password_file *pf = NULL;
    char *path = NULL;
    int allow_group_read = 0;
    int ok = 0;

    if (!sslplugi_cfg_open(&cfg, services, handle, config_json, keys) ||
        !sslplugi_cfg_path(&cfg, "path", SSLPLUGI_REQUIRED, &path) ||
        !sslplugi_cfg_bool(&cfg, "allow_group_read", SSLPLUGI_OPTIONAL, &allow_group_read)) {
        goto done;
    }
    pf = calloc(1, sizeof(*pf));
    if (pf == NULL) {
        sslplugi_cfg_error(&cfg, NULL, "out of memory");
        goto done;
    }
    if (pthread_mutex_init(&pf->lock, NULL) != 0) {
        free(pf);
        pf = NULL;
        sslplugi_cfg_error(&cfg, NULL, "cannot create a mutex");
        goto done;
    }
    pf->services = services;
    pf->handle = handle;
    pf->path = path;
    path = NULL;
    pf->allow_group_read = allow_group_read;

    *state = pf;
    pf = NULL;
    ok = 1;

done:
    pf_free(pf);
    free(path);
    sslplugi_cfg_close(&cfg);
    return ok;
}

static void
pf_fini(void *state)
{
    pf_free(state);
}

static int
pf_password(void *state, int attempt, char *buf, int size, int flag)
{
    password_file *pf = state;
    int ret = SSLPLUG_PASSWORD_ERROR;

    (void)flag;
    if (attempt < 0) {
        return SSLPLUG_PASSWORD_ERROR;
    }
    pthread_mutex_lock(&pf->lock);
    /* A later attempt without lines means attempt 0 failed or was skipped. */
    if ((attempt == 0 || pf->lines == NULL) && !pf_load(pf)) {
        goto done;
    }
    if ((size_t)attempt >= pf->nlines) {
        ret = SSLPLUG_PASSWORD_NO_MORE;
        goto done;
    }
    ret = sslplugi_password_copy(buf, size, pf->lines[attempt], strlen(pf->lines[attempt]));
    if (ret < 0) {
        pf_log(pf, "line %d does not fit in the %d-byte password buffer", attempt + 1, size);
    }

done:
    pthread_mutex_unlock(&pf->lock);
    return ret;
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "password_file",
    .version = "1.0",
    .init = pf_init,
    .fini = pf_fini,
    .password = pf_password,
    /* Callbacks only read state fixed at init (or lock it themselves). */
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
