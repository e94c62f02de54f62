/* Real processes for the tests (proc.h). */
#define _GNU_SOURCE /* pipe2, asprintf */
#include "proc.h"
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

long long
tu_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
tu_procs_init(tu_procs *ps)
{
    memset(ps, 0, sizeof(*ps));
    for (int i = 0; i < TU_MAX_PROCS; i++) {
        ps->p[i].in = ps->p[i].out = ps->p[i].status = -1;
    }
}

void
tu_procs_end(tu_procs *ps)
{
    for (int i = 0; i < TU_MAX_PROCS; i++) {
        tu_proc *p = &ps->p[i];

        if (p->pid > 0 && p->status < 0) {
            /* The group: a server's workers (nginx) go with it. */
            kill(-p->pid, SIGKILL);
            kill(p->pid, SIGKILL);
            while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR) {
                continue;
            }
        }
        if (p->in >= 0) {
            close(p->in);
        }
        if (p->out >= 0) {
            close(p->out);
        }
        free(p->text);
    }
    memset(ps, 0, sizeof(*ps));
}

static tu_proc *
start(tu_procs *ps, const char *const argv[], const char *const env[], int piped)
{
    tu_proc *p = NULL;
    int in[2] = {-1, -1}, out[2];

    for (int i = 0; i < TU_MAX_PROCS && p == NULL; i++) {
        if (ps->p[i].pid == 0) {
            p = &ps->p[i];
        }
    }
    assert_non_null(p);
    assert_int_equal(pipe2(out, O_CLOEXEC), 0);
    if (piped) {
        assert_int_equal(pipe2(in, O_CLOEXEC), 0);
    }
    p->text = calloc(1, 1);
    assert_non_null(p->text);
    p->status = -1;
    fflush(NULL);
    p->pid = fork();
    assert_true(p->pid >= 0);
    if (p->pid == 0) {
        int fd0 = piped ? in[0] : open("/dev/null", O_RDONLY);

        setpgid(0, 0);
        if (fd0 < 0 || dup2(fd0, 0) < 0 || dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0) {
            _exit(127);
        }
        for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
            putenv((char *)(uintptr_t)env[i]);
        }
        /* The test ignores SIGPIPE; the children get the default back. */
        signal(SIGPIPE, SIG_DFL);
        execvp(argv[0], (char *const *)(uintptr_t)argv);
        _exit(127);
    }
    setpgid(p->pid, p->pid);
    close(out[1]);
    p->out = out[0];
    if (piped) {
        close(in[0]);
        p->in = in[1];
    }
    return p;
}

tu_proc *
tu_proc_start(tu_procs *ps, const char *const argv[], const char *const env[])
{
    return start(ps, argv, env, 0);
}

tu_proc *
tu_proc_start_piped(tu_procs *ps, const char *const argv[], const char *const env[])
{
    return start(ps, argv, env, 1);
}

void
tu_proc_send(tu_proc *p, const char *text)
{
    assert_true(p->in >= 0);
    assert_int_equal(write(p->in, text, strlen(text)), (ssize_t)strlen(text));
    close(p->in);
    p->in = -1;
}

static int
read_some(tu_proc *p, long long deadline)
{
    struct pollfd pfd = {p->out, POLLIN, 0};
    long long left = deadline - tu_now_ms();
    char buf[4096];
    ssize_t n;

    if (p->out < 0 || left <= 0) {
        return 0;
    }
    switch (poll(&pfd, 1, left > TU_WAIT_MS ? TU_WAIT_MS : (int)left)) {
    case -1:
        return errno == EINTR;
    case 0:
        return 0;
    default:
        break;
    }
    if ((n = read(p->out, buf, sizeof(buf))) <= 0) {
        close(p->out);
        p->out = -1;
        return 0;
    }
    p->text = realloc(p->text, p->len + (size_t)n + 1);
    assert_non_null(p->text);
    memcpy(p->text + p->len, buf, (size_t)n);
    p->len += (size_t)n;
    p->text[p->len] = '\0';
    return 1;
}

int
tu_proc_wait_for_from(tu_proc *p, size_t offset, const char *needle)
{
    long long deadline = tu_now_ms() + TU_WAIT_MS;

    while (strstr(p->text + offset, needle) == NULL) {
        if (!read_some(p, deadline)) {
            return strstr(p->text + offset, needle) != NULL;
        }
    }
    return 1;
}

int
tu_proc_wait_for(tu_proc *p, const char *needle)
{
    return tu_proc_wait_for_from(p, 0, needle);
}

int
tu_proc_wait_exit(tu_proc *p)
{
    long long deadline = tu_now_ms() + TU_WAIT_MS;
    int status;

    while (read_some(p, deadline)) {
        continue;
    }
    for (;;) {
        pid_t r = waitpid(p->pid, &status, WNOHANG);

        if (r == p->pid) {
            p->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            return p->status;
        }
        if ((r < 0 && errno != EINTR) || tu_now_ms() >= deadline) {
            print_error("child %d still running; output so far:\n%s\n", (int)p->pid, p->text);
            return -1;
        }
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
}

void
tu_proc_stop(tu_proc *p)
{
    assert_int_equal(kill(p->pid, SIGTERM), 0);
    assert_int_equal(tu_proc_wait_exit(p), 0);
}

void
tu_proc_assert_output(const tu_proc *p, const char *needle, int present)
{
    if ((strstr(p->text, needle) != NULL) != (present != 0)) {
        fputs(p->text, stderr);
        print_error("expected \"%s\" %sin the output above\n", needle, present ? "" : "not ");
    }
    assert_true((strstr(p->text, needle) != NULL) == (present != 0));
}

void
tu_proc_assert_output_from(const tu_proc *p, size_t offset, const char *needle)
{
    if (strstr(p->text + offset, needle) == NULL) {
        print_error("expected \"%s\" in:\n%s\n", needle, p->text + offset);
    }
    assert_non_null(strstr(p->text + offset, needle));
}

int
tu_proc_port_after(tu_proc *p, const char *prefix)
{
    const char *at;
    long v;

    if (!tu_proc_wait_for(p, prefix) || !tu_proc_wait_for(p, "\n")) {
        print_error("no \"%s\" from the server:\n%s\n", prefix, p->text);
    }
    at = strstr(p->text, prefix);
    assert_non_null(at);
    v = strtol(at + strlen(prefix), NULL, 10);
    assert_true(v > 0 && v < 65536);
    return (int)v;
}

char *
tu_proc_address_after(tu_proc *p, const char *prefix)
{
    char *address = NULL;

    assert_true(asprintf(&address, "127.0.0.1:%d", tu_proc_port_after(p, prefix)) > 0);
    return address;
}

int
tu_free_port(void)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    close(fd);
    return ntohs(sin.sin_port);
}
