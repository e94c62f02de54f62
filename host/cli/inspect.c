/*
 * sslplug inspect: what a plugin file offers.  Everything the file itself
 * tells is read by sslplug_plugin_examine, under the loader's file checks
 * and without running any of the plugin's code.  The descriptor of an
 * sslplug plugin only exists once its code runs (constructors, then the
 * entry), so that happens in a forked child with a deadline: a plugin that
 * crashes or hangs there is reported, as `sslplug check` does, instead of
 * taking the tool down.  The descriptor is read as it is, whatever its
 * version, so an incompatible plugin can still be described.
 */
#define _GNU_SOURCE /* strsignal */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sslplug/plugin.h"

#include "cli.h"
#include "opts.h"

/* Bound on loading a plugin and calling its entry: a hang is a failure. */
#define INSPECT_TIMEOUT_S 10

static void
describe(const sslplug_plugin *d)
{
    sslplug_plugin view;
    size_t n = d->size < sizeof(view) ? d->size : sizeof(view);

    if (d->magic != SSLPLUG_PLUGIN_MAGIC) {
        printf("descriptor: bad magic 0x%08x (expected 0x%08x)\n", d->magic, SSLPLUG_PLUGIN_MAGIC);
        return;
    }
    printf("abi: %u.%u (descriptor size %u); this host: %u.%u (%s)\n", d->abi_major, d->abi_minor,
           d->size, SSLPLUG_ABI_MAJOR, SSLPLUG_ABI_MINOR,
           d->abi_major == SSLPLUG_ABI_MAJOR && d->abi_minor <= SSLPLUG_ABI_MINOR ? "compatible"
                                                                                  : "incompatible");
    if (d->abi_major != SSLPLUG_ABI_MAJOR || n < offsetof(sslplug_plugin, init)) {
        return;
    }
    memset(&view, 0, sizeof(view));
    memcpy(&view, d, n);
    printf("name: %s\n", view.name != NULL ? view.name : "(none)");
    printf("version: %s\n", view.version != NULL ? view.version : "(none)");
    printf("init: %s, fini: %s\n", view.init != NULL ? "yes" : "no",
           view.fini != NULL ? "yes" : "no");
    printf("thread-safe: %s\n", (view.flags & SSLPLUG_PLUGIN_THREAD_SAFE) != 0
                                    ? "yes"
                                    : "no (the host serialises its calls)");
    printf("types:");
    for (int t = 0; t < SSLPLUG_CB_COUNT; t++) {
        if (sslplug_plugin_provides(d, (sslplug_cb_type)t)) {
            printf(" %s", sslplug_cb_type_name((sslplug_cb_type)t));
        }
    }
    printf("\n");
    if (view.info != NULL && view.info_events != 0) {
        printf("info events: 0x%04x\n", view.info_events);
    }
}

