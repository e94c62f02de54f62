/*
 * One OpenSSL per process.  OpenSSL objects (keys, certificates, contexts)
 * made by one copy of the library and used by another crash, so a plugin
 * must use the libcrypto and libssl this process already has.  The verdict
 * is read from the plugin file before it is loaded, so none of its code
 * runs; what it can and cannot tell:
 *
 *  - DT_NEEDED: a libcrypto.so* or libssl.so* other than the process's
 *    (compared by soname) is another shared copy.
 *  - Exports: a plugin that defines any symbol the process's libcrypto or
 *    libssl exports carries OpenSSL's functions itself (a static copy
 *    linked without hiding them).
 *  - Hidden static copies (-Wl,--exclude-libs,ALL) export nothing and need
 *    not carry OpenSSL's version text (only OpenSSL_version pulls it in),
 *    but OpenSSL's error and allocation macros embed the name of the
 *    source file that calls them (OPENSSL_FILE): any copy of libcrypto
 *    that can report an error carries "crypto/err/err.c", and any copy of
 *    libssl "ssl/ssl_lib.c".  OpenSSL's assembler modules carry their
 *    CRYPTOGAMS banner.
 *
 * Not told: a copy built with no-filenames and no-asm, or with its strings
 * removed; small leaf functions that neither report errors nor use
 * assembler (MD5, OPENSSL_cleanse: they keep no state either); a copy
 * reached through the plugin's own dependencies, which the loader can only
 * catch after loading (same_openssl in loader.c).
 */
#define _GNU_SOURCE /* dladdr, memmem */
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "elf.h"

/* What the process's own libcrypto or libssl is called and exports. */
typedef struct host_lib {
    const char *what;   /* "libcrypto", "libssl" */
    char soname[256];   /* "" when OpenSSL is linked into the executable */
    char *strings;      /* a copy of its dynamic string table */
    const char **names; /* its exports, sorted; NULL when its file could not be read */
    size_t count;
} host_lib;

static host_lib host_crypto = {"libcrypto", {0}, NULL, NULL, 0};
static host_lib host_ssl = {"libssl", {0}, NULL, NULL, 0};
static pthread_once_t host_once = PTHREAD_ONCE_INIT;

/* Markers a copy of OpenSSL leaves in a file, and what they mean. */
static const struct {
    const char *text;
    int path; /* a source file name: preceded by '/' or nothing, followed by NUL */
    const char *means;
    const host_lib *instead; /* what the plugin should have imported */
} markers[] = {
    {"ssl/ssl_lib.c", 1, "OpenSSL's libssl (code from its source file ssl/ssl_lib.c)", &host_ssl},
    {"crypto/err/err.c", 1, "OpenSSL's libcrypto (code from its source file crypto/err/err.c)",
     &host_crypto},
    {"CRYPTOGAMS by <appro@openssl.org>", 0, "OpenSSL's assembler code (its CRYPTOGAMS banner)",
     &host_crypto},
};

static int
compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The symbols that count: code and data an object defines and exports. */
static int
counts(const Elf64_Sym *s)
{
    unsigned type = ELF64_ST_TYPE(s->st_info);

    return sslplugi_elf_is_export(s) && s->st_shndx != SHN_ABS &&
           (type == STT_FUNC || type == STT_GNU_IFUNC || type == STT_OBJECT || type == STT_TLS ||
            type == STT_COMMON);
}

static void
read_exports(host_lib *lib, const sslplugi_elf *elf)
{
    size_t n = 0;

    if ((lib->strings = malloc(elf->strs_size)) == NULL ||
        (lib->names = malloc((elf->sym_count + 1) * sizeof(*lib->names))) == NULL) {
        free(lib->strings);
        lib->strings = NULL;
        return;
    }
    memcpy(lib->strings, elf->strs, elf->strs_size);
    for (size_t i = 0; i < elf->sym_count; i++) {
        if (counts(&elf->syms[i]) && elf->syms[i].st_name < elf->strs_size) {
            lib->names[n++] = lib->strings + elf->syms[i].st_name;
        }
    }
    qsort(lib->names, n, sizeof(*lib->names), compare_names);
    lib->count = n;
}

