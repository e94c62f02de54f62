/*
 * raw_example: a "raw" plugin.  It knows nothing of sslplug: it exports
 * plain functions with exactly the signatures OpenSSL's callback setters
 * take, the way code written for OpenSSL directly already looks.  sslplug
 * binds one of them by symbol name ({"plugin": ..., "symbol": ...}).
 *
 * Written in C++ to show that the language does not matter as long as the
 * exports have C linkage and no exception crosses into C: every export is
 * noexcept and turns any exception into that callback's failure value.
 */
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#define RAW_EXPORT __attribute__((visibility("default")))

extern "C" {
RAW_EXPORT int raw_example_password(char *buf, int size, int rwflag) noexcept;
RAW_EXPORT int raw_example_verify(int ok, X509_STORE_CTX *store) noexcept;
RAW_EXPORT void raw_example_info(const SSL *ssl, int where, int ret) noexcept;
RAW_EXPORT int raw_example_client_cert(SSL *ssl, X509 **cert, EVP_PKEY **pkey) noexcept;
}

namespace {

/* Standard library functions may not be named as template arguments. */
struct FileCloser {
    void
    operator()(std::FILE *f) const noexcept
    {
        std::fclose(f);
    }
};

/* unique_ptr deleter calling an OpenSSL free function. */
template <auto Free> struct OsslFree {
    template <typename T>
    void
    operator()(T *p) const noexcept
    {
        (void)Free(p);
    }
};

using FilePtr = std::unique_ptr<std::FILE, FileCloser>;
using BioPtr = std::unique_ptr<BIO, OsslFree<BIO_free>>;
using X509Ptr = std::unique_ptr<X509, OsslFree<X509_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, OsslFree<EVP_PKEY_free>>;

std::string
name_text(const X509_NAME *name)
{
    if (name == nullptr) {
        return "(none)";
    }
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) {
        return "(unprintable)";
    }
    char *data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    if (len <= 0 || data == nullptr) {
        return "";
    }
    return std::string(data, static_cast<std::size_t>(len));
}

FilePtr
open_env_file(const char *variable)
{
    const char *path = std::getenv(variable);
    if (path == nullptr || *path == '\0') {
        return FilePtr();
    }
    return FilePtr(std::fopen(path, "r"));
}

/* An encrypted key is unreadable here rather than a terminal prompt. */
int
no_password(char *, int, int, void *)
{
    return -1;
}

void
say(const std::string &text)
{
    std::fprintf(stderr, "raw_example %s\n", text.c_str());
}

} /* namespace */

int
raw_example_password(char *buf, int size, int rwflag) noexcept
{
    (void)rwflag;
    const char *value = std::getenv("SSLPLUG_RAW_PASSWORD");
    if (value == nullptr || size <= 0) {
        return -1;
    }
    std::size_t len = std::strlen(value);
    if (len > static_cast<std::size_t>(size) - 1) {
        return -1;
    }
    std::memcpy(buf, value, len + 1);
    return static_cast<int>(len);
}

int
raw_example_verify(int ok, X509_STORE_CTX *store) noexcept
{
    try {
        X509 *cert = X509_STORE_CTX_get_current_cert(store);
        say("verify: depth=" + std::to_string(X509_STORE_CTX_get_error_depth(store)) +
            " ok=" + std::to_string(ok) +
            " subject=" + name_text(cert != nullptr ? X509_get_subject_name(cert) : nullptr));
        return ok;
    } catch (...) {
        /* Fail closed: a verdict we could not look at is a rejection. */
        return 0;
    }
}

void
raw_example_info(const SSL *ssl, int where, int ret) noexcept
{
    try {
        std::string side = SSL_is_server(ssl) ? "server" : "client";
        if (where & SSL_CB_HANDSHAKE_START) {
            say("info: " + side + " handshake start");
        }
        if (where & SSL_CB_HANDSHAKE_DONE) {
            const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl);
            say("info: " + side + " handshake done " + SSL_get_version(ssl) + " " +
                (cipher != nullptr ? SSL_CIPHER_get_name(cipher) : "(no cipher)"));
        }
        if (where & SSL_CB_ALERT) {
            say("info: " + side + " alert " + ((where & SSL_CB_READ) ? "read " : "write ") +
                SSL_alert_type_string_long(ret) + ": " + SSL_alert_desc_string_long(ret));
        }
    } catch (...) {
        /* Only a log line is lost. */
    }
}

int
raw_example_client_cert(SSL *ssl, X509 **cert, EVP_PKEY **pkey) noexcept
{
    (void)ssl;
    try {
        FilePtr cert_file = open_env_file("SSLPLUG_RAW_CERT");
        FilePtr key_file = open_env_file("SSLPLUG_RAW_KEY");
        if (!cert_file || !key_file) {
            return 0;
        }
        /* Our own errors must not be left for the application to find. */
        ERR_set_mark();
        X509Ptr x(PEM_read_X509(cert_file.get(), nullptr, nullptr, nullptr));
        PkeyPtr k(PEM_read_PrivateKey(key_file.get(), nullptr, no_password, nullptr));
        bool usable = x && k && X509_check_private_key(x.get(), k.get()) == 1;
        ERR_pop_to_mark();
        if (!usable) {
            return 0;
        }
        *cert = x.release();
        *pkey = k.release();
        return 1;
    } catch (...) {
        return 0;
    }
}
