/*
 * password_fd: the private key's password from a file descriptor the
 * process inherited (`myapp 3<secret`, or a pipe from a supervisor).
 *
 * A pipe can be read only once, so the descriptor is read to its end at
 * init, closed, and the password kept for every later context until fini,
 * where it is wiped.  Reading at init also means a missing or empty
 * descriptor is a configuration error, and the secret is out of the
 * descriptor table before any child process could inherit it.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <sslplug/plugin.h>

#include "password.h"
#include "sslplug_plugin_util.h"

/* A password with a line break, and room to spare. */
#define FD_CONTENT_MAX 4096
/* Largest descriptor number accepted (the kernel's own ceiling is below it). */
#define FD_NUMBER_MAX 1048576

typedef struct password_fd {
    const sslplug_services *services;
    const sslplug_handle *handle;
    int fd;
    char *password; /* allocated at FD_CONTENT_MAX + 1 bytes */
    size_t len;
} password_fd;

static void
pd_free(password_fd *pd)
{
    if (pd == NULL) {
        return;
    }
    if (pd->password != NULL) {
        OPENSSL_cleanse(pd->password, FD_CONTENT_MAX + 1);
        free(pd->password);
    }
    free(pd);
}

/*
 * The descriptor is spent once read.  0..2 are pointed at /dev/null rather
 * than closed, so the next open() in the process does not become its stdin,
 * stdout or stderr.
 */
static void
retire_fd(int fd)
{
    int null;

    if (fd > STDERR_FILENO) {
        close(fd);
        return;
    }
    null = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (null >= 0 && null != fd) {
        dup2(null, fd);
        close(null);
    } else if (null < 0) {
        close(fd);
    }
}

/* Read fd to its end into pd; 1, or 0 after reporting at "/fd". */
static int
read_password(const sslplugi_cfg *cfg, password_fd *pd)
{
    char errbuf[256];
    char *data = NULL;
    size_t len = 0;

    if (!sslplugi_read_fd(pd->fd, FD_CONTENT_MAX, &data, &len)) {
        if (errno == EFBIG) {
            sslplugi_cfg_error(cfg, "fd",
                               "file descriptor %d holds more than %d bytes: expected "
                               "a password",
                               pd->fd, FD_CONTENT_MAX);
        } else {
            sslplugi_cfg_error(cfg, "fd", "cannot read file descriptor %d: %s", pd->fd,
                               sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
        }
        return 0;
    }
    /* From here data holds the secret and is wiped with pd. */
    pd->password = data;
    len = sslplugi_strip_line_end(data, len);
    if (len == 0) {
        sslplugi_cfg_error(cfg, "fd", "file descriptor %d is empty: expected a password", pd->fd);
        return 0;
    }
    if (memchr(data, '\0', len) != NULL) {
        sslplugi_cfg_error(cfg, "fd", "file descriptor %d holds a NUL byte: expected a password",
                           pd->fd);
        return 0;
    }
    if (memchr(data, '\n', len) != NULL) {
        sslplugi_cfg_error(cfg, "fd",
                           "file descriptor %d holds more than one line: expected one "
                           "password",
                           pd->fd);
        return 0;
    }
    pd->len = len;
    return 1;
}

static int
pd_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
        void **state)
{
    static const char *const keys[] = {"fd", NULL};
    sslplugi_cfg cfg;
    password_fd *pd = NULL;
    long long fd = -1;
    int opened = 0;
    int ok = 0;

    if (!sslplugi_cfg_open(&cfg, services, handle, config_json, keys) ||
        !sslplugi_cfg_int(&cfg, "fd", SSLPLUGI_REQUIRED, 0, FD_NUMBER_MAX, &fd)) {
        goto done;
    }
    if (fcntl((int)fd, F_GETFD) < 0) {
        sslplugi_cfg_error(&cfg, "fd",
                           "file descriptor %lld is not open: expected one the "
                           "process inherited",
                           fd);
        goto done;
    }
    /* A terminal would block init waiting for a line nobody was asked for; left alone. */
    if (isatty((int)fd)) {
        sslplugi_cfg_error(&cfg, "fd",
                           "file descriptor %lld is a terminal: expected a file or "
                           "pipe (use password_prompt to ask on a terminal)",
                           fd);
        goto done;
    }
    opened = 1;
    pd = calloc(1, sizeof(*pd));
    if (pd == NULL) {
        sslplugi_cfg_error(&cfg, NULL, "out of memory");
        goto done;
    }
    pd->services = services;
    pd->handle = handle;
    pd->fd = (int)fd;
    if (!read_password(&cfg, pd)) {
        goto done;
    }

    *state = pd;
    pd = NULL;
    ok = 1;

done:
    /* Once reading was tried, the descriptor is spent whatever the outcome. */
    if (opened) {
        retire_fd((int)fd);
    }
    pd_free(pd);
    sslplugi_cfg_close(&cfg);
    return ok;
}

static void
pd_fini(void *state)
{
    pd_free(state);
}

static int
pd_password(void *state, int attempt, char *buf, int size, int flag)
{
    const password_fd *pd = state;
    int ret;

    (void)flag;
    if (attempt > 0) {
        return SSLPLUG_PASSWORD_NO_MORE;
    }
    if (attempt < 0) {
        return SSLPLUG_PASSWORD_ERROR;
    }
    ret = sslplugi_password_copy(buf, size, pd->password, pd->len);
    if (ret < 0) {
        pd->services->log(pd->handle, SSLPLUG_LOG_ERROR,
                          "password from file descriptor %d does not fit in the %d-byte buffer",
                          pd->fd, size);
    }
    return ret;
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "password_fd",
    .version = "1.0",
    .init = pd_init,
    .fini = pd_fini,
    .password = pd_password,
    /* The password is fixed at init and only read afterwards. */
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
