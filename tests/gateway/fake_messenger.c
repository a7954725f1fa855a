/*
 * A fake messenger for the gateway tests: one HTTP server on 127.0.0.1 (a
 * port picked by the kernel) that speaks enough of the WhatsApp Cloud API
 * and the Telegram Bot API, records every request as one JSON line, and can
 * be told to misbehave.
 *
 *   fake_messenger --port-file FILE --log FILE [--wa-token T] [--tg-token T]
 *
 * Prints the port on stdout (and writes "PORT\n" to --port-file, renamed
 * into place so a reader never sees half of it). Runs until SIGTERM/SIGINT.
 *
 * WhatsApp:  POST /{phone_number_id}/messages    -> messages[0].id "wamid.FAKE<n>"
 *            (n: the request's number in the log)
 *            GET  /{media_id}                    -> {url: http://.../_media/{id}, sha256, ...}
 *            GET  /_media/{id}                   -> the bytes
 * Telegram:  POST /bot{token}/sendMessage        -> result.message_id <n>
 *            GET|POST /bot{token}/getFile?file_id=X -> file_path "photos/X.jpg"
 *            GET  /file/bot{token}/{file_path}   -> the bytes
 *            /bot{token}/answerCallbackQuery     -> true
 *            /bot{token}/getUpdates?offset=N     -> the injected updates from N on
 * With --wa-token / --tg-token a wrong token is refused (WhatsApp 401 code
 * 190; Telegram 401 Unauthorized).
 *
 * Control: POST /_control with a JSON object:
 *   {"faults": [F, ...]}  appended to the fault queue; each F is
 *     {"match": "substring of the path" (optional),
 *      "times": n (default 1),
 *      "action": "status"     + "status": 500            plain HTTP status
 *              | "wa_error"   + "code": 130429|131047|131026|190|..., "status" (default 400)
 *              | "tg_error"   + "code": 429|400|401|..., "retry_after" (optional)
 *              | "slow"       + "ms": n                 answer normally after n ms
 *              | "drop"                                 close without answering
 *              | "header"     + "status", "retry_after" HTTP status with a Retry-After header}
 *   {"clear": true}          empties the fault queue first
 *   {"updates": [U, ...]}    Telegram updates for getUpdates
 *   {"media_size": n}        bytes of each media file (default 1000)
 *   {"bad_sha": true}        announce a wrong sha256 for WhatsApp media
 * The first queued fault whose match is in the path is applied to a request
 * (requests to /_control excepted) and its times counted down.
 *
 * Log: one line per request, {"n","t" (ms since the epoch),"method","path",
 * "query","authorization","content_type","peer_port" (the client's port: the
 * same port means a reused connection),"body"}, written when the request
 * has arrived in full (before any slow answer or drop).
 */
#include <config.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <jansson.h>
#include <microhttpd.h>
#include <openssl/evp.h>

#if MHD_VERSION < 0x00097002
typedef int MHD_Result;
#define MHD_RESULT int
#else
#define MHD_RESULT enum MHD_Result
#endif

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *logf_;
static json_t *faults;      /* array */
static json_t *updates;     /* array */
static long nreq;
static long media_size = 1000;
static bool bad_sha;
static unsigned short port;
static const char *wa_token, *tg_token;

struct req {
	char *body;
	size_t len;
};

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static MHD_RESULT answer(struct MHD_Connection *c, unsigned status, const char *type,
			 const void *data, size_t len, const char *retry_after)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(r, "Content-Type", type);
	if (retry_after)
		MHD_add_response_header(r, "Retry-After", retry_after);
	MHD_RESULT ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static MHD_RESULT answer_json(struct MHD_Connection *c, unsigned status, json_t *j,
			      const char *retry_after)
{
	char *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	MHD_RESULT ret = answer(c, status, "application/json", s, strlen(s), retry_after);
	free(s);
	return ret;
}

