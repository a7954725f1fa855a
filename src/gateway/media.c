/*
 * Media download: a pending attachment's media id becomes a file under the
 * media folder, named by its SHA-256 ("ab/abcdef....jpg"), written to a
 * temporary file and renamed into place, so that a file that exists is
 * always whole. WhatsApp: GET {api_base}/{media_id} (bearer) gives the URL,
 * then GET the URL (bearer). Telegram: getFile gives file_path, then GET
 * {api_base}/file/bot{token}/{file_path}.
 */
#include <config.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "dutydesk/clock.h"
#include "sender_internal.h"

#define MEDIA_MAX_IN_FLIGHT 4
#define MEDIA_LEASE_MS (15 * 60 * 1000)
#define MEDIA_META_TIMEOUT_MS 30000
#define MEDIA_GET_TIMEOUT_MS (10 * 60 * 1000)
#define MEDIA_MAX_ATTEMPTS 8
#define MEDIA_BACKOFF_BASE_MS 2000
#define MEDIA_BACKOFF_CAP_MS (60 * 60 * 1000)

static const struct {
	const char *mime, *ext;
} exts[] = {
	{ "image/jpeg", "jpg" }, { "image/png", "png" }, { "image/webp", "webp" },
	{ "image/gif", "gif" }, { "video/mp4", "mp4" }, { "video/3gpp", "3gp" },
	{ "audio/ogg", "ogg" }, { "audio/mpeg", "mp3" }, { "audio/mp4", "m4a" },
	{ "audio/aac", "aac" }, { "audio/amr", "amr" }, { "application/pdf", "pdf" },
	{ "text/plain", "txt" },
};

static char *ext_for_mime(const char *mime)
{
	if (mime) {
		size_t n = strcspn(mime, "; ");
		for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
			if (strlen(exts[i].mime) == n && strncasecmp(mime, exts[i].mime, n) == 0)
				return dd_xstrdup(exts[i].ext);
	}
	return dd_xstrdup("bin");
}

/* The extension of a Telegram file_path ("photos/file_3.jpg"), if sane. */
static char *ext_for_path(const char *path, const char *mime)
{
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(slash ? slash : path, '.');
	if (dot && dot[1] && strlen(dot + 1) <= 8) {
		bool ok = true;
		for (const char *p = dot + 1; *p; p++)
			if (!isalnum((unsigned char)*p))
				ok = false;
		if (ok) {
			char *e = dd_xstrdup(dot + 1);
			for (char *p = e; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			return e;
		}
	}
	return ext_for_mime(mime);
}

static void mkdirs(const char *dir)
{
	char *d = dd_xstrdup(dir);
	for (char *p = d + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(d, 0750);
			*p = '/';
		}
	}
	mkdir(d, 0750);
	free(d);
}

/* A transient failure: try again later, or give up after enough tries. */
static void media_retry(gw_sender *s, const dd_media_job *m, const char *why)
{
	dd_err err = {0};
	dd_status st;
	if (m->attempts >= MEDIA_MAX_ATTEMPTS) {
		char msg[512];
		snprintf(msg, sizeof msg, _("gave up after %d attempts: %s"), m->attempts, why);
		st = dd_attachment_mark_failed(s->db, m->id, msg, &err);
		s->stats.media_failed++;
		gw_slog("attachment %lld failed: %s", (long long)m->id, msg);
	} else {
		int64_t wait = gw_backoff_ms(s, m->attempts, MEDIA_BACKOFF_BASE_MS, MEDIA_BACKOFF_CAP_MS);
		st = dd_attachment_mark_retry(s->db, m->id, dd_now_ms() + wait, why, &err);
		gw_slog("attachment %lld: retry in %lld ms (attempt %d): %s", (long long)m->id,
			(long long)wait, m->attempts, why);
	}
	if (st)
		gw_slog("attachment %lld: %s", (long long)m->id, err.msg);
}

