/* Shared vocabulary of the core: status codes, error messages, allocation. */
#ifndef DUTYDESK_COMMON_H
#define DUTYDESK_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef ENABLE_NLS
#include <libintl.h>
#define _(s) gettext(s)
#else
#define _(s) (s)
#endif
#define N_(s) (s)

#define DD_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Status codes: X(enum, exit code) */
#define DD_STATUS_LIST(X)   \
	X(DD_OK, 0)         \
	X(DD_EINVAL, 1)     /* bad input from the user or a file */ \
	X(DD_ENOTFOUND, 1)  /* the named thing does not exist */ \
	X(DD_ESTATE, 1)     /* not allowed from the current status */ \
	X(DD_ESTALE, 1)     /* the row changed since the caller read it */ \
	X(DD_EEXIST, 1)     /* already stored (a message seen before) */ \
	X(DD_EPERM, 1)      /* the actor's role does not allow it */ \
	X(DD_EBUSY, 1)      /* the database stayed locked */ \
	X(DD_ENEWER, 1)     /* database from a newer dutydesk */ \
	X(DD_EDB, 1)        /* any other database failure */ \
	X(DD_EIO, 1)        /* file or system failure */

typedef enum {
#define X(name, code) name,
	DD_STATUS_LIST(X)
#undef X
} dd_status;

/* What went wrong, in words for the user. */
typedef struct dd_err {
	dd_status status;
	char msg[512];
} dd_err;

/* Records the message in err (may be NULL) and returns st. */
dd_status dd_fail(dd_err *err, dd_status st, const char *fmt, ...) DD_PRINTF(3, 4);
const char *dd_status_name(dd_status st);

/* Aborting allocators: allocation failure prints a message and exits. */
void *dd_xmalloc(size_t n);
void *dd_xcalloc(size_t n, size_t size);
void *dd_xrealloc(void *p, size_t n);
char *dd_xstrdup(const char *s);
char *dd_xstrndup(const char *s, size_t n);
char *dd_xasprintf(const char *fmt, ...) DD_PRINTF(1, 2);

/* Appends one zeroed element of size bytes to the array *arr of *n
 * elements (capacity *cap) and returns it. */
void *dd_vec_push(void *arr, size_t *n, size_t *cap, size_t size);

/* Growable byte buffer, always NUL-terminated. */
typedef struct dd_buf {
	char *data;
	size_t len, cap;
} dd_buf;
void dd_buf_add(dd_buf *b, const void *p, size_t n);
void dd_buf_adds(dd_buf *b, const char *s);
void dd_buf_addc(dd_buf *b, char c);
void dd_buf_printf(dd_buf *b, const char *fmt, ...) DD_PRINTF(2, 3);
void dd_buf_vprintf(dd_buf *b, const char *fmt, va_list ap) DD_PRINTF(2, 0);
void dd_buf_reset(dd_buf *b);
void dd_buf_free(dd_buf *b);
/* Hands the contents to the caller (who frees them) and empties b. */
char *dd_buf_take(dd_buf *b);

#endif