/* The bytes of media id: deterministic, media_size long. */
static char *media_bytes(const char *id, size_t *len)
{
	*len = (size_t)media_size;
	char *b = malloc(*len + 1);
	size_t idl = strlen(id);
	for (size_t i = 0; i < *len; i++)
		b[i] = idl ? id[i % idl] ^ (char)(i & 0x3f) : (char)i;
	return b;
}

static void sha_hex(const char *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* Takes the first fault matching path off the queue (counting down). */
static json_t *next_fault(const char *path)
{
	json_t *f = NULL;
	pthread_mutex_lock(&lock);
	size_t i;
	json_t *v;
	json_array_foreach(faults, i, v) {
		const char *m = json_string_value(json_object_get(v, "match"));
		if (m && !strstr(path, m))
			continue;
		f = json_deep_copy(v);
		json_int_t times = json_integer_value(json_object_get(v, "times"));
		if (times > 1)
			json_object_set_new(v, "times", json_integer(times - 1));
		else
			json_array_remove(faults, i);
		break;
	}
	pthread_mutex_unlock(&lock);
	return f;
}

/* Logs the request; returns its number (the fake's message ids use it). */
static long log_request(struct MHD_Connection *c, const char *method, const char *url,
			const struct req *rq)
{
	int peer_port = 0;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
		peer_port = ntohs(((const struct sockaddr_in *)(const void *)ci->client_addr)->sin_port);
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	const char *ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	json_t *query = json_object();
	const char *keys[] = {"file_id", "offset", "timeout"};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, keys[i]);
		if (v)
			json_object_set_new(query, keys[i], json_string(v));
	}
	pthread_mutex_lock(&lock);
	long n = ++nreq;
	json_t *line = json_pack("{s:i, s:I, s:s, s:s, s:o, s:s?, s:s?, s:i, s:s%}", "n", (int)n,
				 "t", (json_int_t)now_ms(), "method", method, "path", url, "query",
				 query, "authorization", auth, "content_type", ctype, "peer_port",
				 peer_port, "body", rq->body ? rq->body : "", rq->len);
	if (line) {
		char *s = json_dumps(line, JSON_COMPACT);
		fprintf(logf_, "%s\n", s);
		fflush(logf_);
		free(s);
		json_decref(line);
	} else {
		fprintf(logf_, "{\"n\":%ld,\"t\":%lld,\"method\":\"%s\",\"path\":\"(unloggable)\"}\n", n,
			now_ms(), method);
		fflush(logf_);
	}
	pthread_mutex_unlock(&lock);
	return n;
}

static MHD_RESULT control(struct MHD_Connection *c, const struct req *rq)
{
	json_t *j = json_loadb(rq->body ? rq->body : "", rq->len, 0, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		return answer(c, 400, "text/plain", "bad json\n", 9, NULL);
	}
	pthread_mutex_lock(&lock);
	if (json_is_true(json_object_get(j, "clear")))
		json_array_clear(faults);
	json_array_extend(faults, json_object_get(j, "faults") ? json_object_get(j, "faults")
							       : json_array());
	if (json_is_array(json_object_get(j, "updates")))
		json_array_extend(updates, json_object_get(j, "updates"));
	if (json_is_integer(json_object_get(j, "media_size")))
		media_size = (long)json_integer_value(json_object_get(j, "media_size"));
	if (json_object_get(j, "bad_sha"))
		bad_sha = json_is_true(json_object_get(j, "bad_sha"));
	pthread_mutex_unlock(&lock);
	json_decref(j);
	return answer(c, 200, "application/json", "{\"ok\":true}", 11, NULL);
}

static MHD_RESULT wa_error(struct MHD_Connection *c, int code, unsigned status)
{
	const char *msg = "Error";
	switch (code) {
	case 130429: msg = "(#130429) Rate limit hit"; break;
	case 131047: msg = "(#131047) Re-engagement message"; break;
	case 131026: msg = "(#131026) Message undeliverable"; break;
	case 131056: msg = "(#131056) (Business Account, Consumer Account) pair rate limit hit"; break;
	case 190: msg = "Error validating access token: Session has expired"; break;
	case 132000: msg = "(#132000) Number of parameters does not match"; break;
	}
	return answer_json(c, status,
			   json_pack("{s:{s:s, s:s, s:i, s:{s:s, s:s}, s:s}}", "error", "message", msg,
				     "type", "OAuthException", "code", code, "error_data",
				     "messaging_product", "whatsapp", "details", msg, "fbtrace_id",
				     "FAKEtrace"),
			   NULL);
}

