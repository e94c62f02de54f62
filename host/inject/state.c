/*
 * The process's configuration for injection.  It comes from the
 * environment (secure_getenv: nothing in a setuid or setgid process):
 * SSLPLUG_INJECT_CONFIG names one configuration, used for the side its
 * role says, or SSLPLUG_INJECT_SERVER and SSLPLUG_INJECT_CLIENT one for
 * each side; SSLPLUG_INJECT_VERIFY and SSLPLUG_INJECT_ON_ERROR override
 * the configuration's "inject" section (sslplug run's options);
 * SSLPLUG_INJECT_NO_INHERIT makes this library leave the environment of
 * the processes the program starts (it removes itself from LD_PRELOAD as
 * it loads).
 *
 * The first context of the process loads it, once (pthread_once: threads
 * making their first contexts at once wait for the one load), plugins
 * included: a scratch context is bound and freed, so plugins are
 * initialised and CA files read once, not per context (curl makes one
 * context per transfer).  A configuration that does not load makes every
 * SSL_CTX_new fail, with the reason on stderr and as the text of an
 * OpenSSL error, unless on_error says warn.
 */
#define _GNU_SOURCE /* secure_getenv, program_invocation_short_name */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

#include "inject.h"

#define ENV_CONFIG "SSLPLUG_INJECT_CONFIG"
#define ENV_SERVER "SSLPLUG_INJECT_SERVER"
#define ENV_CLIENT "SSLPLUG_INJECT_CLIENT"
#define ENV_VERIFY "SSLPLUG_INJECT_VERIFY"
#define ENV_ON_ERROR "SSLPLUG_INJECT_ON_ERROR"
#define ENV_NO_INHERIT "SSLPLUG_INJECT_NO_INHERIT"

/* The environment as the process started, copied before --no-inherit removes it. */
static struct {
    char *config, *side[2], *verify, *on_error;
    pthread_once_t once;
} env = {.once = PTHREAD_ONCE_INIT};

static inj_state state;
static pthread_once_t state_once = PTHREAD_ONCE_INIT;
static char program[NAME_MAX + 1] = "program";
static char invoked[NAME_MAX + 1] = "";

static char *
copy_env(const char *name)
{
    const char *v = secure_getenv(name);

    return v != NULL ? strdup(v) : NULL;
}

static void
read_env(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    const char *base;

    env.config = copy_env(ENV_CONFIG);
    env.side[INJ_SERVER] = copy_env(ENV_SERVER);
    env.side[INJ_CLIENT] = copy_env(ENV_CLIENT);
    env.verify = copy_env(ENV_VERIFY);
    env.on_error = copy_env(ENV_ON_ERROR);
    if (n > 0) {
        exe[n] = '\0';
        base = strrchr(exe, '/');
        snprintf(program, sizeof(program), "%s", base != NULL ? base + 1 : exe);
    }
    snprintf(invoked, sizeof(invoked), "%s", program_invocation_short_name);
}

static void
env_once(void)
{
    pthread_once(&env.once, read_env);
}

/* LD_PRELOAD without this library's own entry (entries are separated by spaces or colons). */
static void
leave_ld_preload(void)
{
    const char *preload = getenv("LD_PRELOAD");
    char *copy, *out, *save = NULL;
    size_t n = 0;

    if (preload == NULL || (copy = strdup(preload)) == NULL ||
        (out = calloc(1, strlen(preload) + 1)) == NULL) {
        return;
    }
    for (char *e = strtok_r(copy, ": ", &save); e != NULL; e = strtok_r(NULL, ": ", &save)) {
        const char *base = strrchr(e, '/');

        if (strcmp(base != NULL ? base + 1 : e, "libsslplug-inject.so") == 0) {
            continue;
        }
        n += (size_t)sprintf(out + n, "%s%s", n > 0 ? ":" : "", e);
    }
    if (n > 0) {
        setenv("LD_PRELOAD", out, 1);
    } else {
        unsetenv("LD_PRELOAD");
    }
    free(out);
    free(copy);
}

