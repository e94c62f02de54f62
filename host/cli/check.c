/*
 * sslplug check: sslplug_host_check (a context made and freed with plugins
 * told they are only checked, then the lints) in a child process per
 * configuration, so that nothing a plugin does can pass for a verdict or
 * keep the tool from giving one:
 *  - the verdict is a record the child sends over a pipe once the context
 *    and the host are freed; an exit without it (whatever the status), a
 *    signal, a closed pipe or a malformed record is a failure;
 *  - the child's stdout is its stderr: what a plugin prints never lands
 *    where the tool prints its results, which only the parent does;
 *  - the parent keeps the deadline itself (poll, not an alarm a plugin
 *    could ignore), then kills the child's process group with SIGKILL;
 *    it kills the group after a verdict too, so nothing a plugin started
 *    outlives the check;
 *  - every failure names the entry that was being loaded, from the host's
 *    "loading" lines the child forwards.
 */
#define _GNU_SOURCE /* strsignal, pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "sslplug/plugin.h" /* SSLPLUG_LOG_* */

#include "check.h"
#include "cli.h"
#include "opts.h"

#define CHECK_TIMEOUT_S 60
#define CHECK_TIMEOUT_MAX_S 86400

static const char usage_text[] =
    "usage: sslplug check [--strict] [--json] [--timeout SECONDS] CONFIG...\n";

typedef struct check_options {
    int timeout_s;
    int strict;
    int json;
} check_options;

/* ---- the child ---- */

static void
send_record(int fd, check_record *rec)
{
    rec->magic = CHECK_RECORD_MAGIC;
    /* A parent that is gone can no longer be told anything. */
    while (write(fd, rec, sizeof(*rec)) < 0 && errno == EINTR) {
        continue;
    }
}

/* Plugins' warnings and errors, and the host's "loading" lines, go to the parent. */
static void
child_log(int level, const char *plugin, const char *message, void *arg)
{
    const int *fd = arg;
    check_record rec;

    memset(&rec, 0, sizeof(rec));
    if (level <= SSLPLUG_LOG_WARNING) {
        rec.kind = CHECK_LOG;
        rec.level = level;
        snprintf(rec.plugin, sizeof(rec.plugin), "%s", plugin);
    } else if (strcmp(plugin, "sslplug") == 0 && strncmp(message, "loading ", 8) == 0) {
        rec.kind = CHECK_PROGRESS;
    } else {
        return;
    }
    snprintf(rec.e.message, sizeof(rec.e.message), "%s", message);
    send_record(*fd, &rec);
}

static void
child_warning(const sslplug_error *w, void *arg)
{
    const int *fd = arg;
    check_record rec;

    memset(&rec, 0, sizeof(rec));
    rec.kind = CHECK_WARNING;
    rec.e = *w;
    send_record(*fd, &rec);
}

/* What a plugin prints goes to stderr, never where the parent prints results. */
static void
stdout_to_stderr(void)
{
    int null;

    if (dup2(STDERR_FILENO, STDOUT_FILENO) >= 0) {
        return;
    }
    if ((null = open("/dev/null", O_WRONLY | O_CLOEXEC)) >= 0) {
        dup2(null, STDOUT_FILENO);
        close(null);
    }
}

static void
child_main(const char *path, int fd, pid_t parent)
{
    sslplug_error err;
    sslplug_host *host;
    check_record rec;
    int ok = 0;

    /* A parent killed outright (SIGKILL) takes the check with it. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) {
        _exit(1);
    }
    stdout_to_stderr();
    if ((host = sslplug_host_load(path, &err)) != NULL) {
        sslplug_host_set_log(host, child_log, &fd);
        ok = sslplug_host_check(host, child_warning, &fd, &err);
    }
    memset(&rec, 0, sizeof(rec));
    rec.kind = CHECK_RESULT;
    rec.ok = ok;
    if (!ok) {
        rec.e = err;
    }
    sslplug_host_free(host);
    /* Last: a crash while the host is freed is a crash, not a verdict. */
    send_record(fd, &rec);
    _exit(0);
}

/* ---- the parent: following the child ---- */

