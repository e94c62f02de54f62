/*
 * sslplug check: everything sslplug_ctx_new does, then nothing.  Each
 * configuration is checked in a forked child, so a plugin that crashes or
 * hangs in init is reported (with the signal and the entry being loaded)
 * instead of taking the tool down.
 */
#define _GNU_SOURCE /* strsignal */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "sslplug/plugin.h" /* SSLPLUG_LOG_* */

#include "cli.h"

/* Bound on one configuration's load and init: a hung plugin is a failure. */
#define CHECK_TIMEOUT_S 60

typedef struct check_state {
    const char *path;
    int progress_fd; /* the host's debug lines, so the parent can name a crasher */
} check_state;

static void
on_log(int level, const char *plugin, const char *message, void *arg)
{
    const check_state *cs = arg;

    if (level <= SSLPLUG_LOG_WARNING) {
        printf("%s: %s: %s: %s\n", cs->path, level == SSLPLUG_LOG_ERROR ? "error" : "warning",
               plugin, message);
        fflush(stdout);
    } else if (strcmp(plugin, "sslplug") == 0 && cs->progress_fd >= 0) {
        /* One write per line: the parent keeps the last one it got whole. */
        char line[512];
        int n = snprintf(line, sizeof(line), "%s\n", message);

        if (n > 0 && write(cs->progress_fd, line, (size_t)n < sizeof(line) ? (size_t)n : 0) < 0) {
            cs = NULL; /* the parent is gone; nothing to report to */
        }
    }
}

static int
check_here(const char *path, int progress_fd)
{
    check_state cs = {path, progress_fd};
    sslplug_error err;
    sslplug_host *host = sslplug_host_load(path, &err);
    SSL_CTX *ctx = NULL;
    int ok;

    if (host != NULL) {
        sslplug_host_set_log(host, on_log, &cs);
        ctx = sslplug_ctx_new(host, &err);
    }
    ok = ctx != NULL;
    if (ok) {
        printf("%s: ok\n", path);
    } else {
        cli_print_error(stdout, &err);
    }
    fflush(stdout);
    SSL_CTX_free(ctx);
    sslplug_host_free(host);
    return ok;
}

/* The last complete line the child wrote: the entry it was loading. */
static void
last_line(int fd, char *out, size_t len)
{
    char buf[4096];
    size_t used = 0;
    ssize_t n;

    out[0] = '\0';
    while ((n = read(fd, buf + used, sizeof(buf) - 1 - used)) > 0) {
        used += (size_t)n;
        buf[used] = '\0';
        char *end = strrchr(buf, '\n');
        if (end != NULL) {
            *end = '\0';
            char *start = strrchr(buf, '\n');
            snprintf(out, len, "%s", start != NULL ? start + 1 : buf);
            used = 0;
        } else if (used == sizeof(buf) - 1) {
            used = 0;
        }
    }
}

static int
check_isolated(const char *path)
{
    int fds[2] = {-1, -1}, status = 0;
    char loading[512];
    pid_t pid;

    fflush(stdout);
    if (pipe(fds) != 0 || (pid = fork()) < 0) {
        perror("sslplug check: fork");
        return check_here(path, -1);
    }
    if (pid == 0) {
        close(fds[0]);
        alarm(CHECK_TIMEOUT_S);
        _exit(check_here(path, fds[1]) ? 0 : 1);
    }
    close(fds[1]);
    last_line(fds[0], loading, sizeof(loading));
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0) {
        continue;
    }
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status) == 0;
    }
    printf("%s: a plugin %s (signal %d, %s)%s%s\n", path,
           WTERMSIG(status) == SIGALRM ? "did not finish loading in time" : "crashed",
           WTERMSIG(status), strsignal(WTERMSIG(status)), loading[0] != '\0' ? " while " : "",
           loading);
    return 0;
}

int
cli_check(int argc, char **argv)
{
    int failed = 0;

    if (cli_wants_help(argc, argv)) {
        printf("usage: sslplug check CONFIG...\n\n"
               "Parse each configuration, load and initialise its plugins, create a context\n"
               "(reading the private key through the password callback) and free it, in a\n"
               "child process, so a plugin that crashes or hangs (%d s) is reported.\n"
               "Errors are printed as CONFIG:LINE:COL: message or CONFIG: /json/pointer: message;\n"
               "warnings (a skipped optional entry, insecure_allow_writable) and errors that\n"
               "plugins log are printed as CONFIG: warning: PLUGIN: message.\n"
               "Exit 0 when every configuration is usable, 1 otherwise.\n",
               CHECK_TIMEOUT_S);
        return CLI_OK;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: sslplug check CONFIG...\n");
        return CLI_USAGE;
    }
    for (int i = 1; i < argc; i++) {
        failed |= !check_isolated(argv[i]);
    }
    return failed ? CLI_FAIL : CLI_OK;
}
