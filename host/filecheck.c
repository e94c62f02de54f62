/*
 * Checks made before any plugin code is loaded, after sudo's rules: the
 * file and every directory above it are owned by root or the effective
 * user and not writable by others (a world-writable directory is accepted
 * only with the sticky bit, as /tmp has, and only when the entry below it is
 * owned by root or the effective user).  The file is opened without
 * following a final symlink, checked through its descriptor, and the loader
 * loads exactly that descriptor, so nothing can be swapped in between.
 */
#define _GNU_SOURCE /* realpath, S_ISVTX */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static int
trusted_owner(uid_t uid)
{
    return uid == 0 || uid == geteuid();
}

/*
 * A directory above a file: trusted owner, and not writable by others unless
 * sticky (then others cannot replace the entries below it, whose owners the
 * walk checks in turn).
 */
static int
check_dir(const char *dir, const struct stat *st, const char *file, const char *pointer,
          sslplug_error *err)
{
    if (!trusted_owner(st->st_uid)) {
        sslplugi_error_set(err, SSLPLUG_E_UNSAFE_FILE, pointer,
                           "directory %s above %s is owned by uid %u, not root or the effective "
                           "user",
                           dir, file, (unsigned)st->st_uid);
        return 0;
    }
    if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st->st_mode & S_ISVTX) == 0) {
        sslplugi_error_set(err, SSLPLUG_E_UNSAFE_FILE, pointer,
                           "directory %s above %s is writable by group or others (mode %04o) "
                           "without the sticky bit",
                           dir, file, (unsigned)(st->st_mode & 07777));
        return 0;
    }
    return 1;
}

/* Every directory of real_dir, deepest first. */
static int
check_dirs(const char *real_dir, const char *file, const char *pointer, sslplug_error *err)
{
    char path[PATH_MAX];
    struct stat st;
    size_t len = strlen(real_dir);

    if (len >= sizeof(path)) {
        sslplugi_error_set(err, SSLPLUG_E_UNSAFE_FILE, pointer, "path of %s too long", file);
        return 0;
    }
    memcpy(path, real_dir, len + 1);
    /* Deepest first: cut the path one component at a time. */
    for (;;) {
        if (stat(path[0] != '\0' ? path : "/", &st) != 0) {
            sslplugi_error_set(err, SSLPLUG_E_UNSAFE_FILE, pointer, "cannot stat %s: %s",
                               path[0] != '\0' ? path : "/", strerror(errno));
            return 0;
        }
        if (!check_dir(path[0] != '\0' ? path : "/", &st, file, pointer, err)) {
            return 0;
        }
        if (path[0] == '\0' || strcmp(path, "/") == 0) {
            return 1;
        }
        *strrchr(path, '/') = '\0';
    }
}

static int
under(const char *dir, const char *root)
{
    size_t n = strlen(root);

    if (strcmp(root, "/") == 0) {
        return 1;
    }
    return strncmp(dir, root, n) == 0 && (dir[n] == '\0' || dir[n] == '/');
}

static int
check_allowed(const char *real_dir, const char *file, const char *const *allowed, size_t count,
              const char *pointer, sslplug_error *err)
{
    char real_allowed[PATH_MAX];

    if (allowed == NULL) {
        return 1;
    }
    for (size_t i = 0; i < count; i++) {
        if (realpath(allowed[i], real_allowed) != NULL && under(real_dir, real_allowed)) {
            return 1;
        }
    }
    sslplugi_error_set(err, SSLPLUG_E_UNSAFE_FILE, pointer,
                       "%s is outside the allowed directories (allowed_dirs, plugin_path and the "
                       "built-in plugin directory)",
                       file);
    return 0;
}

int
sslplugi_file_check_stat(const struct stat *st, const char *file, const char *pointer,
                         sslplug_error *err)
{
    if (!S_ISREG(st->st_mode)) {
        sslplugi_error_set(err, SSLPLUG_E_UNSAFE_FILE, pointer, "%s is not a regular file", file);
        return 0;
    }
    if (!trusted_owner(st->st_uid)) {
        sslplugi_error_set(err, SSLPLUG_E_UNSAFE_FILE, pointer,
                           "%s is owned by uid %u, not root or the effective user", file,
                           (unsigned)st->st_uid);
        return 0;
    }
    if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        sslplugi_error_set(err, SSLPLUG_E_UNSAFE_FILE, pointer,
                           "%s is writable by group or others (mode %04o)", file,
                           (unsigned)(st->st_mode & 07777));
        return 0;
    }
    return 1;
}

int
sslplugi_file_open_checked(const char *file, const sslplugi_file_rules *rules, const char *pointer,
                           struct stat *st, sslplug_error *err)
{
    char dir[PATH_MAX], real_dir[PATH_MAX];
    const char *slash = strrchr(file, '/');
    int dfd = -1, fd = -1;

