/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * http.h - the little of HTTP/1.x the metrics endpoint speaks: one request
 * head read, one response written, then the connection closes.
 */
#ifndef BW_HTTP_H
#define BW_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include "strbuf.h"

/* The longest request head taken, request line and header lines together. */
#define HTTP_HEAD_MAX 4096

enum http_status {
	HTTP_INCOMPLETE = 0, /* no status yet: the head has not ended */
	HTTP_OK = 200,
	HTTP_BAD_REQUEST = 400,
	HTTP_NOT_FOUND = 404,
	HTTP_METHOD_NOT_ALLOWED = 405,
	HTTP_HEAD_TOO_LARGE = 431,
};

/*
 * What the request head in buf[0..len) (the bytes received so far) gets,
 * served from path alone: HTTP_INCOMPLETE until its empty line has come
 * (and HTTP_HEAD_TOO_LARGE once len reaches HTTP_HEAD_MAX without it),
 * then HTTP_OK for GET or HEAD of path (a query string aside), or the
 * error.  *head: the method was HEAD (no body in the response).
 */
enum http_status http_request(const char *buf, size_t len, const char *path, bool *head);

/*
 * The response head for status, with a body of len bytes of type, sent at
 * now; the connection closes after it.
 */
void http_response_head(struct strbuf *sb, enum http_status status, const char *type,
			size_t len, time_t now);

/* The plain-text body of an error status, naming what is served (path). */
void http_error_body(struct strbuf *sb, enum http_status status, const char *path);

#endif /* BW_HTTP_H */
