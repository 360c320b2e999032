/* GSSAPI and LDAP entry points for a fully static libpq.
 *
 * Debian's libpq.a is built --with-gssapi --with-ldap, but Debian ships no static libgssapi_krb5
 * or libldap, so a -static link has undefined gss_* and ldap_* symbols. These stubs satisfy them
 * with "not available" answers, which is exactly how a libpq built without GSSAPI/LDAP behaves
 * for the paths that matter:
 *  - gss_acquire_cred fails, so libpq sees no Kerberos credential cache: with gssencmode=prefer
 *    (the default) it goes on without GSS encryption; a server demanding GSS auth gets an error;
 *  - ldap_init returns NULL, so an ldap:// service lookup in pg_service.conf fails cleanly.
 * Everything else (TCP, SSL via static OpenSSL, SCRAM-SHA-256, MD5) is untouched.
 * Linked into the static profile only; shared/bundled artifacts use the real libraries. */
#include <stddef.h>

typedef unsigned int OM_uint32;
typedef struct {
    size_t length;
    void* value;
} gss_buffer_desc_stub;

#define GSS_S_FAILURE (13u << 16)

void* GSS_C_NT_HOSTBASED_SERVICE = NULL;

static OM_uint32 gss_unavailable(OM_uint32* minor) {
    if (minor) *minor = 0;
    return GSS_S_FAILURE;
}

OM_uint32 gss_acquire_cred(OM_uint32* minor, void* name, OM_uint32 time_req, void* mechs, int usage,
                           void** cred, void** actual_mechs, OM_uint32* time_rec) {
    (void)name;
    (void)time_req;
    (void)mechs;
    (void)usage;
    (void)actual_mechs;
    (void)time_rec;
    if (cred) *cred = NULL;
    return gss_unavailable(minor);
}
OM_uint32 gss_release_cred(OM_uint32* minor, void** cred) {
    if (cred) *cred = NULL;
    if (minor) *minor = 0;
    return 0;
}
OM_uint32 gss_import_name(OM_uint32* minor, void* buf, void* type, void** name) {
    (void)buf;
    (void)type;
    if (name) *name = NULL;
    return gss_unavailable(minor);
}
OM_uint32 gss_release_name(OM_uint32* minor, void** name) {
    if (name) *name = NULL;
    if (minor) *minor = 0;
    return 0;
}
OM_uint32 gss_init_sec_context(OM_uint32* minor, void* cred, void** ctx, void* target, void* mech,
                               OM_uint32 flags, OM_uint32 time_req, void* bindings, void* input,
                               void** actual_mech, gss_buffer_desc_stub* output,
                               OM_uint32* ret_flags, OM_uint32* time_rec) {
    (void)cred;
    (void)ctx;
    (void)target;
    (void)mech;
    (void)flags;
    (void)time_req;
    (void)bindings;
    (void)input;
    (void)actual_mech;
    (void)ret_flags;
    (void)time_rec;
    if (output) {
        output->length = 0;
        output->value = NULL;
    }
    return gss_unavailable(minor);
}
OM_uint32 gss_delete_sec_context(OM_uint32* minor, void** ctx, gss_buffer_desc_stub* output) {
    if (ctx) *ctx = NULL;
    if (output) {
        output->length = 0;
        output->value = NULL;
    }
    if (minor) *minor = 0;
    return 0;
}
OM_uint32 gss_release_buffer(OM_uint32* minor, gss_buffer_desc_stub* buf) {
    if (buf) {
        buf->length = 0;
        buf->value = NULL;
    }
    if (minor) *minor = 0;
    return 0;
}
/* libpq loops while *message_context != 0: answer one empty message. */
OM_uint32 gss_display_status(OM_uint32* minor, OM_uint32 status, int type, void* mech,
                             OM_uint32* message_context, gss_buffer_desc_stub* out) {
    (void)status;
    (void)type;
    (void)mech;
    if (message_context) *message_context = 0;
    if (out) {
        out->length = 0;
        out->value = NULL;
    }
    if (minor) *minor = 0;
    return 0;
}
OM_uint32 gss_wrap(OM_uint32* minor, void* ctx, int conf, OM_uint32 qop, void* in, int* conf_state,
                   void* out) {
    (void)ctx;
    (void)conf;
    (void)qop;
    (void)in;
    (void)conf_state;
    (void)out;
    return gss_unavailable(minor);
}
OM_uint32 gss_unwrap(OM_uint32* minor, void* ctx, void* in, void* out, int* conf_state,
                     OM_uint32* qop) {
    (void)ctx;
    (void)in;
    (void)out;
    (void)conf_state;
    (void)qop;
    return gss_unavailable(minor);
}
OM_uint32 gss_wrap_size_limit(OM_uint32* minor, void* ctx, int conf, OM_uint32 qop, OM_uint32 req,
                              OM_uint32* max) {
    (void)ctx;
    (void)conf;
    (void)qop;
    (void)req;
    if (max) *max = 0;
    return gss_unavailable(minor);
}

/* LDAP: ldap_init() fails, so libpq reports "could not create LDAP structure" and never calls
 * the rest; they answer LDAP_OTHER / NULL for safety. */
#define LDAP_OTHER 0x50
void* ldap_init(const char* host, int port) {
    (void)host;
    (void)port;
    return NULL;
}
int ldap_set_option(void* ld, int option, const void* value) {
    (void)ld;
    (void)option;
    (void)value;
    return LDAP_OTHER;
}
int ldap_simple_bind(void* ld, const char* who, const char* passwd) {
    (void)ld;
    (void)who;
    (void)passwd;
    return -1;
}
int ldap_search_st(void* ld, const char* base, int scope, const char* filter, char** attrs,
                   int attrsonly, void* timeout, void** res) {
    (void)ld;
    (void)base;
    (void)scope;
    (void)filter;
    (void)attrs;
    (void)attrsonly;
    (void)timeout;
    if (res) *res = NULL;
    return LDAP_OTHER;
}
int ldap_result(void* ld, int msgid, int all, void* timeout, void** res) {
    (void)ld;
    (void)msgid;
    (void)all;
    (void)timeout;
    if (res) *res = NULL;
    return -1;
}
int ldap_count_entries(void* ld, void* res) {
    (void)ld;
    (void)res;
    return 0;
}
void* ldap_first_entry(void* ld, void* res) {
    (void)ld;
    (void)res;
    return NULL;
}
void** ldap_get_values_len(void* ld, void* entry, const char* attr) {
    (void)ld;
    (void)entry;
    (void)attr;
    return NULL;
}
void ldap_value_free_len(void** vals) {
    (void)vals;
}
int ldap_msgfree(void* res) {
    (void)res;
    return 0;
}
int ldap_unbind(void* ld) {
    (void)ld;
    return 0;
}
char* ldap_err2string(int err) {
    (void)err;
    return (char*)"LDAP support is not linked into this static binary";
}
