// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_http.c - the metrics endpoint's request heads and response heads.
 *
 * Whatever arrives is a stranger's: a head counts only once its empty
 * line has come, whole or in pieces; a method, path or version off by a
 * byte is an error, never the metrics; a head past HTTP_HEAD_MAX ends it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "http.h"

#define PATH "/metrics"

static enum http_status parse(const char *text, bool *head)
{
	return http_request(text, strlen(text), PATH, head);
}

static void assert_status(const char *text, enum http_status want)
{
	bool head;

	assert_int_equal(parse(text, &head), want);
}

static void test_get(void **state)
{
	bool head = true;

	(void)state;
	assert_int_equal(parse("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &head), HTTP_OK);
	assert_false(head);
	assert_status("GET /metrics HTTP/1.0\r\n\r\n", HTTP_OK);
	assert_status("GET /metrics?name[]=up HTTP/1.1\r\n\r\n", HTTP_OK);
	/* bare LF line ends, and empty lines before the request line */
	assert_status("\r\n\nGET /metrics HTTP/1.1\nAccept: */*\n\n", HTTP_OK);
}

static void test_head(void **state)
{
	bool head = false;

	(void)state;
	assert_int_equal(parse("HEAD /metrics HTTP/1.1\r\n\r\n", &head), HTTP_OK);
	assert_true(head);
}

static void test_incomplete(void **state)
{
	const char *whole = "GET /metrics HTTP/1.1\r\nX-Slow: 1\r\n\r\n";
	size_t i;
	bool head;

	(void)state;
	/* every prefix is incomplete, however it is cut */
	for (i = 0; i < strlen(whole); i++)
		assert_int_equal(http_request(whole, i, PATH, &head), HTTP_INCOMPLETE);
	assert_int_equal(http_request(whole, strlen(whole), PATH, &head), HTTP_OK);
	assert_status("GET /metrics HTTP/1.1\r\nHost: x\r\n", HTTP_INCOMPLETE);
}

static void test_errors(void **state)
{
	(void)state;
	assert_status("POST /metrics HTTP/1.1\r\n\r\n", HTTP_METHOD_NOT_ALLOWED);
	assert_status("get /metrics HTTP/1.1\r\n\r\n", HTTP_METHOD_NOT_ALLOWED);
	assert_status("GET / HTTP/1.1\r\n\r\n", HTTP_NOT_FOUND);
	assert_status("GET /metricsx HTTP/1.1\r\n\r\n", HTTP_NOT_FOUND);
	assert_status("GET /metric HTTP/1.1\r\n\r\n", HTTP_NOT_FOUND);
	assert_status("GET http://x/metrics HTTP/1.1\r\n\r\n", HTTP_NOT_FOUND);
	assert_status("GET /metrics\r\n\r\n", HTTP_BAD_REQUEST);
	assert_status("GET /metrics HTTP/2.0\r\n\r\n", HTTP_BAD_REQUEST);
	assert_status("GET /metrics HTTP/1.1 \r\n\r\n", HTTP_BAD_REQUEST);
	assert_status("GET  /metrics HTTP/1.1\r\n\r\n", HTTP_BAD_REQUEST);
	assert_status("garbage\r\n\r\n", HTTP_BAD_REQUEST);
	assert_status("\r\n\r\n", HTTP_INCOMPLETE);
}

static void test_nul_in_target(void **state)
{
	const char text[] = "GET /metrics\0x HTTP/1.1\r\n\r\n";
	bool head;

	(void)state;
	assert_int_equal(http_request(text, sizeof(text) - 1, PATH, &head), HTTP_NOT_FOUND);
}

static void test_too_large(void **state)
{
	char buf[HTTP_HEAD_MAX];
	bool head;

	(void)state;
	memset(buf, 'x', sizeof(buf));
	memcpy(buf, "GET /metrics HTTP/1.1\r\nX: ", strlen("GET /metrics HTTP/1.1\r\nX: "));
	assert_int_equal(http_request(buf, sizeof(buf) - 1, PATH, &head), HTTP_INCOMPLETE);
	assert_int_equal(http_request(buf, sizeof(buf), PATH, &head), HTTP_HEAD_TOO_LARGE);
	/* a head that ends right at the limit is taken */
	memcpy(buf + sizeof(buf) - 4, "\r\n\r\n", 4);
	assert_int_equal(http_request(buf, sizeof(buf), PATH, &head), HTTP_OK);
}

static void test_response_head(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb);
	http_response_head(&sb, HTTP_OK, "text/plain; version=0.0.4", 123, 0);
	assert_string_equal(sb.s, "HTTP/1.1 200 OK\r\n"
				  "Content-Type: text/plain; version=0.0.4\r\n"
				  "Content-Length: 123\r\n"
				  "Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n"
				  "Connection: close\r\n\r\n");
	strbuf_reset(&sb);
	http_response_head(&sb, HTTP_METHOD_NOT_ALLOWED, "text/plain", 13, 0);
	assert_non_null(strstr(sb.s, "HTTP/1.1 405 Method Not Allowed\r\n"));
	assert_non_null(strstr(sb.s, "\r\nAllow: GET, HEAD\r\n"));
	strbuf_free(&sb);
}

static void test_error_bodies(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb);
	http_error_body(&sb, HTTP_NOT_FOUND, PATH);
	assert_string_equal(sb.s, "not found: try /metrics\n");
	strbuf_reset(&sb);
	http_error_body(&sb, HTTP_METHOD_NOT_ALLOWED, PATH);
	assert_string_equal(sb.s, "GET /metrics\n");
	strbuf_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_head),
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_nul_in_target),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_response_head),
		cmocka_unit_test(test_error_bodies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