/* In the child: load the plugin, call its entry, print the descriptor.  Exit status. */
static int
describe_here(const char *path)
{
    sslplug_plugin_entry_fn entry;
    const sslplug_plugin *d;
    void *dl, *sym;

    if ((dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
        fprintf(stderr, "sslplug inspect: %s\n", dlerror());
        return CLI_FAIL;
    }
    if ((sym = dlsym(dl, SSLPLUG_PLUGIN_ENTRY_SYMBOL)) == NULL) {
        fprintf(stderr, "sslplug inspect: %s: %s\n", path, dlerror());
        return CLI_FAIL;
    }
    /* POSIX guarantees this conversion for dlsym results. */
    memcpy(&entry, &sym, sizeof(entry));
    if ((d = entry()) == NULL) {
        printf("descriptor: NULL (unusable)\n");
    } else {
        describe(d);
    }
    return CLI_OK;
}

/* Wait for pid until the deadline, then kill it.  Returns 1 with *status, 0 when killed. */
static int
wait_bounded(pid_t pid, int *status)
{
    const struct timespec tick = {0, 10 * 1000 * 1000};

    for (int waited = 0; waited < INSPECT_TIMEOUT_S * 100; waited++) {
        pid_t r = waitpid(pid, status, WNOHANG);

        if (r == pid || (r < 0 && errno != EINTR)) {
            return r == pid;
        }
        nanosleep(&tick, NULL);
    }
    kill(pid, SIGKILL);
    while (waitpid(pid, status, 0) < 0 && errno == EINTR) {
        continue;
    }
    return 0;
}

/* The child owns copies of path and facts; it frees them before it exits. */
static int
describe_isolated(char *path, sslplug_plugin_facts *facts)
{
    int status = 0;
    pid_t pid;

    fflush(stdout);
    fflush(stderr);
    if ((pid = fork()) < 0) {
        fprintf(stderr, "sslplug inspect: cannot fork to read the descriptor: %s\n",
                strerror(errno));
        return CLI_FAIL;
    }
    if (pid == 0) {
        int rc = describe_here(path);

        sslplug_plugin_facts_free(facts);
        free(path);
        fflush(stdout);
        fflush(stderr);
        _exit(rc);
    }
    if (!wait_bounded(pid, &status)) {
        fprintf(stderr,
                "sslplug inspect: %s: the plugin did not return its descriptor within %d s "
                "(killed)\n",
                path, INSPECT_TIMEOUT_S);
        return CLI_FAIL;
    }
    if (WIFSIGNALED(status)) {
        fprintf(stderr,
                "sslplug inspect: %s: the plugin crashed (signal %d, %s) while its descriptor was "
                "read\n",
                path, WTERMSIG(status), strsignal(WTERMSIG(status)));
        return CLI_FAIL;
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? CLI_OK : CLI_FAIL;
}

static void
print_sha256(const sslplug_plugin_facts *facts)
{
    printf("sha256: ");
    for (size_t i = 0; i < sizeof(facts->sha256); i++) {
        printf("%02x", facts->sha256[i]);
    }
    printf("\n");
}

static void
print_file_facts(const sslplug_plugin_facts *facts)
{
    printf("file: %s\n", facts->file);
    print_sha256(facts);
    printf("needs:");
    for (size_t i = 0; facts->needed[i] != NULL; i++) {
        printf(" %s", facts->needed[i]);
    }
    printf("%s\n", facts->needed[0] == NULL ? " nothing" : "");
    if (facts->openssl == NULL) {
        printf("openssl: this process's (no copy of its own found)\n");
    } else {
        printf("openssl: refused, it brings its own: %s\n", facts->openssl);
    }
}

int
cli_inspect(int argc, char **argv)
{
    sslplug_plugin_facts *facts = NULL;
    sslplug_error err;
    char *path = NULL;
    int rc = CLI_FAIL, sha = 0;
    const char *arg = NULL;
    const cli_opt opts[] = {
        {"--sha256", CLI_OPT_FLAG, &sha, 0, 0},
        {NULL, CLI_OPT_FLAG, NULL, 0, 0},
    };

    if (cli_wants_help(argc, argv)) {
        printf("usage: sslplug inspect [--sha256] PLUGIN\n\n"
               "PLUGIN is a path, or a bare name looked up in SSLPLUG_PLUGIN_PATH and the\n"
               "built-in plugin directory (%s).\n"
               "The file must pass the loader's checks (owner, modes, directories, no symlink).\n"
               "Prints what the file tells without running it: SHA-256, needed libraries,\n"
               "whether it brings its own OpenSSL, and the functions a plain shared object\n"
               "exports for binding with \"symbol\".  For an sslplug plugin, its descriptor\n"
               "(ABI version, name, version, callback types), read in a child process with a\n"
               "%d s deadline, since that runs the plugin's code.\n"
               "--sha256 prints only the file's SHA-256, the value of an entry's \"sha256\" pin.\n",
               sslplug_builtin_plugin_dir(), INSPECT_TIMEOUT_S);
        return CLI_OK;
    }
    if (cli_opts_parse(argc, argv, opts, &arg, 1, 1, "usage: sslplug inspect [--sha256] PLUGIN\n") <
        0) {
        return CLI_USAGE;
    }
    /* The host's own lookup, so inspect sees the file a configuration would load. */
    if ((path = sslplug_plugin_locate(arg)) == NULL) {
        fprintf(stderr,
                "sslplug inspect: %s: no such plugin (a path, or NAME.so in "
                "SSLPLUG_PLUGIN_PATH or %s)\n",
                arg, sslplug_builtin_plugin_dir());
        return CLI_FAIL;
    }
    if ((facts = sslplug_plugin_examine(path, &err)) == NULL) {
        fprintf(stderr, "sslplug inspect: %s\n", err.message);
        goto done;
    }
    if (sha) {
        print_sha256(facts);
        rc = CLI_OK;
        goto done;
    }
    print_file_facts(facts);
    switch (facts->entry) {
    case 1:
        printf("kind: sslplug plugin\n");
        rc = describe_isolated(path, facts);
        break;
    case -1:
        printf("kind: sslplug plugin, unusable: %s is not a function (the loader refuses it)\n",
               SSLPLUG_PLUGIN_ENTRY_SYMBOL);
        rc = CLI_OK;
        break;
    case 0:
    default:
        printf("kind: raw (no %s); exported functions, bindable with \"symbol\" if their\n"
               "signature is one of OpenSSL's callback types (a binary does not record it):\n",
               SSLPLUG_PLUGIN_ENTRY_SYMBOL);
        for (size_t i = 0; facts->functions[i] != NULL; i++) {
            printf("  %s\n", facts->functions[i]);
        }
        rc = CLI_OK;
        break;
    }
done:
    sslplug_plugin_facts_free(facts);
    free(path);
    return rc;
}
