// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * http.c - read an HTTP/1.x request head, write a response head.
 *
 * It owns the wire format of the metrics endpoint; it must not touch a
 * socket (scrape.c does) nor know what is served (metrics.c).
 *
 * The endpoint answers one GET (or HEAD) of one path and closes the
 * connection, so a request is only its head: the request line decides
 * everything, header lines are taken (within HTTP_HEAD_MAX) and ignored,
 * and a body is never read.  Line ends may be CRLF or a bare LF, and
 * empty lines before the request line are skipped, as RFC 9112 allows a
 * server to; anything else malformed is a 400.
 */
#include <string.h>
#include "http.h"

#define HTTP_VERSION_PREFIX "HTTP/1."
#define DATE_LEN sizeof("Sun, 06 Nov 1994 08:49:37 GMT")

/* Where the head that starts at buf ends (after its empty line), or NULL. */
static const char *head_end(const char *buf, size_t len)
{
	size_t i, j;

	for (i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		j = i + 1;
		if (j < len && buf[j] == '\r')
			j++;
		if (j < len && buf[j] == '\n')
			return buf + j + 1;
	}
	return NULL;
}

/* Whether s[0..n) is the C string word. */
static bool is(const char *s, size_t n, const char *word)
{
	return n == strlen(word) && !memcmp(s, word, n);
}

/* HTTP/1.0, HTTP/1.1, ...: a version this server's answer is good for. */
static bool version_ok(const char *s, size_t n)
{
	size_t plen = strlen(HTTP_VERSION_PREFIX);

	return n == plen + 1 && !memcmp(s, HTTP_VERSION_PREFIX, plen) &&
	       s[plen] >= '0' && s[plen] <= '9';
}

/* The request line line[0..n): method SP target SP version. */
static enum http_status request_line(const char *line, size_t n, const char *path, bool *head)
{
	const char *sp1 = memchr(line, ' ', n), *sp2, *target, *query;
	size_t mlen, tlen;

	if (!sp1)
		return HTTP_BAD_REQUEST;
	target = sp1 + 1;
	sp2 = memchr(target, ' ', n - (size_t)(target - line));
	if (!sp2 || !version_ok(sp2 + 1, n - (size_t)(sp2 + 1 - line)))
		return HTTP_BAD_REQUEST;
	mlen = (size_t)(sp1 - line);
	tlen = (size_t)(sp2 - target);
	*head = is(line, mlen, "HEAD");
	if (!*head && !is(line, mlen, "GET"))
		return HTTP_METHOD_NOT_ALLOWED;
	query = memchr(target, '?', tlen);
	if (query)
		tlen = (size_t)(query - target);
	return is(target, tlen, path) ? HTTP_OK : HTTP_NOT_FOUND;
}

enum http_status http_request(const char *buf, size_t len, const char *path, bool *head)
{
	const char *start = buf, *end;
	size_t n;

	*head = false;
	while (start < buf + len && (*start == '\r' || *start == '\n'))
		start++;
	end = head_end(start, len - (size_t)(start - buf));
	if (!end)
		return len >= HTTP_HEAD_MAX ? HTTP_HEAD_TOO_LARGE : HTTP_INCOMPLETE;
	n = (size_t)((const char *)memchr(start, '\n', (size_t)(end - start)) - start);
	if (n && start[n - 1] == '\r')
		n--;
	return request_line(start, n, path, head);
}

static const char *reason(enum http_status status)
{
	switch (status) {
	case HTTP_OK:
		return "OK";
	case HTTP_NOT_FOUND:
		return "Not Found";
	case HTTP_METHOD_NOT_ALLOWED:
		return "Method Not Allowed";
	case HTTP_HEAD_TOO_LARGE:
		return "Request Header Fields Too Large";
	default:
		return "Bad Request";
	}
}

void http_response_head(struct strbuf *sb, enum http_status status, const char *type,
			size_t len, time_t now)
{
	char date[DATE_LEN];
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	strbuf_addf(sb, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n",
		    (int)status, reason(status), type, len);
	if (status == HTTP_METHOD_NOT_ALLOWED)
		strbuf_adds(sb, "Allow: GET, HEAD\r\n");
	strbuf_addf(sb, "Date: %s\r\nConnection: close\r\n\r\n", date);
}

void http_error_body(struct strbuf *sb, enum http_status status, const char *path)
{
	switch (status) {
	case HTTP_NOT_FOUND:
		strbuf_addf(sb, "not found: try %s\n", path);
		break;
	case HTTP_METHOD_NOT_ALLOWED:
		strbuf_addf(sb, "GET %s\n", path);
		break;
	case HTTP_HEAD_TOO_LARGE:
		strbuf_addf(sb, "request head longer than %d bytes\n", HTTP_HEAD_MAX);
		break;
	default:
		strbuf_adds(sb, "bad request\n");
		break;
	}
}