/* The object that defines fn: its soname and exports, read from its file. */
static void
find_host_lib(host_lib *lib, const void *fn)
{
    char why[256];
    sslplugi_elf elf;
    const char *base;
    Dl_info info;
    int fd;

    if (dladdr(fn, &info) == 0 || info.dli_fname == NULL || info.dli_fname[0] == '\0') {
        return;
    }
    base = strrchr(info.dli_fname, '/');
    snprintf(lib->soname, sizeof(lib->soname), "%s", base != NULL ? base + 1 : info.dli_fname);
    if ((fd = open(info.dli_fname, O_RDONLY | O_CLOEXEC)) < 0) {
        return;
    }
    if (sslplugi_elf_open(fd, &elf, why, sizeof(why))) {
        lib->soname[0] = '\0'; /* the executable itself has none: OpenSSL is linked in */
        for (size_t i = 0; i < elf.dyn_count; i++) {
            const char *name = sslplugi_elf_str(&elf, elf.dyn[i].d_un.d_val);

            if (elf.dyn[i].d_tag == DT_SONAME && name != NULL) {
                snprintf(lib->soname, sizeof(lib->soname), "%s", name);
            }
        }
        read_exports(lib, &elf);
        sslplugi_elf_close(&elf);
    }
    close(fd);
}

static void
find_host_libs(void)
{
    find_host_lib(&host_crypto, (const void *)(uintptr_t)OpenSSL_version_num);
    find_host_lib(&host_ssl, (const void *)(uintptr_t)SSL_CTX_new);
}

static int
exported_by(const host_lib *lib, const char *name)
{
    return lib->names != NULL &&
           bsearch(&name, lib->names, lib->count, sizeof(*lib->names), compare_names) != NULL;
}

static int
needs_other_openssl(const sslplugi_elf *elf, char *why, size_t len)
{
    for (size_t i = 0; i < elf->dyn_count; i++) {
        const char *name = sslplugi_elf_str(elf, elf->dyn[i].d_un.d_val);
        const host_lib *lib = NULL;

        if (elf->dyn[i].d_tag != DT_NEEDED || name == NULL) {
            continue;
        }
        if (strncmp(name, "libcrypto.so", 12) == 0) {
            lib = &host_crypto;
        } else if (strncmp(name, "libssl.so", 9) == 0) {
            lib = &host_ssl;
        }
        if (lib != NULL && strcmp(name, lib->soname) != 0) {
            snprintf(why, len, "it needs %s, but this process uses %s", name,
                     lib->soname[0] != '\0' ? lib->soname : "a copy linked into the program");
            return 1;
        }
    }
    return 0;
}

static int
exports_openssl(const sslplugi_elf *elf, char *why, size_t len)
{
    for (size_t i = 0; i < elf->sym_count; i++) {
        const char *name = sslplugi_elf_str(elf, elf->syms[i].st_name);
        const host_lib *lib = NULL;

        if (name == NULL || !counts(&elf->syms[i]) || strcmp(name, "_init") == 0 ||
            strcmp(name, "_fini") == 0) {
            continue;
        }
        if (exported_by(&host_crypto, name)) {
            lib = &host_crypto;
        } else if (exported_by(&host_ssl, name)) {
            lib = &host_ssl;
        }
        if (lib != NULL) {
            snprintf(why, len,
                     "it defines and exports %s, which the process's %s (%s) exports too: OpenSSL "
                     "is linked into it",
                     name, lib->what, lib->soname);
            return 1;
        }
    }
    return 0;
}

static int
has_marker(const sslplugi_elf *elf, size_t k)
{
    const unsigned char *p = elf->map, *end = elf->map + elf->size;
    size_t n = strlen(markers[k].text);

    while ((p = memmem(p, (size_t)(end - p), markers[k].text, n)) != NULL) {
        if (!markers[k].path ||
            ((p == elf->map || p[-1] == '/' || p[-1] == '\0') && p + n < end && p[n] == '\0')) {
            return 1;
        }
        p++;
    }
    return 0;
}

int
sslplugi_one_openssl(const sslplugi_elf *elf, char *why, size_t len)
{
    pthread_once(&host_once, find_host_libs);
    if (needs_other_openssl(elf, why, len) || exports_openssl(elf, why, len)) {
        return 0;
    }
    for (size_t k = 0; k < sizeof(markers) / sizeof(markers[0]); k++) {
        if (has_marker(elf, k)) {
            snprintf(why, len, "it contains a copy of %s instead of importing the process's %s",
                     markers[k].means, markers[k].instead->soname);
            return 0;
        }
    }
    return 1;
}
