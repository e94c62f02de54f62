/*
 * password_credential: the private key's password from a systemd
 * credential, $CREDENTIALS_DIRECTORY/<name> (LoadCredential=,
 * LoadCredentialEncrypted=, SetCredential= in the unit).
 *
 * The directory and the file are checked at init, so a unit without the
 * credential is a configuration error; the file is read again each time a
 * key is read, so no copy of the secret stays in the process between
 * contexts.  systemd owns the directory (read-only, private to the
 * service), so no ownership or mode rules are added here.
 */
#define _GNU_SOURCE /* secure_getenv */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <sslplug/plugin.h>

#include "password.h"
#include "sslplug_plugin_util.h"

#define CREDENTIAL_MAX 4096

typedef struct password_credential {
    const sslplug_services *services;
    const sslplug_handle *handle;
    char *path; /* $CREDENTIALS_DIRECTORY/<name>, fixed at init */
} password_credential;

static void
pc_free(password_credential *pc)
{
    if (pc == NULL) {
        return;
    }
    free(pc->path);
    free(pc);
}

static void pc_log(const password_credential *pc, const char *fmt, ...) SSLPLUGI_PRINTF(2, 3);

static void
pc_log(const password_credential *pc, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    sslplugi_vlog_about(pc->services, pc->handle, SSLPLUG_LOG_ERROR, "credential", pc->path, fmt,
                        ap);
    va_end(ap);
}

/* Open path as a regular file; -1 with errno set (EINVAL: not a regular file). */
static int
open_regular(const char *path)
{
    struct stat st;
    int fd;

    /* O_NONBLOCK: a FIFO put there must be refused, not hang the open. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        return -1;
    }
    if (fstat(fd, &st) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        errno = EINVAL;
        return -1;
    }
    return fd;
}

static int
pc_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
        void **state)
{
    static const char *const keys[] = {"name", NULL};
    char errbuf[256];
    sslplugi_cfg cfg;
    password_credential *pc = NULL;
    const char *name = NULL;
    const char *dir;
    size_t len;
    int fd;
    int ok = 0;

    if (!sslplugi_cfg_open(&cfg, services, handle, config_json, keys) ||
        !sslplugi_cfg_string(&cfg, "name", SSLPLUGI_REQUIRED | SSLPLUGI_NONEMPTY, &name)) {
        goto done;
    }
    if (strchr(name, '/') != NULL || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
        sslplugi_cfg_error(&cfg, "name",
                           "invalid credential name \"%s\": expected a file name without '/', "
                           "not \".\" or \"..\"",
                           name);
        goto done;
    }
    /* Ignored in setuid programs, whose environment is the caller's. */
    dir = secure_getenv("CREDENTIALS_DIRECTORY");
    if (dir == NULL || dir[0] == '\0') {
        sslplugi_cfg_error(&cfg, NULL,
                           "CREDENTIALS_DIRECTORY is not set: expected a systemd service with "
                           "LoadCredential=%s:... (or LoadCredentialEncrypted=, SetCredential=)",
                           name);
        goto done;
    }
    if (dir[0] != '/') {
        sslplugi_cfg_error(&cfg, NULL, "CREDENTIALS_DIRECTORY is \"%s\": expected an absolute path",
                           dir);
        goto done;
    }
    pc = calloc(1, sizeof(*pc));
    len = strlen(dir) + 1 + strlen(name) + 1;
    if (pc == NULL || (pc->path = malloc(len)) == NULL) {
        sslplugi_cfg_error(&cfg, NULL, "out of memory");
        goto done;
    }
    snprintf(pc->path, len, "%s/%s", dir, name);
    fd = open_regular(pc->path);
    if (fd < 0) {
        sslplugi_cfg_error(&cfg, "name", "credential %s: %s", pc->path,
                           errno == EINVAL ? "not a regular file"
                                           : sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
        goto done;
    }
    close(fd);
    pc->services = services;
    pc->handle = handle;

    *state = pc;
    pc = NULL;
    ok = 1;

done:
    pc_free(pc);
    sslplugi_cfg_close(&cfg);
    return ok;
}

static void
pc_fini(void *state)
{
    pc_free(state);
}

static int
pc_password(void *state, int attempt, char *buf, int size, int flag)
{
    const password_credential *pc = state;
    char errbuf[256];
    char *data = NULL;
    size_t len = 0;
    int ret = SSLPLUG_PASSWORD_ERROR;
    int fd;

    (void)flag;
    if (attempt > 0) {
        return SSLPLUG_PASSWORD_NO_MORE;
    }
    if (attempt < 0) {
        return SSLPLUG_PASSWORD_ERROR;
    }
    fd = open_regular(pc->path);
    if (fd < 0) {
        pc_log(pc, "cannot open: %s",
               errno == EINVAL ? "not a regular file"
                               : sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
        return SSLPLUG_PASSWORD_ERROR;
    }
    if (!sslplugi_read_fd(fd, CREDENTIAL_MAX, &data, &len)) {
        if (errno == EFBIG) {
            pc_log(pc, "larger than %d bytes: expected a password", CREDENTIAL_MAX);
        } else {
            pc_log(pc, "cannot read: %s", sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
        }
        goto done;
    }
    len = sslplugi_strip_line_end(data, len);
    if (len == 0) {
        pc_log(pc, "empty: expected a password");
        goto done;
    }
    if (memchr(data, '\0', len) != NULL) {
        pc_log(pc, "holds a NUL byte: expected a password");
        goto done;
    }
    ret = sslplugi_password_copy(buf, size, data, len);
    if (ret < 0) {
        pc_log(pc, "password does not fit in the %d-byte buffer", size);
    }

done:
    if (data != NULL) {
        OPENSSL_cleanse(data, CREDENTIAL_MAX + 1);
        free(data);
    }
    close(fd);
    return ret;
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "password_credential",
    .version = "1.0",
    .init = pc_init,
    .fini = pc_fini,
    .password = pc_password,
    /* The state is read-only after init; each call reads into its own buffer. */
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