static MHD_RESULT tg_error(struct MHD_Connection *c, int code, json_int_t retry_after)
{
	const char *desc = code == 429 ? "Too Many Requests: retry later"
			   : code == 401 ? "Unauthorized"
			   : code == 403 ? "Forbidden: bot was blocked by the user"
					 : "Bad Request: chat not found";
	json_t *j = json_pack("{s:b, s:i, s:s}", "ok", 0, "error_code", code, "description", desc);
	if (retry_after > 0)
		json_object_set_new(j, "parameters", json_pack("{s:I}", "retry_after", retry_after));
	return answer_json(c, (unsigned)(code >= 400 && code < 600 ? code : 400), j, NULL);
}

/* "/bot<token>/<method>" -> token and method; false when not that shape. */
static bool tg_split(const char *url, const char *prefix, char *token, size_t tsize,
		     const char **rest)
{
	size_t pl = strlen(prefix);
	if (strncmp(url, prefix, pl) != 0)
		return false;
	const char *t = url + pl;
	const char *slash = strchr(t, '/');
	if (!slash || (size_t)(slash - t) >= tsize)
		return false;
	memcpy(token, t, (size_t)(slash - t));
	token[slash - t] = '\0';
	*rest = slash + 1;
	return true;
}

static MHD_RESULT telegram(struct MHD_Connection *c, long n, const char *url,
			   const struct req *rq)
{
	char token[256];
	const char *rest;
	bool file = tg_split(url, "/file/bot", token, sizeof token, &rest);
	if (!file && !tg_split(url, "/bot", token, sizeof token, &rest))
		return answer(c, 404, "text/plain", "not found\n", 10, NULL);
	if (tg_token && strcmp(token, tg_token) != 0)
		return tg_error(c, 401, 0);
	if (file) {
		/* photos/<file_id>.jpg */
		const char *name = strrchr(rest, '/') ? strrchr(rest, '/') + 1 : rest;
		char id[256];
		snprintf(id, sizeof id, "%.*s", (int)strcspn(name, "."), name);
		size_t len;
		char *b = media_bytes(id, &len);
		MHD_RESULT r = answer(c, 200, "application/octet-stream", b, len, NULL);
		free(b);
		return r;
	}
	json_t *in = rq->len ? json_loadb(rq->body, rq->len, 0, NULL) : NULL;
	MHD_RESULT r;
	if (strcmp(rest, "sendMessage") == 0) {
		json_t *chat = json_object_get(in, "chat_id");
		json_t *res = json_pack("{s:i, s:I, s:{s:O?, s:s}, s:O?}", "message_id", (int)n, "date",
					(json_int_t)(now_ms() / 1000), "chat", "id", chat, "type",
					"private", "text", json_object_get(in, "text"));
		r = answer_json(c, 200, json_pack("{s:b, s:o}", "ok", 1, "result", res), NULL);
	} else if (strcmp(rest, "getFile") == 0) {
		const char *id = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "file_id");
		if (!id)
			id = json_string_value(json_object_get(in, "file_id"));
		if (!id) {
			r = tg_error(c, 400, 0);
		} else {
			char path[300];
			snprintf(path, sizeof path, "photos/%s.jpg", id);
			r = answer_json(c, 200,
					json_pack("{s:b, s:{s:s, s:s, s:i, s:s}}", "ok", 1, "result",
						  "file_id", id, "file_unique_id", id, "file_size",
						  (int)media_size, "file_path", path),
					NULL);
		}
	} else if (strcmp(rest, "answerCallbackQuery") == 0) {
		r = answer_json(c, 200, json_pack("{s:b, s:b}", "ok", 1, "result", 1), NULL);
	} else if (strcmp(rest, "getUpdates") == 0) {
		const char *off = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "offset");
		json_int_t offset = off ? strtoll(off, NULL, 10)
					: json_integer_value(json_object_get(in, "offset"));
		json_t *out = json_array();
		pthread_mutex_lock(&lock);
		for (size_t i = 0; i < json_array_size(updates);) {
			json_t *u = json_array_get(updates, i);
			if (json_integer_value(json_object_get(u, "update_id")) < offset) {
				json_array_remove(updates, i);
				continue;
			}
			json_array_append(out, u);
			i++;
		}
		pthread_mutex_unlock(&lock);
		r = answer_json(c, 200, json_pack("{s:b, s:o}", "ok", 1, "result", out), NULL);
	} else {
		r = answer_json(c, 404,
				json_pack("{s:b, s:i, s:s}", "ok", 0, "error_code", 404, "description",
					  "Not Found: method not found"),
				NULL);
	}
	json_decref(in);
	return r;
}

