/* Real processes for the tests (proc.h). */
#define _GNU_SOURCE /* pipe2 */
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

static long long
now_ms(void)
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
        ps->p[i].out = ps->p[i].status = -1;
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
        if (p->out >= 0) {
            close(p->out);
        }
        free(p->text);
    }
    memset(ps, 0, sizeof(*ps));
}

tu_proc *
tu_proc_start(tu_procs *ps, const char *const argv[], const char *const env[])
{
    tu_proc *p = NULL;
    int out[2];

    for (int i = 0; i < TU_MAX_PROCS && p == NULL; i++) {
        if (ps->p[i].pid == 0) {
            p = &ps->p[i];
        }
    }
    assert_non_null(p);
    assert_int_equal(pipe2(out, O_CLOEXEC), 0);
    p->text = calloc(1, 1);
    assert_non_null(p->text);
    p->status = -1;
    fflush(NULL);
    p->pid = fork();
    assert_true(p->pid >= 0);
    if (p->pid == 0) {
        int in = open("/dev/null", O_RDONLY);

        setpgid(0, 0);
        if (in < 0 || dup2(in, 0) < 0 || dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0) {
            _exit(127);
        }
        for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
            putenv((char *)(uintptr_t)env[i]);
        }
        signal(SIGPIPE, SIG_DFL);
        execvp(argv[0], (char *const *)(uintptr_t)argv);
        _exit(127);
    }
    setpgid(p->pid, p->pid);
    close(out[1]);
    p->out = out[0];
    return p;
}

static int
read_some(tu_proc *p, long long deadline)
{
    struct pollfd pfd = {p->out, POLLIN, 0};
    long long left = deadline - now_ms();
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
tu_proc_wait_for(tu_proc *p, const char *needle)
{
    long long deadline = now_ms() + TU_WAIT_MS;

    while (strstr(p->text, needle) == NULL) {
        if (!read_some(p, deadline)) {
            return strstr(p->text, needle) != NULL;
        }
    }
    return 1;
}

int
tu_proc_wait_exit(tu_proc *p)
{
    long long deadline = now_ms() + TU_WAIT_MS;
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
        if ((r < 0 && errno != EINTR) || now_ms() >= deadline) {
            print_error("child %d still running; output so far:\n%s\n", (int)p->pid, p->text);
            return -1;
        }
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
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
