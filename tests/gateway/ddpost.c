/*
 * A small HTTP client for the gateway tests: sends one request and prints
 * the status on the first line and the body after it.
 *
 *   ddpost [--method M] [--secret S] [--header "K: V"]... [--data-file F]
 *          [--data TEXT] [--size N] [--max-time S] URL
 *
 * --secret signs the body as WhatsApp does (X-Hub-Signature-256: sha256=
 * hex HMAC-SHA256 of the raw body); --size sends N bytes of 'a' (for the
 * size limit). Exit 0 when an answer came, 1 when none did.
 */
#include <config.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

struct buf {
	char *data;
	size_t len;
};

static void add(struct buf *b, const void *p, size_t n)
{
	b->data = realloc(b->data, b->len + n + 1);
	if (!b->data) {
		fputs("ddpost: out of memory\n", stderr);
		exit(1);
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static size_t on_data(char *p, size_t size, size_t n, void *cls)
{
	add(cls, p, size * n);
	return size * n;
}

static void read_file(const char *path, struct buf *b)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(1);
	}
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		add(b, chunk, n);
	if (f != stdin)
		fclose(f);
}

int main(int argc, char **argv)
{
	const char *method = NULL, *secret = NULL, *url = NULL;
	long max_time = 10;
	struct buf body = {0}, answer = {0};
	bool has_body = false;
	struct curl_slist *headers = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool more = i + 1 < argc;
		if (strcmp(a, "--method") == 0 && more) {
			method = argv[++i];
		} else if (strcmp(a, "--secret") == 0 && more) {
			secret = argv[++i];
		} else if (strcmp(a, "--header") == 0 && more) {
			headers = curl_slist_append(headers, argv[++i]);
		} else if (strcmp(a, "--data-file") == 0 && more) {
			read_file(argv[++i], &body);
			has_body = true;
		} else if (strcmp(a, "--data") == 0 && more) {
			add(&body, argv[i + 1], strlen(argv[i + 1]));
			i++;
			has_body = true;
		} else if (strcmp(a, "--size") == 0 && more) {
			long n = atol(argv[++i]);
			for (long k = 0; k < n; k++)
				add(&body, "a", 1);
			has_body = true;
		} else if (strcmp(a, "--max-time") == 0 && more) {
			max_time = atol(argv[++i]);
		} else if (a[0] != '-' && !url) {
			url = a;
		} else {
			fprintf(stderr, "ddpost: bad argument '%s'\n", a);
			return 2;
		}
	}
	if (!url) {
		fputs("usage: ddpost [--method M] [--secret S] [--header H]... [--data-file F] "
		      "[--data TEXT] [--size N] URL\n", stderr);
		return 2;
	}
	if (!body.data)
		add(&body, "", 0);
	if (secret) {
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int mdlen = 0;
		HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body.data,
		     body.len, md, &mdlen);
		char hdr[128] = "X-Hub-Signature-256: sha256=";
		size_t at = strlen(hdr);
		for (unsigned k = 0; k < mdlen; k++)
			snprintf(hdr + at + 2 * k, 3, "%02x", md[k]);
		headers = curl_slist_append(headers, hdr);
	}
	headers = curl_slist_append(headers, "Content-Type: application/json");
	headers = curl_slist_append(headers, "Expect:");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, max_time);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (has_body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body.len);
	}
	if (method)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	CURLcode rc = curl_easy_perform(c);
	long code = 0;
	int status = 0;
	if (rc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		printf("%ld\n%s", code, answer.data ? answer.data : "");
	} else {
		printf("000\n%s\n", curl_easy_strerror(rc));
		status = 1;
	}
	curl_easy_cleanup(c);
	curl_slist_free_all(headers);
	curl_global_cleanup();
	free(body.data);
	free(answer.data);
	return status;
}
