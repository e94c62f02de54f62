/*
 * password_prompt: ask for the private key's password on the controlling
 * terminal, with echo off.
 *
 * The terminal is /dev/tty, never stdin/stdout, which may be redirected.
 * Echo is turned off before the prompt is written, so nothing typed after
 * the prompt appears, and the saved terminal settings are put back on every
 * path out.  One prompt at a time per process: two contexts made at once
 * would otherwise interleave their prompts and split the typed lines.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <sslplug/plugin.h>

#include "password.h"
#include "sslplug_plugin_util.h"

#define PROMPT_DEFAULT "Enter pass phrase: "
#define PROMPT_MAX 512
/* Longest line read; OpenSSL's own prompt takes no more. */
#define LINE_MAX_BYTES 1024

typedef struct password_prompt {
    const sslplug_services *services;
    const sslplug_handle *handle;
    char prompt[PROMPT_MAX + 1];
    int custom; /* the configuration chose the prompt */
} password_prompt;

static pthread_mutex_t tty_lock = PTHREAD_MUTEX_INITIALIZER;

static int
pp_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
        void **state)
{
    static const char *const keys[] = {"prompt", NULL};
    sslplugi_cfg cfg;
    password_prompt *pp = NULL;
    const char *prompt = PROMPT_DEFAULT;
    int ok = 0;

    if (!sslplugi_cfg_open(&cfg, services, handle, config_json, keys) ||
        !sslplugi_cfg_string(&cfg, "prompt", SSLPLUGI_OPTIONAL, &prompt)) {
        goto done;
    }
    if (strlen(prompt) > PROMPT_MAX) {
        sslplugi_cfg_error(&cfg, "prompt", "too long: expected at most %d bytes, found %zu",
                           PROMPT_MAX, strlen(prompt));
        goto done;
    }
    pp = calloc(1, sizeof(*pp));
    if (pp == NULL) {
        sslplugi_cfg_error(&cfg, NULL, "out of memory");
        goto done;
    }
    pp->services = services;
    pp->handle = handle;
    memcpy(pp->prompt, prompt, strlen(prompt) + 1);
    pp->custom = strcmp(prompt, PROMPT_DEFAULT) != 0;

    *state = pp;
    pp = NULL;
    ok = 1;

done:
    free(pp);
    sslplugi_cfg_close(&cfg);
    return ok;
}

static void
pp_fini(void *state)
{
    free(state);
}

static void
pp_error(const password_prompt *pp, const char *what, int errnum)
{
    char errbuf[256];

    if (errnum != 0) {
        pp->services->log(pp->handle, SSLPLUG_LOG_ERROR, "%s: %s", what,
                          sslplugi_strerror(errnum, errbuf, sizeof(errbuf)));
    } else {
        pp->services->log(pp->handle, SSLPLUG_LOG_ERROR, "%s", what);
    }
}

/*
 * Read one line from the terminal into line (NUL-terminated, without its
 * end).  Returns its length, or -1 with *why set.  A signal ends the read
 * (EINTR) rather than restarting it, so an application's SIGINT handler
 * can cancel the prompt.
 */
static int
read_line(int fd, char *line, size_t max, const char **why, int *errnum)
{
    size_t n = 0;

    for (;;) {
        char c;
        ssize_t r = read(fd, &c, 1);

        if (r < 0) {
            *why = "cannot read the answer";
            *errnum = errno;
            return -1;
        }
        if (r == 0) {
            *why = n == 0 ? "no answer (end of file on the terminal)"
                          : "answer ended without a line break";
            return -1;
        }
        if (c == '\n' || c == '\r') {
            break;
        }
        if (n == max) {
            *why = "answer too long";
            return -1;
        }
        line[n++] = c;
    }
    line[n] = '\0';
    return (int)n;
}

/* The prompt, with echo off and the terminal's settings restored after. */
/* The default prompt names the key when the host says which (ABI 1.2 hosts). */
static const char *
prompt_text(const password_prompt *pp, char *buf, size_t len)
{
    const char *key = pp->custom ? NULL : sslplugi_key_file(pp->services, pp->handle);

    if (key == NULL) {
        return pp->prompt;
    }
    snprintf(buf, len, "Enter pass phrase for %s: ", key);
    return buf;
}

static int
ask(const password_prompt *pp, int tty, char *line, size_t max)
{
    struct termios saved, quiet;
    char buf[PROMPT_MAX + 64];
    const char *text = prompt_text(pp, buf, sizeof(buf));
    const char *why = NULL;
    int errnum = 0;
    int len = -1;

    if (tcgetattr(tty, &saved) != 0) {
        pp_error(pp, "cannot read the terminal's settings", errno);
        return -1;
    }
    quiet = saved;
    quiet.c_lflag &= (tcflag_t) ~(ECHO | ECHOE | ECHOK | ECHONL);
    quiet.c_lflag |= ICANON;
    /* TCSAFLUSH: drop anything typed before the prompt, which would be echoed. */
    if (tcsetattr(tty, TCSAFLUSH, &quiet) != 0) {
        pp_error(pp, "cannot turn echo off", errno);
        tcsetattr(tty, TCSANOW, &saved);
        return -1;
    }
    if (!sslplugi_write_all(tty, text, strlen(text))) {
        why = "cannot write the prompt";
        errnum = errno;
    } else {
        len = read_line(tty, line, max, &why, &errnum);
        /* Echo was off, so the user's Enter did not move the cursor. */
        sslplugi_write_all(tty, "\n", 1);
    }
    while (tcsetattr(tty, TCSAFLUSH, &saved) != 0 && errno == EINTR) {
    }
    if (len < 0) {
        pp_error(pp, why, errnum);
    }
    return len;
}

static int
pp_password(void *state, int attempt, char *buf, int size, int flag)
{
    const password_prompt *pp = state;
    char line[LINE_MAX_BYTES + 1];
    int ret = SSLPLUG_PASSWORD_ERROR;
    int tty;
    int len;

    (void)flag;
    if (attempt > 0) {
        return SSLPLUG_PASSWORD_NO_MORE;
    }
    if (attempt < 0) {
        return SSLPLUG_PASSWORD_ERROR;
    }
    pthread_mutex_lock(&tty_lock);
    tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (tty < 0) {
        pp_error(pp, "no controlling terminal to ask on (cannot open /dev/tty)", errno);
        goto done;
    }
    len = ask(pp, tty, line, LINE_MAX_BYTES);
    if (len < 0) {
        goto done;
    }
    ret = sslplugi_password_copy(buf, size, line, (size_t)len);
    if (ret < 0) {
        pp_error(pp, "the answer does not fit in OpenSSL's password buffer", 0);
    }

done:
    if (tty >= 0) {
        close(tty);
    }
    pthread_mutex_unlock(&tty_lock);
    OPENSSL_cleanse(line, sizeof(line));
    return ret;
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "password_prompt",
    .version = "1.0",
    .init = pp_init,
    .fini = pp_fini,
    .password = pp_password,
    /* The terminal is shared by the whole process; tty_lock serialises every prompt. */
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