typedef enum check_end {
    END_VERDICT,   /* the child's result arrived */
    END_EXITED,    /* the child ended (status or signal) without one */
    END_DEADLINE,  /* neither in time */
    END_MALFORMED, /* something that is no record of ours came through the pipe */
    END_WATCH      /* the parent could not follow the child */
} check_end;

typedef struct watch {
    check_report *report;
    char loading[SSLPLUG_ERROR_MESSAGE_MAX]; /* the last "loading ..." line */
    unsigned char buf[2 * sizeof(check_record)];
    size_t used;
    int verdict; /* -1 until the result, then the child's ok */
    int malformed;
    int poll_errno; /* END_WATCH: why */
} watch;

static void
take(watch *w, check_record *rec)
{
    /* Text from another process is terminated here, whatever it sent. */
    rec->plugin[sizeof(rec->plugin) - 1] = '\0';
    rec->e.source[sizeof(rec->e.source) - 1] = '\0';
    rec->e.pointer[sizeof(rec->e.pointer) - 1] = '\0';
    rec->e.message[sizeof(rec->e.message) - 1] = '\0';
    if (rec->magic != CHECK_RECORD_MAGIC) {
        w->malformed = 1;
        return;
    }
    switch (rec->kind) {
    case CHECK_PROGRESS:
        snprintf(w->loading, sizeof(w->loading), "%s", rec->e.message);
        break;
    case CHECK_LOG:
        check_report_log(w->report, rec->level, rec->plugin, rec->e.message);
        break;
    case CHECK_WARNING:
        check_report_warning(w->report, &rec->e);
        break;
    case CHECK_RESULT:
        w->verdict = rec->ok == 1;
        if (!w->verdict) {
            check_report_error(w->report, &rec->e);
        }
        break;
    default:
        w->malformed = 1;
        break;
    }
}

/* Take the records that have arrived.  Returns 0 at end of file, else 1. */
static int
drain(int fd, watch *w)
{
    while (w->verdict < 0 && !w->malformed) {
        ssize_t n = read(fd, w->buf + w->used, sizeof(w->buf) - w->used);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return n != 0;
        }
        w->used += (size_t)n;
        while (w->used >= sizeof(check_record) && w->verdict < 0 && !w->malformed) {
            check_record rec;

            memcpy(&rec, w->buf, sizeof(rec));
            w->used -= sizeof(rec);
            memmove(w->buf, w->buf + sizeof(rec), w->used);
            take(w, &rec);
        }
    }
    return 1;
}

static long long
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A descriptor that polls readable when the child ends, or -1 (then the parent looks often). */
static int
child_end_fd(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    return -1;
#endif
}

/*
 * Follow the child until its verdict, its end or the deadline.  A child
 * that ended is left unreaped (WNOWAIT): its process group exists until it
 * is reaped, so it can still be killed without hitting another.
 */