static MHD_RESULT whatsapp(struct MHD_Connection *c, long n, const char *method,
			   const char *url, const struct req *rq)
{
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	if (strncmp(url, "/_media/", 8) == 0) {
		size_t len;
		char *b = media_bytes(url + 8, &len);
		MHD_RESULT r = answer(c, 200, "image/jpeg", b, len, NULL);
		free(b);
		return r;
	}
	if (wa_token) {
		char want[600];
		snprintf(want, sizeof want, "Bearer %s", wa_token);
		if (!auth || strcmp(auth, want) != 0)
			return wa_error(c, 190, 401);
	}
	const char *slash = strchr(url + 1, '/');
	if (strcmp(method, "POST") == 0 && slash && strcmp(slash, "/messages") == 0) {
		json_t *in = json_loadb(rq->body ? rq->body : "", rq->len, 0, NULL);
		const char *to = json_string_value(json_object_get(in, "to"));
		char id[64];
		snprintf(id, sizeof id, "wamid.FAKE%ld", n);
		MHD_RESULT r = answer_json(
			c, 200,
			json_pack("{s:s, s:[{s:s, s:s}], s:[{s:s}]}", "messaging_product", "whatsapp",
				  "contacts", "input", to ? to : "", "wa_id", to ? to : "", "messages",
				  "id", id),
			NULL);
		json_decref(in);
		return r;
	}
	if (strcmp(method, "GET") == 0 && !slash && url[1]) {
		const char *id = url + 1;
		size_t len;
		char *b = media_bytes(id, &len);
		char hex[65];
		sha_hex(b, len, hex);
		free(b);
		if (bad_sha)
			memset(hex, 'a', 64);
		char *mu = NULL;
		if (asprintf(&mu, "http://127.0.0.1:%u/_media/%s", port, id) < 0)
			return MHD_NO;
		MHD_RESULT r = answer_json(
			c, 200,
			json_pack("{s:s, s:s, s:s, s:s, s:i, s:s}", "messaging_product", "whatsapp", "url",
				  mu, "mime_type", "image/jpeg", "sha256", hex, "file_size",
				  (int)media_size, "id", id),
			NULL);
		free(mu);
		return r;
	}
	return wa_error(c, 100, 400);
}

