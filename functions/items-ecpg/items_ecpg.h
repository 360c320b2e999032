/* The C interface of items_ecpg.pgc (embedded SQL, precompiled by ecpg at build time). */
#ifndef ITEMS_ECPG_H
#define ITEMS_ECPG_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ITEMS_ECPG_MAX_ROWS 1000

struct items_ecpg_row {
    char id[37];
    char name[256];
    char price[32];
    char created_at[48];
};

/* 0 on success; -1 with a message in err. target: tcp:postgresql://host:port/db[?opts] */
int items_ecpg_connect(const char* target, const char* user, const char* password, char* err,
                       size_t errlen);
void items_ecpg_disconnect(void);
/* Number of rows written to rows (up to ITEMS_ECPG_MAX_ROWS), or -1 with a message in err. */
int items_ecpg_by_category(int category, int limit, struct items_ecpg_row* rows, char* err,
                           size_t errlen);
int items_ecpg_by_id(const char* id, struct items_ecpg_row* row, char* err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
