/*
 * password_exec: the private key's password from the standard output of a
 * program, run without a shell.
 *
 * The program is started with posix_spawn rather than fork: the host may be
 * multithreaded, and a forked child of a threaded process may only call
 * async-signal-safe functions before exec.  Everything the child needs (argv,
 * a minimal environment) is built at init.  The child is the leader of a
 * new process group, so a timeout kills whatever it started as well, and it
 * is always reaped before the callback returns.
 */
#define _GNU_SOURCE /* pipe2, posix_spawn_file_actions_addclosefrom_np */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <sslplug/plugin.h>

#include "password.h"
#include "sslplug_plugin_util.h"

/* A password, with room for a line break; more is not a password. */
#define OUTPUT_MAX 4096
#define TIMEOUT_DEFAULT_MS 5000
#define TIMEOUT_MAX_MS 600000
/* How often to look for the child's exit once its output has ended. */
#define REAP_POLL_NS 5000000L
#define PATH_ENV "PATH=/usr/bin:/bin"

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
#define HAVE_ADDCLOSEFROM 1
#endif

typedef struct password_exec {
    const sslplug_services *services;
    const sslplug_handle *handle;
    char **argv;    /* argv[0] resolved to an absolute path */
    char *key_file; /* configured; else the host says which key it reads */
    long long timeout_ms;
} password_exec;

static void
strv_free(char **v)
{
    sslplugi_strings_free(v);
}

static void
px_free(password_exec *px)
{
    if (px == NULL) {
        return;
    }
    strv_free(px->argv);
    free(px->key_file);
    free(px);
}

static void px_log(const password_exec *px, const char *fmt, ...) SSLPLUGI_PRINTF(2, 3);

static void
px_log(const password_exec *px, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    sslplugi_vlog_about(px->services, px->handle, SSLPLUG_LOG_ERROR, "password program",
                        px->argv[0], fmt, ap);
    va_end(ap);
}

/*
 * The program must be one the administrator installed: a regular,
 * executable file owned by root or the effective user and writable by no
 * one else.  Mode bits are checked rather than access(), which says yes to
 * root for almost anything.
 */
static int
check_program(const sslplugi_cfg *cfg, const char *path)
{
    char errbuf[256];
    struct stat st;
    unsigned mode;

    if (stat(path, &st) != 0) {
        sslplugi_cfg_error_at(cfg, "/argv/0", "cannot run program %s: %s", path,
                              sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
        return 0;
    }
    mode = (unsigned)(st.st_mode & 07777);
    if (!S_ISREG(st.st_mode)) {
        sslplugi_cfg_error_at(cfg, "/argv/0", "program %s is not a regular file", path);
        return 0;
    }
    if ((st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) == 0) {
        sslplugi_cfg_error_at(cfg, "/argv/0", "program %s is not executable: mode %04o", path,
                              mode);
        return 0;
    }
    if (st.st_uid != 0 && st.st_uid != geteuid()) {
        sslplugi_cfg_error_at(
            cfg, "/argv/0",
            "program %s is owned by uid %lu: expected root or the effective uid %lu", path,
            (unsigned long)st.st_uid, (unsigned long)geteuid());
        return 0;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        sslplugi_cfg_error_at(cfg, "/argv/0",
                              "program %s is writable by group or others: mode %04o, expected no "
                              "write bits for group and others",
                              path, mode);
        return 0;
    }
    return 1;
}

static char *
env_entry(const char *name, const char *value)
{
    size_t len = strlen(name) + 1 + strlen(value) + 1;
    char *s = malloc(len);

    if (s != NULL) {
        snprintf(s, len, "%s=%s", name, value);
    }
    return s;
}

/* The configured key_file, else the key the host is reading (ABI 1.2 hosts). */
static const char *
key_file(const password_exec *px)
{
    if (px->key_file != NULL) {
        return px->key_file;
    }
    return sslplugi_key_file(px->services, px->handle);
}

/* PATH, and SSLPLUG_CONFIG / SSLPLUG_KEY_FILE when known; nothing inherited. */
static char **
make_env(const sslplug_services *services, const sslplug_handle *handle, const char *key_file)
{
    const char *config = "";
    char **envp = calloc(4, sizeof(*envp));
    size_t n = 0;

    if (envp == NULL) {
        return NULL;
    }
    if (services->size >= offsetof(sslplug_services, config_path) + sizeof(services->config_path) &&
        services->config_path != NULL) {
        config = services->config_path(handle);
    }
    if ((envp[n++] = strdup(PATH_ENV)) == NULL) {
        goto err;
    }
    if (config != NULL && config[0] != '\0' &&
        (envp[n++] = env_entry("SSLPLUG_CONFIG", config)) == NULL) {
        goto err;
    }
    if (key_file != NULL && (envp[n++] = env_entry("SSLPLUG_KEY_FILE", key_file)) == NULL) {
        goto err;
    }
    return envp;

err:
    strv_free(envp);
    return NULL;
}

static int
px_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
        void **state)
{
    static const char *const keys[] = {"argv", "timeout_ms", "key_file", NULL};
    char resolved[4096];
    sslplugi_cfg cfg;
    password_exec *px = NULL;
    char **argv = NULL;
    char *key_file = NULL;
    char *program;
    long long timeout_ms = TIMEOUT_DEFAULT_MS;
    int ok = 0;

    if (!sslplugi_cfg_open(&cfg, services, handle, config_json, keys) ||
        !sslplugi_cfg_strings(&cfg, "argv", SSLPLUGI_REQUIRED | SSLPLUGI_NONEMPTY, &argv, NULL) ||
        !sslplugi_cfg_int(&cfg, "timeout_ms", SSLPLUGI_OPTIONAL, 1, TIMEOUT_MAX_MS, &timeout_ms) ||
        !sslplugi_cfg_path(&cfg, "key_file", SSLPLUGI_OPTIONAL, &key_file)) {
        goto done;
    }
    if (argv[0][0] == '\0') {
        sslplugi_cfg_error_at(&cfg, "/argv/0",
                              "empty string: expected the program's path, found \"\"");
        goto done;
    }
    /* No PATH search: a relative program is next to the configuration. */
    if (!services->resolve_path(handle, argv[0], resolved, sizeof(resolved))) {
        sslplugi_cfg_error_at(&cfg, "/argv/0", "path \"%s\" is too long once resolved", argv[0]);
        goto done;
    }
    if ((program = strdup(resolved)) == NULL) {
        sslplugi_cfg_error(&cfg, NULL, "out of memory");
        goto done;
    }
    free(argv[0]);
    argv[0] = program;
    if (!check_program(&cfg, argv[0])) {
        goto done;
    }
    if ((px = calloc(1, sizeof(*px))) == NULL) {
        sslplugi_cfg_error(&cfg, NULL, "out of memory");
        goto done;
    }
    px->key_file = key_file;
    key_file = NULL;
    px->services = services;
    px->handle = handle;
    px->argv = argv;
    argv = NULL;
    px->timeout_ms = timeout_ms;

    *state = px;
    px = NULL;
    ok = 1;

done:
    px_free(px);
    strv_free(argv);
    free(key_file);
    sslplugi_cfg_close(&cfg);
    return ok;
}

