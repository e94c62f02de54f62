/*
 * Real processes for the tests that drive programs: each started with
 * fork/exec (argv[0] looked up in PATH) in a process group of its own, its
 * stdout and stderr read through one pipe with poll() against a deadline,
 * and killed (its whole group) and reaped by tu_procs_end whatever the
 * test's outcome.
 */
#ifndef SSLPLUG_TEST_PROC_H
#define SSLPLUG_TEST_PROC_H

#include <stddef.h>
#include <sys/types.h>

/* Bound on every wait for a child: a hang fails the test, it is not a measurement. */
#define TU_WAIT_MS 30000
#define TU_MAX_PROCS 12

typedef struct tu_proc {
    pid_t pid;  /* 0: not started */
    int in;     /* the child's stdin (tu_proc_start_piped), else -1 */
    int out;    /* the child's stdout and stderr, -1 after EOF */
    char *text; /* everything read so far, NUL-terminated */
    size_t len;
    int status; /* exit status once reaped (128 + signal if killed), else -1 */
} tu_proc;

typedef struct tu_procs {
    tu_proc p[TU_MAX_PROCS];
} tu_procs;

void tu_procs_init(tu_procs *ps);
/* Kill (SIGKILL, the child's process group) and reap every child still running; free. */
void tu_procs_end(tu_procs *ps);
/*
 * Start argv with stdin from /dev/null and env (NULL-terminated "NAME=value",
 * NULL for none) added to the environment.  Fails the test when it cannot.
 */
tu_proc *tu_proc_start(tu_procs *ps, const char *const argv[], const char *const env[]);
/*
 * The same with stdin a pipe held open until tu_proc_send: for the programs
 * that end their connection, or themselves, at the end of their input
 * (openssl s_client and s_server).
 */
tu_proc *tu_proc_start_piped(tu_procs *ps, const char *const argv[], const char *const env[]);
/* Write text to the stdin of a piped child, then close it. */
void tu_proc_send(tu_proc *p, const char *text);
/* Wait until the output holds needle; 0 when the child exits or the time is up first. */
int tu_proc_wait_for(tu_proc *p, const char *needle);
/* The same for the output from offset on (what came after an earlier point). */
int tu_proc_wait_for_from(tu_proc *p, size_t offset, const char *needle);
/* Read to EOF and reap: the exit status, or -1 when the child outlives the bound. */
int tu_proc_wait_exit(tu_proc *p);
/* SIGTERM, then wait: the child must exit with status 0. */
void tu_proc_stop(tu_proc *p);
/* Fail with the child's whole output when needle is (present 0: is not) in it. */
void tu_proc_assert_output(const tu_proc *p, const char *needle, int present);
/* Fail with the output from offset on when needle is not in it. */
void tu_proc_assert_output_from(const tu_proc *p, size_t offset, const char *needle);
/*
 * The port a server prints after prefix ("listening on 127.0.0.1:"), once
 * the line is complete; fails the test when it never comes.
 */
int tu_proc_port_after(tu_proc *p, const char *prefix);
/* The same as "127.0.0.1:PORT", malloc'd: a target for a client. */
char *tu_proc_address_after(tu_proc *p, const char *prefix);
/* CLOCK_MONOTONIC in milliseconds, for the tests' own bounded waits. */
long long tu_now_ms(void);
/* A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then closed). */
int tu_free_port(void);

#endif /* SSLPLUG_TEST_PROC_H */