static check_end
follow(pid_t pid, int rfd, int timeout_s, watch *w, siginfo_t *si)
{
    long long deadline = now_ms() + (long long)timeout_s * 1000;
    int end_fd = child_end_fd(pid);
    int pipe_open = 1;
    check_end end;

    for (;;) {
        struct pollfd p[2] = {{pipe_open ? rfd : -1, POLLIN, 0}, {end_fd, POLLIN, 0}};
        long long left;

        memset(si, 0, sizeof(*si));
        if (waitid(P_PID, (id_t)pid, si, WEXITED | WNOHANG | WNOWAIT) == 0 && si->si_pid == pid) {
            if (pipe_open) {
                drain(rfd, w);
            }
            end = w->verdict >= 0 ? END_VERDICT : w->malformed ? END_MALFORMED : END_EXITED;
            break;
        }
        if (w->verdict >= 0 || w->malformed) {
            end = w->verdict >= 0 ? END_VERDICT : END_MALFORMED;
            break;
        }
        if ((left = deadline - now_ms()) <= 0) {
            end = END_DEADLINE;
            break;
        }
        if (end_fd < 0 && left > 100) {
            left = 100;
        }
        if (poll(p, 2, (int)left) < 0 && errno != EINTR) {
            w->poll_errno = errno;
            end = END_WATCH;
            break;
        }
        if (pipe_open && (p[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
            pipe_open = drain(rfd, w);
        }
    }
    if (end_fd >= 0) {
        close(end_fd);
    }
    return end;
}

/* "did not finish in 2 s while loading /callbacks/info/1 (file)", at that entry's pointer. */
static void
report_end(check_report *r, const watch *w, check_end end, const siginfo_t *si, int timeout_s)
{
    char what[256], msg[sizeof(what) + sizeof(w->loading) + 8];
    char pointer[SSLPLUG_ERROR_POINTER_MAX] = "";
    const char *p;

    switch (end) {
    case END_DEADLINE:
        snprintf(what, sizeof(what), "did not finish in %d s", timeout_s);
        break;
    case END_MALFORMED:
        snprintf(what, sizeof(what), "the check sent a malformed report");
        break;
    case END_EXITED:
        if (si->si_code == CLD_EXITED) {
            snprintf(what, sizeof(what), "the check exited (status %d) without reporting a verdict",
                     si->si_status);
        } else {
            snprintf(what, sizeof(what), "a plugin crashed (signal %d, %s)", si->si_status,
                     strsignal(si->si_status));
        }
        break;
    case END_WATCH:
        snprintf(what, sizeof(what), "cannot follow the check: %s", strerror(w->poll_errno));
        break;
    case END_VERDICT:
    default:
        snprintf(what, sizeof(what), "the check ended without a verdict");
        break;
    }
    if (w->loading[0] == '\0') {
        check_report_failure(r, "", what);
        return;
    }
    snprintf(msg, sizeof(msg), "%s while %s", what, w->loading);
    p = w->loading + strlen("loading ");
    snprintf(pointer, sizeof(pointer), "%.*s", (int)strcspn(p, " "), p);
    check_report_failure(r, pointer, msg);
}

/* ---- the parent: terminal and signals ---- */

/*
 * A check may prompt (password_prompt): when the tool has the terminal, the
 * child's group gets it for the check, so reading it does not stop the
 * child, and gives it back with the settings it had.
 */
typedef struct terminal {
    int fd;
    struct termios saved;
} terminal;

/* Returns 1 when the child's group got the terminal. */
static int
terminal_give(terminal *t, pid_t pid)
{
    t->fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (t->fd < 0) {
        return 0;
    }
    if (tcgetpgrp(t->fd) != getpgrp() || tcgetattr(t->fd, &t->saved) != 0 ||
        tcsetpgrp(t->fd, pid) != 0) {
        close(t->fd);
        t->fd = -1;
        return 0;
    }
    /* A child that read the terminal before it was its group's was stopped: let it go on. */
    kill(-pid, SIGCONT);
    return 1;
}

static void
terminal_take_back(terminal *t)
{
    sigset_t ttou, old;

    if (t->fd < 0) {
        return;
    }
    /* From a background group these would stop the tool unless SIGTTOU is blocked. */
    sigemptyset(&ttou);
    sigaddset(&ttou, SIGTTOU);
    sigprocmask(SIG_BLOCK, &ttou, &old);
    tcsetpgrp(t->fd, getpgrp());
    /* A child killed while it prompted left echo off. */
    tcsetattr(t->fd, TCSANOW, &t->saved);
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(t->fd);
}

/* The group being checked: a tool that is told to stop takes it along. */
static volatile sig_atomic_t checking_group;

static void
on_stop_signal(int sig)
{
    if (checking_group > 0) {
        kill(-(pid_t)checking_group, SIGKILL);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void
catch_stop_signals(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        struct sigaction old;

        /* A signal the tool was started ignoring stays ignored. */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN) {
            sigaction(sigs[i], &sa, NULL);
        }
    }
}

/* ---- one configuration ---- */

static int
check_one(check_report *r, const char *path, const check_options *o)
{
    int fds[2] = {-1, -1}, status, foreground, ok;
    terminal term = {-1, {0}};
    char msg[256];
    watch w;
    siginfo_t si;
    check_end end;
    pid_t pid, parent = getpid();

    check_report_begin(r, path);
    memset(&w, 0, sizeof(w));
    w.report = r;
    w.verdict = -1;
    /* Buffered output would be written twice, once by a child that calls exit(). */
    fflush(stdout);
    fflush(stderr);
    if (pipe2(fds, O_CLOEXEC) != 0 || (pid = fork()) < 0) {
        snprintf(msg, sizeof(msg), "cannot start the check: %s", strerror(errno));
        check_report_failure(r, "", msg);
        if (fds[0] >= 0) {
            close(fds[0]);
            close(fds[1]);
        }
        return check_report_end(r, 0);
    }
    if (pid == 0) {
        close(fds[0]);
        setpgid(0, 0);
        child_main(path, fds[1], parent);
    }
    close(fds[1]);
    /* Set on both sides, so the group exists before either relies on it. */
    setpgid(pid, pid);
    checking_group = pid;
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    foreground = terminal_give(&term, pid);
    end = follow(pid, fds[0], o->timeout_s, &w, &si);
    /* Whatever the end, nothing the check started lives on. */
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        continue;
    }
    checking_group = 0;
    terminal_take_back(&term);
    close(fds[0]);
    if (end != END_VERDICT) {
        report_end(r, &w, end, &si, o->timeout_s);
    }
    ok = check_report_end(r, end == END_VERDICT && w.verdict == 1);
    /* With the terminal, ^C reached only the check: it was meant for the tool. */
    if (foreground && end == END_EXITED && si.si_code != CLD_EXITED &&
        (si.si_status == SIGINT || si.si_status == SIGQUIT)) {
        signal(si.si_status, SIG_DFL);
        raise(si.si_status);
    }
    return ok;
}

/* ---- the verb ---- */

int
cli_check(int argc, char **argv)
{
    check_options o = {CHECK_TIMEOUT_S, 0, 0};
    long timeout_s = CHECK_TIMEOUT_S;
    const cli_opt opts[] = {
        {"--strict", CLI_OPT_FLAG, &o.strict, 0, 0},
        {"--json", CLI_OPT_FLAG, &o.json, 0, 0},
        {"--timeout", CLI_OPT_NUMBER, &timeout_s, 1, CHECK_TIMEOUT_MAX_S},
        {NULL, CLI_OPT_FLAG, NULL, 0, 0},
    };
    check_report *r;
    const char **files;
    int nfiles, ok;

    if (cli_wants_help(argc, argv)) {
        printf("%s\n"
               "Check each configuration as a deployment would use it, without side effects:\n"
               "parse it, load and initialise its plugins in check mode (they validate their\n"
               "configuration but create no files), create a context (reading the private key\n"
               "through the password callback) and free it, then lint it: a server context\n"
               "without a certificate or cert callback, an expired or not yet valid\n"
               "certificate, a client that does not verify its peer.  Each configuration is\n"
               "checked in a child process of its own; its verdict is what that child reports.\n"
               "  --strict           warnings (and warnings or errors plugins log) fail too\n"
               "  --json             print one JSON document for the whole run on stdout\n"
               "  --timeout SECONDS  deadline for each configuration (default %d); then the\n"
               "                     child's whole process group is killed\n"
               "A child that crashes, exits without a verdict or misses the deadline is a\n"
               "failure naming the entry it was loading.  Errors are printed as\n"
               "CONFIG:LINE:COL: message or CONFIG: /json/pointer: message, warnings as\n"
               "CONFIG: warning: /json/pointer: message, and what plugins log as\n"
               "CONFIG: warning: PLUGIN: message (or error:).\n"
               "Exit 0 when every configuration is usable (and, with --strict, has no\n"
               "warnings), 1 otherwise, 2 on usage errors.\n",
               usage_text, CHECK_TIMEOUT_S);
        return CLI_OK;
    }
    if ((files = calloc((size_t)argc, sizeof(*files))) == NULL) {
        perror("sslplug check");
        return CLI_FAIL;
    }
    if ((nfiles = cli_opts_parse(argc, argv, opts, files, 1, argc, usage_text)) < 0) {
        free(files);
        return CLI_USAGE;
    }
    o.timeout_s = (int)timeout_s;
    if ((r = check_report_new(o.json, o.strict, o.timeout_s)) == NULL) {
        perror("sslplug check");
        free(files);
        return CLI_FAIL;
    }
    catch_stop_signals();
    for (int i = 0; i < nfiles; i++) {
        check_one(r, files[i], &o);
    }
    ok = check_report_free(r);
    free(files);
    return ok ? CLI_OK : CLI_FAIL;
}
