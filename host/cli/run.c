/*
 * sslplug run: a program that was never written for sslplug, run with
 * libsslplug-inject.so preloaded and its configuration in the environment
 * (sslplug-run(1)).  Before anything is run, the configurations are loaded
 * (their errors shown here, not by the program) and the program is looked
 * at, and where injection cannot work the tool says why and stops:
 *  - a setuid or setgid program (the loader ignores LD_PRELOAD for it);
 *  - a static executable (no dynamic loader to preload with);
 *  - a program on GnuTLS or NSS instead of OpenSSL (Debian's wget and
 *    git's https helper), or on an OpenSSL other than 3.
 * It warns where injection may do nothing: a program that carries its own
 * static or private OpenSSL, or one that loads no TLS library when it
 * starts (Python loads its ssl module later).  A script is judged by its
 * interpreter.  Then it sets the environment and execs the program, whose
 * exit status becomes the tool's.
 */
#define _GNU_SOURCE /* dladdr, pipe2, memmem */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "opts.h"

/* How long the loader may take to list a program's libraries, and how deep scripts may nest. */
#define LIST_TIMEOUT_MS 10000
#define MAX_SCRIPT_DEPTH 4

static const char usage_text[] =
    "usage: sslplug run [--config FILE | --client FILE --server FILE] [--verify enforce|app]\n"
    "                   [--on-error fail|warn] [--no-inherit] -- PROGRAM [ARGS...]\n";

typedef struct run_options {
    const char *config, *client, *server, *verify, *on_error;
    int no_inherit;
} run_options;

/* The program's verdict: 0 go, 1 cannot work (said why). */
typedef struct verdict {
    int fatal;
} verdict;

static void run_say(const char *kind, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
run_say(const char *kind, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "sslplug run: %s", kind);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* name as execvp would find it: with a '/' as given, else the first in PATH. */
static char *
find_program(const char *name)
{
    const char *path = getenv("PATH");
    char *copy, *save = NULL, *found = NULL;

    if (strchr(name, '/') != NULL) {
        return realpath(name, NULL);
    }
    copy = strdup(path != NULL ? path : "/usr/local/bin:/usr/bin:/bin");
    for (char *dir = copy != NULL ? strtok_r(copy, ":", &save) : NULL; dir != NULL && found == NULL;
         dir = strtok_r(NULL, ":", &save)) {
        char candidate[PATH_MAX];

        snprintf(candidate, sizeof(candidate), "%s/%s", dir[0] != '\0' ? dir : ".", name);
        if (access(candidate, X_OK) == 0) {
            found = realpath(candidate, NULL);
        }
    }
    free(copy);
    return found;
}

/* The whole file, mapped; NULL when it cannot be read. */
static const unsigned char *
map_file(const char *path, size_t *len)
{
    struct stat st;
    void *p;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size <= 0) {
        if (fd >= 0) {
            close(fd);
        }
        return NULL;
    }
    p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        return NULL;
    }
    *len = (size_t)st.st_size;
    return p;
}

/* The ELF facts that matter here: the loader it names, and whether it is dynamic at all. */
typedef struct elf_facts {
    int elf;
    int dynamic;
    char interp[PATH_MAX];
} elf_facts;

static void
read_elf(const unsigned char *p, size_t len, elf_facts *f)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)(const void *)p;

    memset(f, 0, sizeof(*f));
    if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
        eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_phoff > len ||
        (size_t)eh->e_phnum * sizeof(Elf64_Phdr) > len - eh->e_phoff) {
        return;
    }
    f->elf = 1;
    for (size_t i = 0; i < eh->e_phnum; i++) {
        const Elf64_Phdr *ph = (const Elf64_Phdr *)(const void *)(p + eh->e_phoff) + i;

        if (ph->p_type == PT_DYNAMIC) {
            f->dynamic = 1;
        } else if (ph->p_type == PT_INTERP && ph->p_offset < len &&
                   ph->p_filesz < sizeof(f->interp) && ph->p_filesz <= len - ph->p_offset) {
            memcpy(f->interp, p + ph->p_offset, ph->p_filesz);
            f->interp[ph->p_filesz] = '\0';
        }
    }
}

