/*
 * sslplug inspect: what a plugin file offers.  The descriptor is read as it
 * is, whatever its version, so an incompatible plugin can still be described.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "sslplug/plugin.h"

#include "cli.h"

static void
print_function(const char *name, void *arg)
{
    (void)arg;
    printf("  %s\n", name);
}

static void
describe(const sslplug_plugin *d)
{
    sslplug_plugin view;
    size_t n = d->size < sizeof(view) ? d->size : sizeof(view);

    printf("kind: sslplug plugin\n");
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
    printf("types:%s%s%s%s%s%s%s\n", view.password != NULL ? " password" : "",
           view.verify != NULL ? " verify" : "", view.info != NULL ? " info" : "",
           view.client_cert != NULL ? " client_cert" : "", view.cert != NULL ? " cert" : "",
           view.servername != NULL ? " servername" : "", view.keylog != NULL ? " keylog" : "");
    if (view.info != NULL && view.info_events != 0) {
        printf("info events: 0x%04x\n", view.info_events);
    }
}

/* The value to paste into an entry's "sha256" pin. */
static int
print_sha256(const char *path)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    unsigned char buf[16384];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    FILE *f = fopen(path, "rb");
    size_t n;
    int ok = ctx != NULL && f != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);

    while (ok && (n = fread(buf, 1, sizeof(buf), f)) > 0) {
        ok = EVP_DigestUpdate(ctx, buf, n);
    }
    ok = ok && !ferror(f) && EVP_DigestFinal_ex(ctx, md, &len);
    if (ok) {
        printf("sha256: ");
        for (unsigned i = 0; i < len; i++) {
            printf("%02x", md[i]);
        }
        printf("\n");
    } else {
        fprintf(stderr, "sslplug inspect: cannot digest %s\n", path);
    }
    EVP_MD_CTX_free(ctx);
    if (f != NULL) {
        fclose(f);
    }
    return ok;
}

int
cli_inspect(int argc, char **argv)
{
    char why[256];
    char *path = NULL;
    void *dl = NULL, *sym;
    int rc = CLI_FAIL, sha = 0;
    const char *arg = NULL;

    if (cli_wants_help(argc, argv)) {
        printf("usage: sslplug inspect [--sha256] PLUGIN\n\n"
               "PLUGIN is a path, or a bare name looked up in SSLPLUG_PLUGIN_PATH and the\n"
               "built-in plugin directory (%s).\n"
               "Prints the ABI version, name, version and callback types of an sslplug plugin,\n"
               "or the functions a plain shared object exports for binding with \"symbol\".\n"
               "--sha256 prints only the file's SHA-256, the value of an entry's \"sha256\" pin.\n",
               sslplug_builtin_plugin_dir());
        return CLI_OK;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--sha256") == 0) {
            sha = 1;
        } else if (arg == NULL && argv[i][0] != '-') {
            arg = argv[i];
        } else {
            arg = NULL;
            break;
        }
    }
    if (arg == NULL) {
        fprintf(stderr, "usage: sslplug inspect [--sha256] PLUGIN\n");
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
    if (sha) {
        rc = print_sha256(path) ? CLI_OK : CLI_FAIL;
        goto done;
    }
    printf("file: %s\n", path);
    if ((dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
        fprintf(stderr, "sslplug inspect: %s\n", dlerror());
        goto done;
    }
    if ((sym = dlsym(dl, SSLPLUG_PLUGIN_ENTRY_SYMBOL)) != NULL) {
        sslplug_plugin_entry_fn entry;
        const sslplug_plugin *d;

        memcpy(&entry, &sym, sizeof(entry));
        if ((d = entry()) == NULL) {
            printf("kind: sslplug plugin\ndescriptor: NULL (unusable)\n");
        } else {
            describe(d);
        }
        rc = CLI_OK;
        goto done;
    }
    printf("kind: raw (no %s); exported functions, bindable with \"symbol\" if their\n"
           "signature is one of OpenSSL's callback types (a binary does not record it):\n",
           SSLPLUG_PLUGIN_ENTRY_SYMBOL);
    if (cli_elf_functions(path, print_function, NULL, why, sizeof(why)) < 0) {
        fprintf(stderr, "sslplug inspect: %s: %s\n", path, why);
        goto done;
    }
    rc = CLI_OK;
done:
    if (dl != NULL) {
        dlclose(dl);
    }
    free(path);
    return rc;
}
