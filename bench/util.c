/* Clocks, medians, memory readings and output. */
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static double
clock_seconds(clockid_t clock)
{
    struct timespec ts;

    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
bench_now(void)
{
    return clock_seconds(CLOCK_MONOTONIC);
}

double
bench_cpu_now(void)
{
    return clock_seconds(CLOCK_THREAD_CPUTIME_ID);
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

double
bench_median(double *v, size_t n)
{
    if (n == 0) {
        return 0.0;
    }
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

double
bench_min(const double *v, size_t n)
{
    double m = n > 0 ? v[0] : 0.0;

    for (size_t i = 1; i < n; i++) {
        m = v[i] < m ? v[i] : m;
    }
    return m;
}

double
bench_max(const double *v, size_t n)
{
    double m = n > 0 ? v[0] : 0.0;

    for (size_t i = 1; i < n; i++) {
        m = v[i] > m ? v[i] : m;
    }
    return m;
}

long
bench_rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, resident = -1;

    if (f == NULL) {
        return -1;
    }
    if (fscanf(f, "%ld %ld", &size, &resident) != 2) {
        resident = -1;
    }
    fclose(f);
    return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

long
bench_heap_bytes(void)
{
    struct mallinfo2 mi = mallinfo2();

    return (long)(mi.uordblks + mi.hblkhd);
}

void
bench_out(const char *name, const char *fmt, ...)
{
    va_list ap;

    printf("%s=", name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

void
bench_fail(const char *fmt, ...)
{
    va_list ap;

    fflush(stdout);
    fputs("sslplug_bench: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}