static void media_fail(gw_sender *s, const dd_media_job *m, const char *why)
{
	dd_err err = {0};
	if (dd_attachment_mark_failed(s->db, m->id, why, &err))
		gw_slog("attachment %lld: %s", (long long)m->id, err.msg);
	s->stats.media_failed++;
	gw_slog("attachment %lld failed: %s", (long long)m->id, why);
}

/* Moves the job into a new transfer. */
static struct xfer *media_xfer(gw_sender *s, enum xfer_kind kind, int chan, const char *url,
			       long timeout, dd_media_job *m)
{
	struct xfer *x = gw_xfer_new(s, kind, chan, url, timeout);
	x->media = *m;
	memset(m, 0, sizeof *m);
	return x;
}

static void start(gw_sender *s, struct xfer *x)
{
	s->media_in_flight++;
	gw_xfer_start(s, x);
}

void gw_media_claim(gw_sender *s, int64_t now)
{
	int room = MEDIA_MAX_IN_FLIGHT - s->media_in_flight;
	if (room <= 0)
		return;
	dd_media_job *jobs;
	size_t n;
	dd_err err = {0};
	if (dd_attachment_claim_due(s->db, now, MEDIA_LEASE_MS, (size_t)room, &jobs, &n, &err)) {
		gw_slog("media: %s", err.msg);
		return;
	}
	const dd_config *cfg = s->cfg;
	for (size_t i = 0; i < n; i++) {
		dd_media_job *m = &jobs[i];
		bool wa = strcmp(m->channel, "whatsapp") == 0;
		bool tg = strcmp(m->channel, "telegram") == 0;
		if (!wa && !tg) {
			media_fail(s, m, _("no messenger to download it from"));
			continue;
		}
		if ((wa && !(cfg->wa_token && *cfg->wa_token)) || (tg && !(cfg->tg_token && *cfg->tg_token))) {
			media_retry(s, m, wa ? _("whatsapp token not configured")
					     : _("telegram token not configured"));
			continue;
		}
		char *url;
		struct xfer *x;
		if (wa) {
			char *id = curl_easy_escape(NULL, m->media_id, 0);
			url = dd_xasprintf("%s/%s", cfg->wa_api_base, id);
			curl_free(id);
			x = media_xfer(s, X_WA_MEDIA_META, CH_WHATSAPP, url, MEDIA_META_TIMEOUT_MS, m);
			gw_xfer_bearer(s, x);
		} else {
			char *id = curl_easy_escape(NULL, m->media_id, 0);
			url = dd_xasprintf("%s/bot%s/getFile?file_id=%s", cfg->tg_api_base,
					   cfg->tg_token, id);
			curl_free(id);
			x = media_xfer(s, X_TG_GETFILE, CH_TELEGRAM, url, MEDIA_META_TIMEOUT_MS, m);
		}
		explicit_bzero(url, strlen(url));
		free(url);
		start(s, x);
	}
	dd_media_job_list_free(&jobs, n);
}

static size_t on_file(char *data, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	if (x->got + (int64_t)len > x->limit) {
		x->too_large = true;
		return 0;
	}
	for (size_t off = 0; off < len;) {
		ssize_t w = write(x->fd, data + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return 0;
		}
		off += (size_t)w;
	}
	EVP_DigestUpdate(x->sha, data, len);
	x->got += (int64_t)len;
	return len;
}