static MHD_RESULT handle(void *cls, struct MHD_Connection *c, const char *url,
			 const char *method, const char *version, const char *upload,
			 size_t *upload_size, void **ptr)
{
	struct req *rq = *ptr;
	(void)cls;
	(void)version;
	if (!rq) {
		rq = calloc(1, sizeof *rq);
		*ptr = rq;
		return MHD_YES;
	}
	if (*upload_size) {
		rq->body = realloc(rq->body, rq->len + *upload_size + 1);
		memcpy(rq->body + rq->len, upload, *upload_size);
		rq->len += *upload_size;
		rq->body[rq->len] = '\0';
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/_control") == 0)
		return control(c, rq);
	long n = log_request(c, method, url, rq);

	bool tg = strncmp(url, "/bot", 4) == 0 || strncmp(url, "/file/bot", 9) == 0;
	json_t *f = next_fault(url);
	if (f) {
		const char *action = json_string_value(json_object_get(f, "action"));
		json_int_t code = json_integer_value(json_object_get(f, "code"));
		json_int_t status = json_integer_value(json_object_get(f, "status"));
		json_int_t ra = json_integer_value(json_object_get(f, "retry_after"));
		json_int_t ms = json_integer_value(json_object_get(f, "ms"));
		MHD_RESULT r = MHD_YES;
		bool done = true;
		if (!action) {
			done = false;
		} else if (strcmp(action, "drop") == 0) {
			r = MHD_NO;
		} else if (strcmp(action, "status") == 0) {
			r = answer(c, (unsigned)(status ? status : 500), "text/plain", "fake failure\n",
				   13, NULL);
		} else if (strcmp(action, "header") == 0) {
			char v[32];
			snprintf(v, sizeof v, "%lld", (long long)ra);
			r = answer(c, (unsigned)(status ? status : 429), "text/plain", "slow down\n", 10,
				   v);
		} else if (strcmp(action, "wa_error") == 0) {
			r = wa_error(c, (int)code, (unsigned)(status ? status : code == 190 ? 401 : 400));
		} else if (strcmp(action, "tg_error") == 0) {
			r = tg_error(c, (int)code, ra);
		} else if (strcmp(action, "slow") == 0) {
			struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
			while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
				;
			done = false;
		} else {
			done = false;
		}
		json_decref(f);
		if (done)
			return r;
	}
	return tg ? telegram(c, n, url, rq) : whatsapp(c, n, method, url, rq);
}

static void completed(void *cls, struct MHD_Connection *c, void **ptr,
		      enum MHD_RequestTerminationCode toe)
{
	struct req *rq = *ptr;
	(void)cls;
	(void)c;
	(void)toe;
	if (rq) {
		free(rq->body);
		free(rq);
		*ptr = NULL;
	}
}

int main(int argc, char **argv)
{
	const char *port_file = NULL, *log_file = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--port-file") == 0 && i + 1 < argc)
			port_file = argv[++i];
		else if (strcmp(argv[i], "--log") == 0 && i + 1 < argc)
			log_file = argv[++i];
		else if (strcmp(argv[i], "--wa-token") == 0 && i + 1 < argc)
			wa_token = argv[++i];
		else if (strcmp(argv[i], "--tg-token") == 0 && i + 1 < argc)
			tg_token = argv[++i];
		else {
			fprintf(stderr, "usage: %s [--port-file FILE] [--log FILE] [--wa-token T] "
					"[--tg-token T]\n", argv[0]);
			return 2;
		}
	}
	logf_ = log_file ? fopen(log_file, "a") : stderr;
	if (!logf_) {
		perror(log_file);
		return 1;
	}
	faults = json_array();
	updates = json_array();

	/* the server's threads inherit the mask: only sigwait() sees them */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct sockaddr_in sa = {0};
	sa.sin_family = AF_INET;
	sa.sin_port = 0;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG, 0,
		NULL, NULL, handle, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)120, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "fake_messenger: cannot start the server\n");
		return 1;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	port = info ? info->port : 0;
	printf("%u\n", port);
	fflush(stdout);
	if (port_file) {
		char tmp[4096];
		snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
		FILE *fp = fopen(tmp, "w");
		if (!fp || fprintf(fp, "%u\n", port) < 0 || fclose(fp) != 0 || rename(tmp, port_file) != 0) {
			perror(port_file);
			MHD_stop_daemon(d);
			return 1;
		}
	}
	int sig;
	sigwait(&sigs, &sig);
	MHD_stop_daemon(d);
	json_decref(faults);
	json_decref(updates);
	if (logf_ != stderr)
		fclose(logf_);
	return 0;
}
