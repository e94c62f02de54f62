/*
 * sslplug_plugin_examine: what the loader learns about a plugin file before
 * loading it, for tools (sslplug inspect) that must not run plugin code.
 * The same file checks, ELF reader and one-OpenSSL verdict as the loader.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "elf.h"
#include "internal.h"

/* The facts and the storage behind their const pointers. */
typedef struct facts_owner {
    sslplug_plugin_facts pub; /* first: sslplug_plugin_facts_free finds the owner from it */
    char *file;
    char **functions;
    char **needed;
    char *openssl;
} facts_owner;

/* The libraries elf needs (DT_NEEDED), NULL-terminated; NULL when out of memory. */
static char **
collect_needed(const sslplugi_elf *elf)
{
    char **names = calloc(elf->dyn_count + 1, sizeof(*names));
    size_t n = 0;

    for (size_t i = 0; names != NULL && i < elf->dyn_count; i++) {
        const char *name = sslplugi_elf_str(elf, elf->dyn[i].d_un.d_val);

        if (elf->dyn[i].d_tag == DT_NEEDED && name != NULL && (names[n++] = strdup(name)) == NULL) {
            goto fail;
        }
    }
    return names;
fail:
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
    return NULL;
}

/* The functions elf exports, NULL-terminated; NULL when out of memory. */
static char **
collect_functions(const sslplugi_elf *elf)
{
    char **names = calloc(elf->sym_count + 1, sizeof(*names));
    size_t n = 0;

    for (size_t i = 0; names != NULL && i < elf->sym_count; i++) {
        const Elf64_Sym *s = &elf->syms[i];
        const char *name = sslplugi_elf_str(elf, s->st_name);

        /* _init and _fini are the linker's, not callbacks. */
        if (name == NULL || !sslplugi_elf_is_export(s) || !sslplugi_elf_is_function(s) ||
            strcmp(name, "_init") == 0 || strcmp(name, "_fini") == 0) {
            continue;
        }
        if ((names[n++] = strdup(name)) == NULL) {
            goto fail;
        }
    }
    return names;
fail:
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
    return NULL;
}

static void
free_names(char **names)
{
    for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
        free(names[i]);
    }
    free(names);
}

/* Facts from the open, checked file; NULL when out of memory. */
static facts_owner *
facts_from(const char *path, const sslplugi_elf *elf)
{
    const Elf64_Sym *entry = sslplugi_elf_export(elf, SSLPLUG_PLUGIN_ENTRY_SYMBOL);
    facts_owner *f = calloc(1, sizeof(*f));
    char why[512];
    int own_openssl = !sslplugi_one_openssl(elf, why, sizeof(why));

    if (f == NULL) {
        return NULL;
    }
    f->file = strdup(path);
    f->functions = collect_functions(elf);
    f->needed = collect_needed(elf);
    f->openssl = own_openssl ? strdup(why) : NULL;
    if (f->file == NULL || f->functions == NULL || f->needed == NULL ||
        (own_openssl && f->openssl == NULL)) {
        sslplug_plugin_facts_free(&f->pub);
        return NULL;
    }
    f->pub.file = f->file;
    f->pub.entry = entry == NULL ? 0 : sslplugi_elf_is_function(entry) ? 1 : -1;
    /* Adding const at both levels: the caller reads, the owner frees. */
    f->pub.functions = (const char *const *)f->functions;
    f->pub.needed = (const char *const *)f->needed;
    f->pub.openssl = f->openssl;
    return f;
}

sslplug_plugin_facts *
sslplug_plugin_examine(const char *path, sslplug_error *err)
{
    sslplugi_file_rules rules = {1, NULL, 0};
    sslplugi_elf elf = {0};
    facts_owner *f = NULL;
    char *abs = NULL, cwd[PATH_MAX], why[256];
    struct stat st;
    int fd = -1;

    sslplugi_error_clear(err);
    if (path == NULL || path[0] == '\0') {
        sslplugi_error_set(err, SSLPLUG_E_ARGUMENT, NULL, "no plugin file given");
        return NULL;
    }
    sslplugi_error_set_source(err, path);
    if (path[0] != '/' && getcwd(cwd, sizeof(cwd)) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_IO, NULL, "cannot resolve %s: %s", path, strerror(errno));
        return NULL;
    }
    if ((abs = path[0] == '/' ? strdup(path) : sslplugi_path_join(cwd, path)) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, NULL, "out of memory");
        return NULL;
    }
    if ((fd = sslplugi_file_open_checked(abs, &rules, NULL, &st, err)) < 0) {
        goto done;
    }
    if (!sslplugi_elf_open(fd, &elf, why, sizeof(why))) {
        sslplugi_error_set(err, SSLPLUG_E_PLUGIN_LOAD, NULL, "cannot load plugin %s: %s", abs, why);
        goto done;
    }
    if ((f = facts_from(path, &elf)) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, NULL, "out of memory");
        goto done;
    }
    if (!EVP_Digest(elf.map, elf.size, f->pub.sha256, NULL, EVP_sha256(), NULL)) {
        sslplugi_error_set(err, SSLPLUG_E_IO, NULL, "cannot digest %s", abs);
        sslplug_plugin_facts_free(&f->pub);
        f = NULL;
    }
done:
    sslplugi_elf_close(&elf);
    if (fd >= 0) {
        close(fd);
    }
    free(abs);
    return f != NULL ? &f->pub : NULL;
}

void
sslplug_plugin_facts_free(sslplug_plugin_facts *facts)
{
    facts_owner *f = (facts_owner *)(void *)facts;

    if (f == NULL) {
        return;
    }
    free(f->file);
    free_names(f->functions);
    free_names(f->needed);
    free(f->openssl);
    free(f);
}