/* "LOADER --list PROGRAM": the libraries the program loads at start, one per line. */
static char *
list_libraries(const char *loader, const char *program)
{
    int out[2];
    char *text = NULL;
    size_t len = 0;
    pid_t pid;
    FILE *f;

    if (pipe2(out, O_CLOEXEC) != 0 || (f = open_memstream(&text, &len)) == NULL) {
        return NULL;
    }
    if ((pid = fork()) == 0) {
        dup2(out[1], 1);
        execl(loader, loader, "--list", program, (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    for (int waited = 0; pid > 0 && waited < LIST_TIMEOUT_MS;) {
        struct pollfd pfd = {out[0], POLLIN, 0};
        char buf[4096];
        ssize_t n;
        int r = poll(&pfd, 1, 100);

        if (r < 0 && errno != EINTR) {
            break;
        }
        if (r <= 0) {
            waited += 100;
            continue;
        }
        if ((n = read(out[0], buf, sizeof(buf))) <= 0) {
            break;
        }
        fwrite(buf, 1, (size_t)n, f);
    }
    close(out[0]);
    if (pid > 0) {
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
            continue;
        }
    }
    fclose(f);
    return text;
}

/* The path the list gives for a library whose name starts with prefix, or NULL. */
static const char *
library(const char *list, const char *prefix, char *path, size_t len)
{
    for (const char *line = list; line != NULL && *line != '\0';) {
        const char *end = strchr(line, '\n'), *name = line, *arrow;

        end = end != NULL ? end : line + strlen(line);
        while (name < end && (*name == ' ' || *name == '\t')) {
            name++;
        }
        if ((size_t)(end - name) > strlen(prefix) && strncmp(name, prefix, strlen(prefix)) == 0) {
            arrow = memmem(name, (size_t)(end - name), " => ", 4);
            const char *from = arrow != NULL ? arrow + 4 : name;
            size_t n = strcspn(from, " (\n");

            snprintf(path, len, "%.*s", (int)n, from);
            return path;
        }
        line = *end != '\0' ? end + 1 : end;
    }
    return NULL;
}

/* The libssl.so.3 libsslplug (and so the injected library) uses. */
static int
our_libssl(char *path, size_t len)
{
    Dl_info info;
    char *real;

    if (dladdr((void *)(uintptr_t)SSL_CTX_new_ex, &info) == 0 || info.dli_fname == NULL ||
        (real = realpath(info.dli_fname, NULL)) == NULL) {
        return 0;
    }
    snprintf(path, len, "%s", real);
    free(real);
    return 1;
}

static int
same_file(const char *a, const char *b)
{
    char *ra = realpath(a, NULL), *rb = realpath(b, NULL);
    int same = ra != NULL && rb != NULL && strcmp(ra, rb) == 0;

    free(ra);
    free(rb);
    return same;
}

/*
 * Whether the file holds OpenSSL's own code: the source file names its
 * error macros embed in every copy of libssl (host/one_openssl.c uses the
 * same marks for plugins).
 */
static int
carries_openssl(const unsigned char *p, size_t len)
{
    return memmem(p, len, "ssl/ssl_lib.c", 13) != NULL ||
           memmem(p, len, "ssl/statem/statem_clnt.c", 24) != NULL;
}

/* Judge what a dynamic program links for TLS. */
static void
judge_libraries(const char *program, const char *list, int openssl_inside, verdict *v)
{
    char path[PATH_MAX], ours[PATH_MAX];

    if (library(list, "libssl.so.3", path, sizeof(path)) != NULL) {
        if (our_libssl(ours, sizeof(ours)) && !same_file(path, ours)) {
            run_say("warning: ",
                    "%s uses a private libssl.so.3 (%s), not the one libsslplug uses (%s): the "
                    "injected library would bring the other one in",
                    program, path, ours);
        }
        if (openssl_inside) {
            run_say("warning: ",
                    "%s also carries its own copy of OpenSSL: contexts it makes with that copy "
                    "are not seen",
                    program);
        }
        return;
    }
    if (library(list, "libgnutls.so", path, sizeof(path)) != NULL) {
        run_say("",
                "%s uses GnuTLS (%s), not OpenSSL: injection cannot work (Debian builds wget "
                "and git's https helper with GnuTLS; curl uses OpenSSL)",
                program, path);
        v->fatal = 1;
    } else if (library(list, "libnss3.so", path, sizeof(path)) != NULL ||
               library(list, "libssl3.so", path, sizeof(path)) != NULL) {
        run_say("", "%s uses NSS (%s), not OpenSSL: injection cannot work", program, path);
        v->fatal = 1;
    } else if (library(list, "libssl.so", path, sizeof(path)) != NULL) {
        run_say("", "%s uses %s, not OpenSSL 3's libssl.so.3: injection cannot work", program,
                path);
        v->fatal = 1;
    } else if (openssl_inside) {
        run_say("warning: ",
                "%s carries its own static copy of OpenSSL: its contexts are made by that copy, "
                "which the injected library cannot see; sslplug will most likely do nothing",
                program);
    } else {
        run_say("warning: ",
                "%s does not link OpenSSL at start: injection works only if it loads "
                "libssl.so.3 later (Python's ssl module does)",
                program);
    }
}

/* Look at the program (and, for a script, its interpreter); the verdict in v. */
static void
judge(const char *program, int depth, verdict *v)
{
    const unsigned char *p;
    size_t len = 0;
    struct stat st;
    elf_facts ef;
    char *list;

    if (stat(program, &st) != 0) {
        run_say("", "%s: %s", program, strerror(errno));
        v->fatal = 1;
        return;
    }
    if ((st.st_mode & (S_ISUID | S_ISGID)) != 0) {
        run_say("",
                "%s is set%s: the dynamic loader ignores LD_PRELOAD for it, so injection "
                "cannot work",
                program, (st.st_mode & S_ISUID) != 0 ? "uid" : "gid");
        v->fatal = 1;
        return;
    }
    if ((p = map_file(program, &len)) == NULL) {
        run_say("", "cannot read %s: %s", program, strerror(errno));
        v->fatal = 1;
        return;
    }
    if (len > 2 && p[0] == '#' && p[1] == '!') {
        char line[PATH_MAX], *interp, *arg, *found;
        size_t n = strcspn((const char *)p + 2, "\n");

        snprintf(line, sizeof(line), "%.*s", (int)(n < len - 2 ? n : len - 2), p + 2);
        munmap((void *)(uintptr_t)p, len);
        interp = line + strspn(line, " \t");
        arg = interp + strcspn(interp, " \t");
        if (*arg != '\0') {
            *arg++ = '\0';
            arg += strspn(arg, " \t");
            arg[strcspn(arg, " \t")] = '\0';
        }
        /* "#!/usr/bin/env python3": the program env would find. */
        found = strcmp(interp, "/usr/bin/env") == 0 && *arg != '\0' ? find_program(arg)
                                                                    : realpath(interp, NULL);
        if (found == NULL || depth >= MAX_SCRIPT_DEPTH) {
            run_say("", "%s is a script whose interpreter %s cannot be found", program, interp);
            v->fatal = 1;
        } else {
            run_say("note: ", "%s is a script run by %s: looking at the interpreter", program,
                    found);
            judge(found, depth + 1, v);
        }
        free(found);
        return;
    }
    read_elf(p, len, &ef);
    if (!ef.elf) {
        run_say("", "%s is neither an ELF program nor a script", program);
        v->fatal = 1;
    } else if (!ef.dynamic || ef.interp[0] == '\0') {
        run_say("",
                "%s is statically linked: no dynamic loader runs, so nothing can be preloaded "
                "into it and injection cannot work",
                program);
        v->fatal = 1;
    } else if ((list = list_libraries(ef.interp, program)) == NULL) {
        run_say("warning: ", "cannot list the libraries of %s", program);
    } else {
        judge_libraries(program, list, carries_openssl(p, len), v);
        free(list);
    }
    munmap((void *)(uintptr_t)p, len);
}

/* libsslplug-inject.so beside this tool: the build tree's, or the installed one. */
static char *
inject_library(void)
{
    char exe[PATH_MAX], path[PATH_MAX * 2];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    char *slash;

    if (n <= 0) {
        return NULL;
    }
    exe[n] = '\0';
    if ((slash = strrchr(exe, '/')) != NULL) {
        *slash = '\0';
    }
    if (same_file(exe, SSLPLUG_BUILD_TREE)) {
        snprintf(path, sizeof(path), "%s/lib/sslplug/libsslplug-inject.so", SSLPLUG_BUILD_TREE);
    } else {
        snprintf(path, sizeof(path), "%s/../%s", exe, SSLPLUG_INJECT_LIB_REL);
    }
    return realpath(path, NULL);
}

/* Load a configuration as the injected library will, so its errors show here. */
static char *
check_config(const char *option, const char *file)
{
    sslplug_error err;
    sslplug_host *host;
    char *abs = realpath(file, NULL);

    if (abs == NULL) {
        run_say("", "%s %s: %s", option, file, strerror(errno));
        return NULL;
    }
    if ((host = sslplug_host_load(abs, &err)) == NULL) {
        cli_print_error(stderr, &err);
        free(abs);
        return NULL;
    }
    sslplug_host_free(host);
    return abs;
}

/* An option's value, if given, is a or b; else a usage error. */
static int
one_of(const char *option, const char *value, const char *a, const char *b)
{
    if (value == NULL || strcmp(value, a) == 0 || strcmp(value, b) == 0) {
        return 1;
    }
    fprintf(stderr, "sslplug run: %s: expected %s or %s, found \"%s\"\n%s", option, a, b, value,
            usage_text);
    return 0;
}

static int
set_env(const char *name, const char *value)
{
    return value != NULL ? setenv(name, value, 1) == 0 : unsetenv(name) == 0;
}

int
cli_run(int argc, char **argv)
{
    run_options o = {0};
    const cli_opt opts[] = {
        {"--config", CLI_OPT_TEXT, &o.config, 0, 0},
        {"--client", CLI_OPT_TEXT, &o.client, 0, 0},
        {"--server", CLI_OPT_TEXT, &o.server, 0, 0},
        {"--verify", CLI_OPT_TEXT, &o.verify, 0, 0},
        {"--on-error", CLI_OPT_TEXT, &o.on_error, 0, 0},
        {"--no-inherit", CLI_OPT_FLAG, &o.no_inherit, 0, 0},
        {NULL, CLI_OPT_FLAG, NULL, 0, 0},
    };
    char *config = NULL, *client = NULL, *server = NULL, *program = NULL, *lib = NULL;
    const char *old_preload = getenv("LD_PRELOAD");
    char *preload = NULL;
    verdict v = {0};
    int dashes = 1, rc = CLI_FAIL;

    /* Everything after "--" is the program's, its --help included. */
    while (dashes < argc && strcmp(argv[dashes], "--") != 0) {
        dashes++;
    }
    if (cli_wants_help(dashes, argv)) {
        printf("%s\nRun PROGRAM with libsslplug-inject.so preloaded: every SSL_CTX it makes gets "
               "the configured callbacks.\nSee sslplug-run(1).\n",
               usage_text);
        return CLI_OK;
    }
    if (cli_opts_parse(dashes, argv, opts, NULL, 0, 0, usage_text) < 0) {
        return CLI_USAGE;
    }
    if (dashes + 1 >= argc) {
        fprintf(stderr, "sslplug run: no program: put it after --\n%s", usage_text);
        return CLI_USAGE;
    }
    if ((o.config != NULL) == (o.client != NULL || o.server != NULL)) {
        fprintf(stderr, "sslplug run: give --config, or --client and/or --server\n%s", usage_text);
        return CLI_USAGE;
    }
    if (!one_of("--verify", o.verify, "enforce", "app") ||
        !one_of("--on-error", o.on_error, "fail", "warn")) {
        return CLI_USAGE;
    }
    if ((o.config != NULL && (config = check_config("--config", o.config)) == NULL) ||
        (o.client != NULL && (client = check_config("--client", o.client)) == NULL) ||
        (o.server != NULL && (server = check_config("--server", o.server)) == NULL)) {
        goto done;
    }
    if ((program = find_program(argv[dashes + 1])) == NULL) {
        run_say("", "%s: no such program", argv[dashes + 1]);
        goto done;
    }
    judge(program, 0, &v);
    if (v.fatal) {
        goto done;
    }
    if ((lib = inject_library()) == NULL) {
        run_say("", "libsslplug-inject.so is not installed beside this tool");
        goto done;
    }
    if (old_preload != NULL && old_preload[0] != '\0') {
        size_t n = strlen(lib) + strlen(old_preload) + 2;

        if ((preload = malloc(n)) != NULL) {
            snprintf(preload, n, "%s:%s", lib, old_preload);
        }
    }
    if (!set_env("LD_PRELOAD", preload != NULL ? preload : lib) ||
        !set_env("SSLPLUG_INJECT_CONFIG", config) || !set_env("SSLPLUG_INJECT_CLIENT", client) ||
        !set_env("SSLPLUG_INJECT_SERVER", server) || !set_env("SSLPLUG_INJECT_VERIFY", o.verify) ||
        !set_env("SSLPLUG_INJECT_ON_ERROR", o.on_error) ||
        !set_env("SSLPLUG_INJECT_NO_INHERIT", o.no_inherit ? "1" : NULL)) {
        run_say("", "cannot set the environment: %s", strerror(errno));
        goto done;
    }
    fflush(NULL);
    execv(program, argv + dashes + 1);
    run_say("", "cannot run %s: %s", program, strerror(errno));
done:
    free(preload);
    free(lib);
    free(program);
    free(config);
    free(client);
    free(server);
    return rc;
}
