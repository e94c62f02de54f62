/*
 * The built-in plugin directory, where bare plugin names are looked up last.
 *
 * Which directory that is depends on how this code reached the process,
 * which only the build knows (linkage_shared.c or linkage_static.c,
 * generated from cmake/linkage.c.in):
 *
 *   libsslplug.so in its build tree    the plugins built there
 *   libsslplug.so installed            LIBDIR/sslplug/plugins beside the
 *                                      library, so any prefix finds its own
 *   libsslplug.a, linked into another  the directory it was installed with:
 *   program or library                 that program can be anywhere, so
 *                                      nothing about where it runs tells
 */
#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#ifndef SSLPLUG_BUILD_TREE
#error "SSLPLUG_BUILD_TREE must be defined by the build"
#endif

/* Defined by the generated linkage file of libsslplug.so or of libsslplug.a. */
extern const int sslplugi_linked_statically;
extern const char sslplugi_install_plugin_dir[];

static char builtin_dir[4096];
static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;

static void
find_builtin_dir(void)
{
    static const char build_tree[] = SSLPLUG_BUILD_TREE "/";
    void *self = (void *)(uintptr_t)sslplug_builtin_plugin_dir;
    const char *slash;
    Dl_info info;

    snprintf(builtin_dir, sizeof(builtin_dir), "%s", sslplugi_install_plugin_dir);
    /*
     * Statically linked, dladdr names the program (or library) this code was
     * linked into, whose directory has no sslplug/plugins of its own.
     */
    if (sslplugi_linked_statically) {
        return;
    }
    if (dladdr(self, &info) == 0 || info.dli_fname == NULL || info.dli_fname[0] != '/') {
        return;
    }
    if (strncmp(info.dli_fname, build_tree, sizeof(build_tree) - 1) == 0) {
        snprintf(builtin_dir, sizeof(builtin_dir), "%s", SSLPLUG_BUILD_PLUGIN_DIR);
    } else if ((slash = strrchr(info.dli_fname, '/')) != NULL) {
        char dir[4096], real[PATH_MAX];

        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - info.dli_fname), info.dli_fname);
        snprintf(builtin_dir, sizeof(builtin_dir), "%s/sslplug/plugins",
                 realpath(dir, real) != NULL ? real : dir);
    }
}

const char *
sslplug_builtin_plugin_dir(void)
{
    pthread_once(&builtin_once, find_builtin_dir);
    return builtin_dir;
}
