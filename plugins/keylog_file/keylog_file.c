/*
 * keylog_file: write the NSS key log lines of every connection to a file,
 * for Wireshark and friends.  The file holds secrets that decrypt the
 * traffic: it is created 0600 and refused when group or others could read
 * it, and both this plugin (at init) and the host (at every context) warn
 * loudly that key logging is on.  When the entry is only checked, the file
 * is validated but neither created nor opened.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sslplug/plugin.h>

#include "sslplug_plugin_util.h"

typedef struct keylog_file {
    const sslplug_services *services;
    const sslplug_handle *handle;
    char *path;
    int fd;
} keylog_file;

static void
kl_fini(void *state)
{
    keylog_file *kl = state;

    if (kl == NULL) {
        return;
    }
    if (kl->fd >= 0) {
        close(kl->fd);
    }
    free(kl->path);
    free(kl);
}

/* The rules for an existing key log file: it holds secrets. */
static int
check_file(const sslplugi_cfg *cfg, const keylog_file *kl, const struct stat *st)
{
    if (!S_ISREG(st->st_mode)) {
        sslplugi_cfg_error(cfg, "path", "key log file %s is not a regular file", kl->path);
        return 0;
    }
    if ((st->st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        sslplugi_cfg_error(cfg, "path",
                           "key log file %s is open to group or others (mode %04o): it holds "
                           "secrets, make it 0600",
                           kl->path, (unsigned)(st->st_mode & 07777));
        return 0;
    }
    if (st->st_uid != geteuid()) {
        sslplugi_cfg_error(cfg, "path", "key log file %s is owned by uid %u, not this user",
                           kl->path, (unsigned)st->st_uid);
        return 0;
    }
    return 1;
}

/* Append-only, never through a symlink, never readable by others. */
static int
open_log(const sslplugi_cfg *cfg, keylog_file *kl)
{
    char errbuf[256];
    struct stat st;

    kl->fd = open(kl->path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
                  S_IRUSR | S_IWUSR);
    if (kl->fd < 0 || fstat(kl->fd, &st) != 0) {
        sslplugi_cfg_error(cfg, "path", "cannot open key log file %s: %s", kl->path,
                           sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
        return 0;
    }
    return check_file(cfg, kl, &st);
}

/*
 * Checked (services->checking): the same rules, with nothing opened or
 * created; a file that does not exist yet must be possible to create.
 */
static int
validate_log(const sslplugi_cfg *cfg, const keylog_file *kl)
{
    char errbuf[256];
    struct stat st;

    if (lstat(kl->path, &st) != 0) {
        if (errno == ENOENT) {
            return sslplugi_cfg_creatable(cfg, "path", "key log file", kl->path);
        }
        sslplugi_cfg_error(cfg, "path", "cannot open key log file %s: %s", kl->path,
                           sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
        return 0;
    }
    if (S_ISLNK(st.st_mode)) {
        /* What opening it with O_NOFOLLOW would say. */
        sslplugi_cfg_error(cfg, "path", "cannot open key log file %s: %s", kl->path,
                           sslplugi_strerror(ELOOP, errbuf, sizeof(errbuf)));
        return 0;
    }
    if (!check_file(cfg, kl, &st)) {
        return 0;
    }
    if (faccessat(AT_FDCWD, kl->path, W_OK, AT_EACCESS) != 0) {
        sslplugi_cfg_error(cfg, "path", "cannot open key log file %s: %s", kl->path,
                           sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
        return 0;
    }
    return 1;
}

static int
kl_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
        void **state)
{
    static const char *const keys[] = {"path", NULL};
    sslplugi_cfg cfg;
    keylog_file *kl = calloc(1, sizeof(*kl));
    int ok = 0;

    if (kl == NULL) {
        return 0;
    }
    kl->services = services;
    kl->handle = handle;
    kl->fd = -1;
    if (!sslplugi_cfg_open(&cfg, services, handle, config_json, keys) ||
        !sslplugi_cfg_path(&cfg, "path", SSLPLUGI_REQUIRED | SSLPLUGI_NONEMPTY, &kl->path) ||
        !(sslplugi_cfg_checking(&cfg) ? validate_log(&cfg, kl) : open_log(&cfg, kl))) {
        goto done;
    }
    services->log(handle, SSLPLUG_LOG_WARNING,
                  "KEY LOGGING IS ON: the secrets of every TLS connection go to %s; anyone who "
                  "reads it can decrypt the traffic. For debugging only.",
                  kl->path);
    *state = kl;
    kl = NULL;
    ok = 1;
done:
    sslplugi_cfg_close(&cfg);
    kl_fini(kl);
    return ok;
}

static void
kl_keylog(void *state, const SSL *ssl, const char *line)
{
    keylog_file *kl = state;
    size_t len = strlen(line);
    char *buf = malloc(len + 1);

    (void)ssl;
    if (buf == NULL) {
        return;
    }
    /* One write per line: O_APPEND keeps concurrent lines whole. */
    memcpy(buf, line, len);
    buf[len] = '\n';
    if (write(kl->fd, buf, len + 1) != (ssize_t)(len + 1)) {
        kl->services->log(kl->handle, SSLPLUG_LOG_ERROR, "cannot write to %s", kl->path);
    }
    OPENSSL_cleanse(buf, len + 1);
    free(buf);
}

/* clang-format off */
static const sslplug_plugin keylog_file_plugin = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "keylog_file",
    .version = "1.0",
    .init = kl_init,
    .fini = kl_fini,
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
    .keylog = kl_keylog,
};
/* clang-format on */

SSLPLUG_PLUGIN_EXPORT const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &keylog_file_plugin;
}