/* Starts the download of url into a temporary file in the media folder. */
static void start_get(gw_sender *s, struct xfer *from, const char *url, bool bearer,
		      const char *mime, char *ext, const char *sha)
{
	const dd_config *cfg = s->cfg;
	if (s->draining) { /* stopping: the download waits for the next start */
		dd_err err = {0};
		if (dd_attachment_mark_retry(s->db, from->media.id, dd_now_ms(), NULL, &err))
			gw_slog("attachment %lld: %s", (long long)from->media.id, err.msg);
		free(ext);
		return;
	}
	struct xfer *x = media_xfer(s, X_MEDIA_GET, from->chan, url, MEDIA_GET_TIMEOUT_MS,
				    &from->media);
	x->ext = ext;
	x->mime = mime ? dd_xstrdup(mime) : x->media.mime ? dd_xstrdup(x->media.mime) : NULL;
	if (sha && *sha)
		x->expect_sha = dd_xstrdup(sha);
	mkdirs(cfg->media_dir);
	x->tmp_path = dd_xasprintf("%s/.download-XXXXXX", cfg->media_dir);
	x->fd = mkstemp(x->tmp_path);
	if (x->fd < 0) {
		char why[512];
		snprintf(why, sizeof why, _("cannot write in the media folder %s: %s"), cfg->media_dir,
			 strerror(errno));
		free(x->tmp_path);
		x->tmp_path = NULL;
		media_retry(s, &x->media, why);
		gw_xfer_free(s, x); /* never started */
		return;
	}
	x->sha = EVP_MD_CTX_new();
	EVP_DigestInit_ex(x->sha, EVP_sha256(), NULL);
	x->limit = cfg->max_media;
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, on_file);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)cfg->max_media);
	curl_easy_setopt(x->easy, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(x->easy, CURLOPT_MAXREDIRS, 3L);
	curl_easy_setopt(x->easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	if (bearer)
		gw_xfer_bearer(s, x);
	start(s, x);
}

static bool too_big(gw_sender *s, const dd_media_job *m, json_int_t size)
{
	if (size <= 0 || size <= s->cfg->max_media)
		return false;
	char why[256];
	snprintf(why, sizeof why, _("too large: %lld bytes (max_media is %ld)"), (long long)size,
		 s->cfg->max_media);
	media_fail(s, m, why);
	return true;
}

/* The answer of an API call (not a download) that failed: why, and whether
 * to try again. */
static bool api_failed(gw_sender *s, struct xfer *x, int rc, long http, char *why, size_t size)
{
	if (rc != CURLE_OK) {
		char e[CURL_ERROR_SIZE + 64];
		gw_xfer_error(s, x, rc, e, sizeof e);
		snprintf(why, size, _("network: %s"), e);
		return true;
	}
	snprintf(why, size, _("HTTP %ld from the %s API"), http,
		 x->chan == CH_WHATSAPP ? "WhatsApp" : "Telegram");
	/* 401/403: a token problem, fixable; 404/400: the media is gone */
	return http >= 500 || http == 429 || http == 408 || http == 401 || http == 403 || http == 0;
}

static void meta_done(gw_sender *s, struct xfer *x, int rc)
{
	long http = 0;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &http);
	char why[512];
	if (rc != CURLE_OK || http != 200) {
		if (api_failed(s, x, rc, http, why, sizeof why))
			media_retry(s, &x->media, why);
		else
			media_fail(s, &x->media, why);
		return;
	}
	json_t *root = json_loadb(x->resp.data ? x->resp.data : "", x->resp.len, 0, NULL);
	if (x->kind == X_WA_MEDIA_META) {
		const char *url = json_string_value(json_object_get(root, "url"));
		const char *mime = json_string_value(json_object_get(root, "mime_type"));
		const char *sha = json_string_value(json_object_get(root, "sha256"));
		json_int_t size = json_integer_value(json_object_get(root, "file_size"));
		if (!url || !*url)
			media_retry(s, &x->media, _("the WhatsApp API gave no media URL"));
		else if (!too_big(s, &x->media, size))
			start_get(s, x, url, true, mime, ext_for_mime(mime ? mime : x->media.mime), sha);
	} else {
		json_t *res = json_object_get(root, "result");
		const char *path = json_string_value(json_object_get(res, "file_path"));
		json_int_t size = json_integer_value(json_object_get(res, "file_size"));
		if (!json_is_true(json_object_get(root, "ok")) || !path || !*path) {
			media_retry(s, &x->media, _("Telegram getFile gave no file_path"));
		} else if (!too_big(s, &x->media, size)) {
			char *url = dd_xasprintf("%s/file/bot%s/%s", s->cfg->tg_api_base, s->cfg->tg_token,
						 path);
			start_get(s, x, url, false, NULL, ext_for_path(path, x->media.mime), NULL);
			explicit_bzero(url, strlen(url));
			free(url);
		}
	}
	json_decref(root);
}