static void
px_fini(void *state)
{
    px_free(state);
}

static long long
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Move a descriptor off 0..2, so the child's stdin/stdout set-up cannot clobber it. */
static int
above_stdio(int *fd)
{
    int moved;

    if (*fd > STDERR_FILENO) {
        return 1;
    }
    moved = fcntl(*fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
    if (moved < 0) {
        return 0;
    }
    close(*fd);
    *fd = moved;
    return 1;
}

static pid_t
spawn(const password_exec *px, int out_fd)
{
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    sigset_t none, all;
    char errbuf[256];
    char **envp = NULL;
    struct stat st;
    pid_t pid = -1;
    int e;

    /*
     * A program removed since init is said here, the same everywhere: a
     * child that cannot exec only exits with a status (127 by convention,
     * or whatever a debugger that turns posix_spawn into fork makes it).
     */
    if (stat(px->argv[0], &st) != 0) {
        px_log(px, "cannot run: %s", sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
        return -1;
    }
    if (posix_spawn_file_actions_init(&actions) != 0) {
        px_log(px, "cannot run: out of memory");
        return -1;
    }
    if (posix_spawnattr_init(&attr) != 0) {
        posix_spawn_file_actions_destroy(&actions);
        px_log(px, "cannot run: out of memory");
        return -1;
    }
    sigemptyset(&none);
    sigfillset(&all);
    /*
     * stdin from /dev/null, stdout to the pipe, stderr inherited (the
     * program's diagnostics reach the application's stderr); nothing else
     * open.  Its own process group, so a timeout kills all it started; no
     * blocked signals and default dispositions, whatever the caller has.
     */
    e = posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    if (e == 0) {
        e = posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
    }
#ifdef HAVE_ADDCLOSEFROM
    if (e == 0) {
        e = posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
    }
#endif
    if (e == 0) {
        e = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                                POSIX_SPAWN_SETSIGDEF);
    }
    if (e == 0) {
        e = posix_spawnattr_setpgroup(&attr, 0);
    }
    if (e == 0) {
        e = posix_spawnattr_setsigmask(&attr, &none);
    }
    if (e == 0) {
        e = posix_spawnattr_setsigdefault(&attr, &all);
    }
    if (e == 0 && (envp = make_env(px->services, px->handle, key_file(px))) == NULL) {
        e = ENOMEM;
    }
    if (e == 0) {
        e = posix_spawn(&pid, px->argv[0], &actions, &attr, px->argv, envp);
    }
    strv_free(envp);
    if (e != 0) {
        px_log(px, "cannot run: %s", sslplugi_strerror(e, errbuf, sizeof(errbuf)));
        pid = -1;
    }
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    return pid;
}

/* Kill the child's process group and reap the child; it never outlives the call. */
static void
kill_and_reap(pid_t pid)
{
    kill(-pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
}

/*
 * Read the child's output until end of file, then wait for its exit, both
 * within the deadline.  Returns 1 with *len set when the program printed at
 * most OUTPUT_MAX bytes and exited with status 0.  The child is reaped
 * whatever happens; its group is killed first unless it already exited.
 */
static int
collect(const password_exec *px, pid_t pid, int fd, char *out, size_t *len)
{
    const struct timespec pause = {0, REAP_POLL_NS};
    long long deadline = now_ms() + px->timeout_ms;
    char errbuf[256];
    size_t n = 0;
    int reaped = 0;
    int status = 0;
    int ok = 0;

    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        long long left = deadline - now_ms();
        ssize_t r;

        if (left <= 0) {
            px_log(px, "timed out after %lld ms: killed", px->timeout_ms);
            goto done;
        }
        r = poll(&p, 1, (int)left);
        if (r < 0 && errno != EINTR) {
            px_log(px, "cannot wait for output: %s",
                   sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
            goto done;
        }
        if (r <= 0) {
            continue;
        }
        r = read(fd, out + n, OUTPUT_MAX + 1 - n);
        if (r < 0 && errno != EINTR && errno != EAGAIN) {
            px_log(px, "cannot read output: %s", sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
            goto done;
        }
        if (r == 0) {
            break;
        }
        if (r > 0) {
            n += (size_t)r;
        }
        if (n > OUTPUT_MAX) {
            px_log(px, "printed more than %d bytes: expected a password", OUTPUT_MAX);
            goto done;
        }
    }
    while (!reaped) {
        pid_t w = waitpid(pid, &status, WNOHANG);

        if (w == pid) {
            reaped = 1;
        } else if (w < 0 && errno != EINTR) {
            /*
             * ECHILD: reaped by someone else (SIGCHLD ignored?), so there is
             * no status to trust, and its pid may already be another's.
             */
            reaped = 1;
            px_log(px, "cannot get its exit status: %s",
                   sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
            goto done;
        } else if (now_ms() >= deadline) {
            px_log(px, "timed out after %lld ms: killed", px->timeout_ms);
            goto done;
        } else {
            nanosleep(&pause, NULL);
        }
    }
    if (WIFSIGNALED(status)) {
        px_log(px, "killed by signal %d", WTERMSIG(status));
        goto done;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        px_log(px, "exited with status %d: expected 0",
               WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        goto done;
    }
    *len = n;
    ok = 1;

done:
    if (!reaped) {
        kill_and_reap(pid);
    }
    return ok;
}

static int
run(const password_exec *px, char *out, size_t *len)
{
    char errbuf[256];
    int pipefd[2] = {-1, -1};
    pid_t pid;
    int ok = 0;

    if (pipe2(pipefd, O_CLOEXEC) != 0) {
        px_log(px, "cannot make a pipe: %s", sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
        return 0;
    }
    if (!above_stdio(&pipefd[0]) || !above_stdio(&pipefd[1])) {
        px_log(px, "cannot move the pipe: %s", sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
        goto done;
    }
    pid = spawn(px, pipefd[1]);
    close(pipefd[1]);
    pipefd[1] = -1;
    if (pid > 0) {
        ok = collect(px, pid, pipefd[0], out, len);
    }

done:
    if (pipefd[0] >= 0) {
        close(pipefd[0]);
    }
    if (pipefd[1] >= 0) {
        close(pipefd[1]);
    }
    return ok;
}

static int
px_password(void *state, int attempt, char *buf, int size, int flag)
{
    const password_exec *px = state;
    char *out = NULL;
    size_t len = 0;
    int ret = SSLPLUG_PASSWORD_ERROR;

    (void)flag;
    if (attempt > 0) {
        return SSLPLUG_PASSWORD_NO_MORE;
    }
    if (attempt < 0) {
        return SSLPLUG_PASSWORD_ERROR;
    }
    /* Allocated once, never grown: the password is wiped from the one copy. */
    if ((out = malloc(OUTPUT_MAX + 1)) == NULL) {
        px_log(px, "out of memory");
        return SSLPLUG_PASSWORD_ERROR;
    }
    if (!run(px, out, &len)) {
        goto done;
    }
    len = sslplugi_strip_line_end(out, len);
    if (len == 0) {
        px_log(px, "printed no password");
        goto done;
    }
    if (memchr(out, '\0', len) != NULL) {
        px_log(px, "printed a NUL byte: expected a password");
        goto done;
    }
    ret = sslplugi_password_copy(buf, size, out, len);
    if (ret < 0) {
        px_log(px, "password does not fit in the %d-byte buffer", size);
    }

done:
    OPENSSL_cleanse(out, OUTPUT_MAX + 1);
    free(out);
    return ret;
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "password_exec",
    .version = "1.0",
    .init = px_init,
    .fini = px_fini,
    .password = px_password,
    /* Each call runs its own child; the state is read-only after init. */
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