    if (slash == NULL || (size_t)(slash - file) >= sizeof(dir)) {
        sslplugi_error_set(err, SSLPLUG_E_INTERNAL, pointer, "%s is not an absolute path", file);
        return -1;
    }
    memcpy(dir, file, (size_t)(slash - file));
    dir[slash - file] = '\0';
    if (realpath(dir[0] != '\0' ? dir : "/", real_dir) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_PLUGIN_NOT_FOUND, pointer,
                           "cannot open %s: directory %s: %s", file, dir, strerror(errno));
        goto fail;
    }
    if (!check_allowed(real_dir, file, rules->allowed, rules->allowed_count, pointer, err)) {
        goto fail;
    }
    if ((dfd = open(real_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        sslplugi_error_set(err, SSLPLUG_E_PLUGIN_NOT_FOUND, pointer, "cannot open directory %s: %s",
                           real_dir, strerror(errno));
        goto fail;
    }
    fd = openat(dfd, slash + 1, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        sslplugi_error_set(err, errno == ELOOP ? SSLPLUG_E_UNSAFE_FILE : SSLPLUG_E_PLUGIN_NOT_FOUND,
                           pointer, "cannot open %s: %s", file,
                           errno == ELOOP ? "it is a symbolic link (name the file it points to)"
                                          : strerror(errno));
        goto fail;
    }
    if (fstat(fd, st) != 0) {
        sslplugi_error_set(err, SSLPLUG_E_IO, pointer, "cannot stat %s: %s", file, strerror(errno));
        goto fail;
    }
    if (!rules->check_modes) {
        if (!S_ISREG(st->st_mode)) {
            sslplugi_error_set(err, SSLPLUG_E_UNSAFE_FILE, pointer, "%s is not a regular file",
                               file);
            goto fail;
        }
    } else if (!sslplugi_file_check_stat(st, file, pointer, err) ||
               !check_dirs(real_dir, file, pointer, err)) {
        goto fail;
    }
    close(dfd);
    return fd;
fail:
    if (fd >= 0) {
        close(fd);
    }
    if (dfd >= 0) {
        close(dfd);
    }
    return -1;
}

int
sslplugi_file_check_dirs(const char *file, const char *pointer, sslplug_error *err)
{
    char dir[PATH_MAX], real_dir[PATH_MAX];
    const char *slash = strrchr(file, '/');

    if (slash == NULL) {
        snprintf(dir, sizeof(dir), ".");
    } else if (slash == file) {
        snprintf(dir, sizeof(dir), "/");
    } else {
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - file), file);
    }
    if (realpath(dir, real_dir) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_IO, pointer, "cannot resolve %s: %s", dir,
                           strerror(errno));
        return 0;
    }
    return check_dirs(real_dir, file, pointer, err);
}

/* ---- files a context names: certificates, keys, CA files ---- */

/* Others must not change what is trusted or presented; only the owner reads a key. */
const sslplugi_data_file sslplugi_certificate_file = {"certificate", 0, SSLPLUG_E_CERTIFICATE};
const sslplugi_data_file sslplugi_ca_file = {"CA file", 0, SSLPLUG_E_CERTIFICATE};
const sslplugi_data_file sslplugi_key_file = {
    "private key", SSLPLUGI_FILE_OWNED | SSLPLUGI_FILE_PRIVATE, SSLPLUG_E_PRIVATE_KEY};

int
sslplugi_file_real_path(int fd, char *out, size_t len)
{
    char link[64];
    ssize_t n;

    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    if (len < 2 || (n = readlink(link, out, len - 1)) <= 0 || (size_t)n >= len - 1) {
        return 0;
    }
    out[n] = '\0';
    return out[0] == '/';
}

int
sslplugi_file_check_opened(const char *file, const char *real, const struct stat *st,
                           unsigned flags, const char *what, const char *pointer,
                           sslplug_error *err)
{
    if (!S_ISREG(st->st_mode)) {
        sslplugi_error_set(err, SSLPLUG_E_UNSAFE_FILE, pointer, "%s %s is not a regular file", what,
                           file);
        return 0;
    }
    if ((flags & SSLPLUGI_FILE_OWNED) != 0 && !trusted_owner(st->st_uid)) {
        sslplugi_error_set(err, SSLPLUG_E_UNSAFE_FILE, pointer,
                           "%s %s is owned by uid %u, not root or the effective user", what, file,
                           (unsigned)st->st_uid);
        return 0;
    }
    if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        sslplugi_error_set(err, SSLPLUG_E_UNSAFE_FILE, pointer,
                           "%s %s is writable by group or others (mode %04o)", what, file,
                           (unsigned)(st->st_mode & 07777));
        return 0;
    }
    if ((flags & SSLPLUGI_FILE_PRIVATE) != 0 && (st->st_mode & S_IROTH) != 0) {
        sslplugi_error_set(err, SSLPLUG_E_UNSAFE_FILE, pointer,
                           "%s %s is readable by others (mode %04o); make it 0600 or 0640", what,
                           file, (unsigned)(st->st_mode & 07777));
        return 0;
    }
    /* Both places: others who can write either one decide what is read. */
    if (!sslplugi_file_check_dirs(file, pointer, err)) {
        return 0;
    }
    if (real != NULL && strcmp(real, file) != 0 && !sslplugi_file_check_dirs(real, pointer, err)) {
        if (err != NULL) {
            size_t n = strlen(err->message);

            snprintf(err->message + n, sizeof(err->message) - n,
                     " (%s leads there through a symbolic link)", file);
        }
        return 0;
    }
    return 1;
}

int
sslplugi_file_open_data(const char *file, const sslplugi_data_file *kind, int check,
                        const char *pointer, sslplug_error *err)
{
    char real[PATH_MAX];
    struct stat st;
    int fd;

    if ((fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
        sslplugi_error_set(err, kind->code, pointer, "cannot open %s %s: %s", kind->what, file,
                           strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !sslplugi_file_real_path(fd, real, sizeof(real))) {
        sslplugi_error_set(err, kind->code, pointer, "cannot stat %s %s: %s", kind->what, file,
                           strerror(errno));
        close(fd);
        return -1;
    }
    if (check ? !sslplugi_file_check_opened(file, real, &st, kind->flags, kind->what, pointer, err)
              : !S_ISREG(st.st_mode)) {
        if (!check) {
            sslplugi_error_set(err, kind->code, pointer, "%s %s is not a regular file", kind->what,
                               file);
        }
        close(fd);
        return -1;
    }
    return fd;
}