/* Whether the digest matches what the platform said: hex or base64. */
static bool sha_matches(const char *expect, const unsigned char *md, const char *hex)
{
	if (strlen(expect) == 64)
		return strcasecmp(expect, hex) == 0;
	unsigned char b64[64];
	EVP_EncodeBlock(b64, md, 32);
	return strcmp(expect, (const char *)b64) == 0;
}

static void get_done(gw_sender *s, struct xfer *x, int rc)
{
	long http = 0;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &http);
	char why[512];
	if (x->too_large || rc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(why, sizeof why, _("too large: over max_media (%ld bytes)"), s->cfg->max_media);
		media_fail(s, &x->media, why);
		return;
	}
	if (rc != CURLE_OK || http != 200) {
		if (api_failed(s, x, rc, http, why, sizeof why))
			media_retry(s, &x->media, why);
		else
			media_fail(s, &x->media, why);
		return;
	}
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	EVP_DigestFinal_ex(x->sha, md, &mdlen);
	char hex[65];
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	/* both the API's and the webhook's, when given */
	if ((x->expect_sha && !sha_matches(x->expect_sha, md, hex)) ||
	    (x->media.sha256 && *x->media.sha256 && !sha_matches(x->media.sha256, md, hex))) {
		media_retry(s, &x->media, _("the file's SHA-256 does not match the one the messenger gave"));
		return;
	}
	if (fsync(x->fd) != 0 || close(x->fd) != 0) {
		x->fd = -1;
		snprintf(why, sizeof why, _("cannot write in the media folder: %s"), strerror(errno));
		media_retry(s, &x->media, why);
		return;
	}
	x->fd = -1;
	char *rel = dd_xasprintf("%.2s/%s.%s", hex, hex, x->ext ? x->ext : "bin");
	char *dir = dd_xasprintf("%s/%.2s", s->cfg->media_dir, hex);
	char *path = dd_xasprintf("%s/%s", s->cfg->media_dir, rel);
	mkdir(dir, 0750);
	if (rename(x->tmp_path, path) != 0) {
		snprintf(why, sizeof why, _("cannot store %s: %s"), path, strerror(errno));
		media_retry(s, &x->media, why);
	} else {
		free(x->tmp_path);
		x->tmp_path = NULL;
		dd_err err = {0};
		if (dd_attachment_mark_stored(s->db, x->media.id, rel, x->got, hex, x->mime, &err))
			gw_slog("attachment %lld: %s", (long long)x->media.id, err.msg);
		s->stats.media_stored++;
		gw_slog("stored attachment %lld as %s (%lld bytes)", (long long)x->media.id, rel,
			(long long)x->got);
	}
	free(rel);
	free(dir);
	free(path);
}

void gw_media_done(gw_sender *s, struct xfer *x, int rc)
{
	s->media_in_flight--;
	if (x->kind == X_MEDIA_GET)
		get_done(s, x, rc);
	else
		meta_done(s, x, rc);
	gw_xfer_free(s, x);
}

void gw_media_abort(gw_sender *s, struct xfer *x)
{
	dd_err err = {0};
	if (x->media.id &&
	    dd_attachment_mark_retry(s->db, x->media.id, dd_now_ms(), NULL, &err))
		gw_slog("attachment %lld: %s", (long long)x->media.id, err.msg);
	s->media_in_flight--;
}
