/*
 * A library that calls itself libcrypto.so.1.1 (its soname), for
 * sec_other_libcrypto to depend on: a plugin asking for another OpenSSL
 * than the process's.  It is never loaded; the host refuses the plugin
 * from the name alone.
 */
__attribute__((visibility("default"))) unsigned long sec_stub_version(void);

unsigned long
sec_stub_version(void)
{
    return 0x1010100fUL;
}