/*
 * At load, before the program's main: read the environment, and with
 * SSLPLUG_INJECT_NO_INHERIT take this library out of what children inherit
 * (forked children keep it loaded; exec'd ones start without it).
 */
__attribute__((constructor)) static void
inject_load(void)
{
    env_once();
    if (secure_getenv(ENV_NO_INHERIT) != NULL) {
        static const char *const names[] = {ENV_CONFIG, ENV_SERVER,   ENV_CLIENT,
                                            ENV_VERIFY, ENV_ON_ERROR, ENV_NO_INHERIT};

        leave_ld_preload();
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            unsetenv(names[i]);
        }
    }
}

void
inj_warn_once(const char *key, const char *fmt, ...)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static const char *said[16];
    static size_t count;
    int seen = 0;
    va_list ap;

    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < count && !seen; i++) {
        seen = strcmp(said[i], key) == 0;
    }
    if (!seen && count < sizeof(said) / sizeof(said[0])) {
        said[count++] = key;
    }
    pthread_mutex_unlock(&lock);
    if (seen) {
        return;
    }
    va_start(ap, fmt);
    fprintf(stderr, "sslplug-inject: %s: warning: ", program);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static int fail(inj_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail(inj_state *st, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(st->message, sizeof(st->message), fmt, ap);
    va_end(ap);
    return 0;
}

static int
fail_err(inj_state *st, const sslplug_error *err)
{
    char text[SSLPLUG_ERROR_TEXT_MAX];

    sslplug_error_format(err, text, sizeof(text));
    return fail(st, "%s", text);
}

/* Bind host on a scratch context: plugins load and initialise here, once. */
static int
preload(inj_state *st, const inj_real *real, sslplug_host *server, sslplug_host *client,
        sslplug_error *err)
{
    inj_capture scratch = {0};
    SSL_CTX *ctx;
    int ok;

    inj_capturing = &scratch;
    ctx = real->SSL_CTX_new_ex(NULL, NULL, TLS_method());
    ok = ctx != NULL && sslplug_ctx_apply_roles(server, client, ctx, 0, err);
    inj_capturing = NULL;
    SSL_CTX_free(ctx);
    if (ctx == NULL) {
        return fail(st, "cannot make a context to load the configuration into");
    }
    return ok;
}

/* Load path as the configuration of side (-1: the side its role says). */
static int
load_side(inj_state *st, const inj_real *real, const char *var, const char *path, int side)
{
    sslplug_error err, other;
    sslplug_host *host;

    if (path[0] != '/') {
        return fail(st, "%s=%s: an absolute path is needed", var, path);
    }
    if ((host = sslplug_host_load(path, &err)) == NULL) {
        return fail_err(st, &err);
    }
    if (side < 0) {
        /* The role the configuration gives: as a server's, or else as a client's. */
        side = preload(st, real, host, NULL, &err) ? INJ_SERVER : INJ_CLIENT;
        if (side == INJ_CLIENT && !preload(st, real, NULL, host, &other)) {
            sslplug_host_free(host);
            return fail_err(st, err.code == SSLPLUG_E_ARGUMENT ? &other : &err);
        }
    } else if (!preload(st, real, side == INJ_SERVER ? host : NULL,
                        side == INJ_CLIENT ? host : NULL, &err)) {
        sslplug_host_free(host);
        return fail_err(st, &err);
    }
    if (st->host[side] != NULL) {
        sslplug_host_free(host);
        return fail(st, "%s: two configurations for the %s side", path,
                    side == INJ_SERVER ? "server" : "client");
    }
    st->host[side] = host;
    if (!sslplug_host_inject_settings(host, program, &st->settings[side]) &&
        strcmp(invoked, program) != 0) {
        sslplug_host_inject_settings(host, invoked, &st->settings[side]);
    }
    st->verify_entries[side] = sslplug_host_entry_count(host, SSLPLUG_CB_VERIFY);
    if (side == INJ_SERVER) {
        st->servername_entries = sslplug_host_entry_count(host, SSLPLUG_CB_SERVERNAME);
    }
    return 1;
}

/* The command line's choices (sslplug run) over the configuration's. */
static int
apply_env(inj_state *st)
{
    for (int side = 0; side < 2; side++) {
        if (env.verify != NULL) {
            st->settings[side].verify =
                strcmp(env.verify, "app") == 0 ? SSLPLUG_INJECT_APP : SSLPLUG_INJECT_ENFORCE;
        }
        if (env.on_error != NULL) {
            st->settings[side].on_error_warn = strcmp(env.on_error, "warn") == 0;
        }
        if (!st->settings[side].enabled && st->host[side] != NULL) {
            sslplug_host_free(st->host[side]);
            st->host[side] = NULL;
        }
    }
    if (env.verify != NULL && strcmp(env.verify, "app") != 0 &&
        strcmp(env.verify, "enforce") != 0) {
        return fail(st, ENV_VERIFY "=%s: expected \"enforce\" or \"app\"", env.verify);
    }
    if (env.on_error != NULL && strcmp(env.on_error, "warn") != 0 &&
        strcmp(env.on_error, "fail") != 0) {
        return fail(st, ENV_ON_ERROR "=%s: expected \"fail\" or \"warn\"", env.on_error);
    }
    return 1;
}

static void
load(void)
{
    inj_state *st = &state;
    const inj_real *real;
    const char *why = NULL;
    int ok;

    env_once();
    st->program = program;
    if ((real = inj_real_get(&why)), why != NULL) {
        ok = fail(st, "%s", why);
    } else {
        ok = (env.config == NULL || load_side(st, real, ENV_CONFIG, env.config, -1)) &&
             (env.side[INJ_SERVER] == NULL ||
              load_side(st, real, ENV_SERVER, env.side[INJ_SERVER], INJ_SERVER)) &&
             (env.side[INJ_CLIENT] == NULL ||
              load_side(st, real, ENV_CLIENT, env.side[INJ_CLIENT], INJ_CLIENT)) &&
             apply_env(st);
    }
    if (ok) {
        st->ok = 1;
        return;
    }
    /* on_error: the command line's, else a configuration that loaded says it. */
    st->warn = env.on_error != NULL ? strcmp(env.on_error, "warn") == 0
                                    : (st->host[0] != NULL && st->settings[0].on_error_warn) ||
                                          (st->host[1] != NULL && st->settings[1].on_error_warn);
    for (int side = 0; side < 2; side++) {
        sslplug_host_free(st->host[side]);
        st->host[side] = NULL;
    }
    if (st->warn) {
        fprintf(stderr,
                "sslplug-inject: %s: warning: running without sslplug (on_error: warn): %s\n",
                program, st->message);
    } else {
        fprintf(stderr, "sslplug-inject: %s: %s\n", program, st->message);
    }
}

const inj_state *
inj_state_get(void)
{
    pthread_once(&state_once, load);
    return &state;
}

/*
 * An OpenSSL error whose reason text is the message itself: curl and
 * Python print the reason string of the first error, not its data.
 */
void
inj_state_raise(const inj_state *st, const char *message)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static ERR_STRING_DATA strings[3];
    static char text[256];
    static int lib;

    pthread_mutex_lock(&lock);
    if (lib == 0) {
        const char *full = message != NULL ? message : st->message;

        lib = ERR_get_next_error_library();
        /* curl prints it into 256 bytes, and a longer one as bare numbers: cut it. */
        snprintf(text, sizeof(text), "%.200s%s", full, strlen(full) > 200 ? "..." : "");
        strings[0].error = ERR_PACK(lib, 0, 0);
        strings[0].string = "sslplug";
        strings[1].error = ERR_PACK(lib, 0, 1);
        strings[1].string = text;
        ERR_load_strings(lib, strings);
    }
    pthread_mutex_unlock(&lock);
    ERR_raise_data(lib, 1, "%s", message != NULL ? message : st->message);
}
