/*
 * Secret files, checked like a private key before a byte is read: what
 * they hold decrypts sessions or opens the session store.
 */
#define _XOPEN_SOURCE 700 /* realpath, S_ISVTX */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "secret.h"

/*
 * Every directory above real, as the host checks those above a private key
 * (host/filecheck.c): owned by root or this user, and writable by neither
 * group nor others unless sticky (/tmp), so nobody else can put another
 * file in its place.
 */
static int
check_dirs(const sslplugi_cfg *cfg, const char *pointer, const char *what, const char *real)
{
    char dir[PATH_MAX];
    struct stat st;
    char *slash;

    snprintf(dir, sizeof(dir), "%s", real);
    while ((slash = strrchr(dir, '/')) != NULL) {
        if (slash == dir) {
            slash[1] = '\0';
        } else {
            *slash = '\0';
        }
        if (stat(dir, &st) != 0) {
            char errbuf[128];

            sslplugi_cfg_error_at(cfg, pointer, "%s %s: cannot check directory %s: %s", what, real,
                                  dir, sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
            return 0;
        }
        if (st.st_uid != 0 && st.st_uid != geteuid()) {
            sslplugi_cfg_error_at(cfg, pointer,
                                  "%s %s: directory %s is owned by uid %lu, not root or this "
                                  "user: its owner could replace the file",
                                  what, real, dir, (unsigned long)st.st_uid);
            return 0;
        }
        if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st.st_mode & S_ISVTX) == 0) {
            sslplugi_cfg_error_at(cfg, pointer,
                                  "%s %s: directory %s is writable by group or others (mode "
                                  "%04o) without the sticky bit: they could replace the file",
                                  what, real, dir, (unsigned)(st.st_mode & 07777));
            return 0;
        }
        if (strcmp(dir, "/") == 0) {
            break;
        }
    }
    return 1;
}

static int
check_file(const sslplugi_cfg *cfg, const char *pointer, const char *what, const char *path,
           const struct stat *st)
{
    unsigned mode = (unsigned)(st->st_mode & 07777);

    if (!S_ISREG(st->st_mode)) {
        sslplugi_cfg_error_at(cfg, pointer, "%s %s is not a regular file", what, path);
    } else if (st->st_uid != 0 && st->st_uid != geteuid()) {
        sslplugi_cfg_error_at(cfg, pointer,
                              "%s %s is owned by uid %lu, not root or this user (%lu)", what, path,
                              (unsigned long)st->st_uid, (unsigned long)geteuid());
    } else if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        sslplugi_cfg_error_at(cfg, pointer,
                              "%s %s is writable by group or others (mode %04o): expected 0600 "
                              "or 0640",
                              what, path, mode);
    } else if ((st->st_mode & S_IROTH) != 0) {
        sslplugi_cfg_error_at(cfg, pointer,
                              "%s %s is readable by others (mode %04o): it is a secret, expected "
                              "0600 or 0640",
                              what, path, mode);
    } else {
        return 1;
    }
    return 0;
}

int
sslplugi_secret_read(const sslplugi_cfg *cfg, const char *pointer, const char *what,
                     const char *path, unsigned char *out, size_t min, size_t max, size_t *len)
{
    char errbuf[128], real[PATH_MAX];
    struct stat st;
    size_t n = 0;
    int fd, ok = 0;

    /* O_NONBLOCK: a FIFO put in the file's place is refused below, not waited on. */
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0 ||
        fstat(fd, &st) != 0) {
        sslplugi_cfg_error_at(cfg, pointer, "cannot open %s %s: %s", what, path,
                              sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
        goto done;
    }
    if (!check_file(cfg, pointer, what, path, &st) ||
        !check_dirs(cfg, pointer, what, realpath(path, real) != NULL ? real : path)) {
        goto done;
    }
    for (;;) {
        ssize_t r = read(fd, out + n, max - n);

        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            sslplugi_cfg_error_at(cfg, pointer, "cannot read %s %s: %s", what, path,
                                  sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
            goto done;
        }
        n += (size_t)r;
        if (r == 0 || n == max) {
            break;
        }
    }
    /* One byte more than max, if any, tells a file that is too long. */
    if (n == max) {
        unsigned char extra;
        ssize_t r = read(fd, &extra, 1);

        if (r > 0) {
            n = max + 1;
        }
    }
    if (n < min || n > max) {
        char expected[64];

        if (min == max) {
            snprintf(expected, sizeof(expected), "%zu", min);
        } else {
            snprintf(expected, sizeof(expected), "from %zu to %zu", min, max);
        }
        sslplugi_cfg_error_at(cfg, pointer, "%s %s holds %s%zu bytes: expected %s", what, path,
                              n > max ? "more than " : "", n > max ? max : n, expected);
        goto done;
    }
    *len = n;
    ok = 1;
done:
    if (!ok) {
        OPENSSL_cleanse(out, max);
    }
    if (fd >= 0) {
        close(fd);
    }
    return ok;
}
