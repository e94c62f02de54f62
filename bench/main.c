/*
 * sslplug_bench: what binding callbacks through sslplug costs, against
 * binding the same callbacks by hand.  See README.md for what each figure
 * means and how to run it.
 *
 *   sslplug_bench [--quick] [--no-callgrind]
 *   sslplug_bench --callgrind-mode=[ctx-]a|b|c [--count=N]   (for callgrind.sh)
 *   sslplug_bench --child=cold-direct|cold-sslplug          (for itself)
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "bench.h"

#ifndef BENCH_CALLGRIND_SCRIPT
#error "BENCH_CALLGRIND_SCRIPT must be defined by the build"
#endif

#define HANDSHAKE_TARGET 0.99
#define INSTR_TARGET 1.001
#define CTX_TARGET 1.05

static void
defaults(bench_opts *o, int quick)
{
    o->quick = quick;
    o->hs_rounds = quick ? 3 : 40;
    o->hs_round_s = quick ? 0.05 : 0.15;
    o->dispatch_rounds = quick ? 3 : 9;
    o->dispatch_round_s = quick ? 0.01 : 0.1;
    o->ctx_rounds = quick ? 3 : 25;
    o->ctx_per_round = quick ? 3 : 10;
    o->cold_children = quick ? 3 : 9;
    o->heap_contexts = quick ? 8 : 64;
    o->mem_warmup = quick ? 20 : 200;
    o->mem_cycles = quick ? 200 : 10000;
    o->mem_direct_cycles = quick ? 200 : 1000;
    o->callgrind_handshakes = quick ? 5 : 40;
    o->callgrind_contexts = quick ? 0 : 5;
}

static void
usage(FILE *f)
{
    fprintf(f, "usage: sslplug_bench [--quick] [--no-callgrind]\n"
               "       sslplug_bench --callgrind-mode=[ctx-]a|b|c [--count=N]\n");
}

/*
 * Run callgrind.sh on this program, echo what it prints and pick out
 * instr_ratio.  Returns the ratio, or -1 when it could not be had.
 */
static double
run_callgrind(const bench_opts *o)
{
    char n[32], m[32], line[512];
    double ratio = -1.0;
    int fds[2], status;
    FILE *in;
    pid_t pid;

    snprintf(n, sizeof(n), "--handshakes=%ld", o->callgrind_handshakes);
    snprintf(m, sizeof(m), "--contexts=%ld", o->callgrind_contexts);
    fflush(stdout);
    if (pipe(fds) != 0 || (pid = fork()) < 0) {
        bench_fail("cannot run %s: %s", BENCH_CALLGRIND_SCRIPT, strerror(errno));
        return -1.0;
    }
    if (pid == 0) {
        close(fds[0]);
        if (dup2(fds[1], STDOUT_FILENO) < 0) {
            _exit(127);
        }
        execl("/bin/sh", "sh", BENCH_CALLGRIND_SCRIPT, n, m, o->self, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    if ((in = fdopen(fds[0], "r")) == NULL) {
        close(fds[0]);
    } else {
        while (fgets(line, sizeof(line), in) != NULL) {
            fputs(line, stdout);
            fflush(stdout);
            if (strncmp(line, "instr_ratio=", 12) == 0) {
                ratio = strtod(line + 12, NULL);
            }
        }
        fclose(in);
    }
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        bench_fail("%s failed", BENCH_CALLGRIND_SCRIPT);
        return -1.0;
    }
    return ratio;
}

static const char *
verdict(int met)
{
    return met ? "met" : "MISSED";
}

static int
run_all(const bench_opts *o)
{
    double hs_ratio = 0.0, ctx_ratio = 0.0, instr_ratio = -1.0;
    int grew = 1;
    char instr[32] = "NA";

    bench_out("bench_openssl", "%s", OpenSSL_version(OPENSSL_VERSION));
    bench_out("bench_cpus_online", "%ld", sysconf(_SC_NPROCESSORS_ONLN));
    bench_out("bench_mode", "%s", o->quick ? "quick" : "default");
    if (!bench_handshakes(o, &hs_ratio) || !bench_dispatch(o) ||
        !bench_ctx_creation(o, &ctx_ratio) || !bench_memory(o, &grew)) {
        return 0;
    }
    if (o->run_callgrind && (instr_ratio = run_callgrind(o)) > 0.0) {
        snprintf(instr, sizeof(instr), "%.5f", instr_ratio);
    }
    bench_out("target_handshake_ratio", "%s", verdict(hs_ratio >= HANDSHAKE_TARGET));
    bench_out("target_instr_ratio", "%s",
              instr_ratio > 0.0 ? verdict(instr_ratio <= INSTR_TARGET) : "not measured");
    bench_out("target_ctx_ratio", "%s", verdict(ctx_ratio <= CTX_TARGET));
    bench_out("target_memory_steady", "%s", verdict(!grew));
    printf("bench: handshake_ratio=%.4f instr_ratio=%s ctx_ratio=%.4f\n", hs_ratio, instr,
           ctx_ratio);
    return 1;
}

/* "a", "b", "c", or the same with "ctx-" for context creation. */
static int
parse_variant(const char *s, bench_variant *v, int *contexts)
{
    *contexts = strncmp(s, "ctx-", 4) == 0;
    s += *contexts ? 4 : 0;
    if (strcmp(s, "a") == 0) {
        *v = BENCH_DIRECT;
    } else if (strcmp(s, "b") == 0) {
        *v = BENCH_SSLPLUG;
    } else if (strcmp(s, "c") == 0) {
        *v = BENCH_NONE;
    } else {
        return 0;
    }
    return 1;
}

int
main(int argc, char **argv)
{
    static char self[PATH_MAX];
    const char *child = NULL, *cg_mode = NULL;
    bench_variant cg_variant = BENCH_DIRECT;
    int cg_contexts = 0;
    bench_opts o;
    ssize_t len;
    int quick = 0, callgrind = 1, ok;
    long count = -1;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            quick = 1;
        } else if (strcmp(argv[i], "--no-callgrind") == 0) {
            callgrind = 0;
        } else if (strncmp(argv[i], "--callgrind-mode=", 17) == 0) {
            cg_mode = argv[i] + 17;
        } else if (strncmp(argv[i], "--count=", 8) == 0) {
            count = strtol(argv[i] + 8, NULL, 10);
        } else if (strncmp(argv[i], "--child=", 8) == 0) {
            child = argv[i] + 8;
        } else if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (cg_mode != NULL && !parse_variant(cg_mode, &cg_variant, &cg_contexts)) {
        usage(stderr);
        return 2;
    }
    if (child != NULL) {
        return bench_cold_child(child) ? 0 : 1;
    }
    defaults(&o, quick);
    o.run_callgrind = callgrind;
    if ((len = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0) {
        bench_fail("cannot find this executable: %s", strerror(errno));
        return 1;
    }
    self[len] = '\0';
    o.self = self;
    if (!bench_direct_state_load() || !bench_hosts_load()) {
        return 1;
    }
    if (cg_mode != NULL) {
        ok = bench_callgrind_mode(cg_variant, cg_contexts, count > 0 ? count : 100);
    } else {
        ok = run_all(&o);
    }
    bench_hosts_free();
    bench_direct_state_free();
    return ok ? 0 : 1;
}
