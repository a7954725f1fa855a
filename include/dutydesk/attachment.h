/* Media attachments of reports: rows written 'pending' by the inbound path
 * (with the messenger's media id); the gateway downloads and stores them. */
#ifndef DUTYDESK_ATTACHMENT_H
#define DUTYDESK_ATTACHMENT_H

#include "dutydesk/db.h"

/* An attachment claimed for download. */
typedef struct dd_media_job {
	int64_t id, report;
	int attempts;       /* including the one now starting */
	char *channel;      /* the report's: "whatsapp" or "telegram" */
	char *media_id;     /* WhatsApp media id or Telegram file_id */
	char *mime;         /* may be NULL */
	char *sha256;       /* lowercase hex when the platform gave it, else NULL */
} dd_media_job;

/*
 * Claims up to limit attachments in state 'pending' whose next_at is NULL
 * or <= now and that have a media id, oldest first: in one transaction each
 * gets attempts + 1 and next_at = now + lease_ms, so that a download cut by
 * a crash is tried again after the lease (the state stays 'pending' all
 * along, which the console shows as "downloading"). Free *out with
 * dd_media_job_list_free.
 */
dd_status dd_attachment_claim_due(dd_db *db, int64_t now, int64_t lease_ms, size_t limit,
				  dd_media_job **out, size_t *n, dd_err *err);
void dd_media_job_list_free(dd_media_job **list, size_t n);

/* Downloaded and verified: 'stored' with path (relative to the media
 * folder, "ab/abcdef....jpg"), size, sha256 (hex) and the mime type when
 * the row had none. */
dd_status dd_attachment_mark_stored(dd_db *db, int64_t id, const char *path, int64_t size,
				    const char *sha256, const char *mime, dd_err *err);
/* A failed download to try again at next_at (state stays 'pending'). */
dd_status dd_attachment_mark_retry(dd_db *db, int64_t id, int64_t next_at, const char *error,
				   dd_err *err);
/* A permanent failure (too large, gone, too many attempts). */
dd_status dd_attachment_mark_failed(dd_db *db, int64_t id, const char *error, dd_err *err);

/* How many attachments are still 'pending' (for metrics and tests). */
dd_status dd_attachment_count_pending(dd_db *db, int64_t *n, dd_err *err);

#endif
