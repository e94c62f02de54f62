/*
 * insp_marker: a raw plugin whose ELF constructor creates the file named by
 * $SSLPLUG_TEST_MARKER, so a test can tell whether anything ran its code.
 * `sslplug inspect` must describe it (its exported function) from the file
 * alone.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/x509_vfy.h>

__attribute__((visibility("default"))) int insp_marker_verify(int ok, X509_STORE_CTX *store);

__attribute__((constructor)) static void
insp_marker_ran(void)
{
    const char *path = getenv("SSLPLUG_TEST_MARKER");
    int fd;

    if (path != NULL && (fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) >= 0) {
        close(fd);
    }
}

int
insp_marker_verify(int ok, X509_STORE_CTX *store)
{
    (void)store;
    return ok;
}
