/*
 * abi_cpp: an ABI plugin written in C++.  Only the entry point and the
 * query function have C linkage; the state is a C++ object holding a
 * std::string and a std::vector, made with new and deleted by fini.  No
 * exception crosses into the host: each callback catches everything and
 * turns it into that callback's failure value.
 *
 * Config: {"tag": "t", "depth": "n"}.  "depth" goes through std::stoi, so a
 * non-number makes init fail through a caught exception.
 * abi_cpp_count("inits" | "finis" | "verify" | "info") and
 * abi_cpp_last(buf, len) (the subjects the last finished state saw,
 * newline-separated) let the tests look inside.
 */
#include <cstdio>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <sslplug/plugin.h>

extern "C" {
SSLPLUG_PLUGIN_EXPORT int abi_cpp_count(const char *what) noexcept;
SSLPLUG_PLUGIN_EXPORT int abi_cpp_last(char *buf, size_t len) noexcept;
}

namespace {

struct CppState {
    const sslplug_services *services = nullptr;
    sslplug_handle *handle = nullptr;
    std::string tag;
    int depth = -1;
    std::vector<std::string> subjects;
};

int g_inits, g_finis, g_verify, g_info;
std::string g_last;

std::string
json_string(const std::string &json, const std::string &key)
{
    const std::string pattern = "\"" + key + "\":\"";
    const std::string::size_type at = json.find(pattern);

    if (at == std::string::npos) {
        return std::string();
    }
    const std::string::size_type start = at + pattern.size();
    const std::string::size_type end = json.find('"', start);
    if (end == std::string::npos) {
        throw std::runtime_error("unterminated string for " + key);
    }
    return json.substr(start, end - start);
}

std::string
subject_of(X509_STORE_CTX *store)
{
    X509 *cert = X509_STORE_CTX_get_current_cert(store);
    char buf[256] = "(none)";

    if (cert != nullptr) {
        X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof(buf));
    }
    return std::string(buf);
}

} // namespace

extern "C" {

static int
cpp_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
         void **state) noexcept
{
    CppState *s = nullptr;

    try {
        const std::string json(config_json);
        const std::string depth = json_string(json, "depth");

        s = new CppState;
        s->services = services;
        s->handle = handle;
        s->tag = json_string(json, "tag");
        if (!depth.empty()) {
            s->depth = std::stoi(depth);
        }
        s->subjects.reserve(4);
    } catch (const std::invalid_argument &e) {
        delete s;
        services->error(handle, "/depth", "not a number: %s", e.what());
        return 0;
    } catch (const std::exception &e) {
        delete s;
        services->error(handle, nullptr, "%s", e.what());
        return 0;
    } catch (...) {
        delete s;
        services->error(handle, nullptr, "unknown exception");
        return 0;
    }
    g_inits++;
    *state = s;
    return 1;
}

static void
cpp_fini(void *state) noexcept
{
    CppState *s = static_cast<CppState *>(state);

    g_finis++;
    try {
        std::string all;
        for (const std::string &subject : s->subjects) {
            all += subject;
            all += '\n';
        }
        g_last = all;
    } catch (...) {
        g_last.clear();
    }
    delete s;
}

static int
cpp_verify(void *state, int ok, X509_STORE_CTX *store) noexcept
{
    CppState *s = static_cast<CppState *>(state);

    try {
        s->subjects.push_back(subject_of(store));
        g_verify++;
        return ok;
    } catch (...) {
        return 0; /* cannot record: reject rather than let it escape */
    }
}

static void
cpp_info(void *state, const SSL *ssl, int where, int ret) noexcept
{
    (void)state;
    (void)ssl;
    (void)where;
    (void)ret;
    g_info++;
}

/*
 * C++17 has no designated initialisers: start from a value-initialised
 * descriptor (members added by later minor versions stay zero) and name
 * each member set.
 */
static sslplug_plugin
make_descriptor() noexcept
{
    sslplug_plugin d{};

    d.magic = SSLPLUG_PLUGIN_MAGIC;
    d.abi_major = SSLPLUG_ABI_MAJOR;
    d.abi_minor = SSLPLUG_ABI_MINOR;
    d.size = static_cast<uint32_t>(sizeof(sslplug_plugin));
    d.name = "abi_cpp";
    d.version = "1.0";
    d.init = cpp_init;
    d.fini = cpp_fini;
    d.verify = cpp_verify;
    d.info = cpp_info;
    return d;
}

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    static const sslplug_plugin descriptor = make_descriptor();

    return &descriptor;
}

int
abi_cpp_count(const char *what) noexcept
{
    if (std::strcmp(what, "inits") == 0) {
        return g_inits;
    }
    if (std::strcmp(what, "finis") == 0) {
        return g_finis;
    }
    if (std::strcmp(what, "verify") == 0) {
        return g_verify;
    }
    if (std::strcmp(what, "info") == 0) {
        return g_info;
    }
    return -1;
}

int
abi_cpp_last(char *buf, size_t len) noexcept
{
    if (len == 0 || g_last.size() >= len) {
        return 0;
    }
    std::memcpy(buf, g_last.c_str(), g_last.size() + 1);
    return 1;
}

} /* extern "C" */
