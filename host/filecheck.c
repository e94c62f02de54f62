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
