/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * escape.h - make bytes that a process controls (its comm, its command line,
 * paths) safe to print.
 *
 * A process chooses its own comm and argv, so they may hold quotes,
 * backslashes, control bytes, terminal escape sequences or invalid UTF-8.
 * The JSON escaper always yields valid JSON text of valid UTF-8; the text
 * escaper yields a single printable line that cannot move the cursor.
 */
#ifndef BW_ESCAPE_H
#define BW_ESCAPE_H

#include <stddef.h>
#include "strbuf.h"

/*
 * Control characters, for both escapers: bytes < 0x20 and 0x7f, the C1
 * controls U+0080-U+009F (which some terminals obey), the bidirectional
 * formatting characters U+061C, U+200E, U+200F, U+202A-U+202E and
 * U+2066-U+2069 (which reorder what follows them on screen), and the line
 * and paragraph separators U+2028, U+2029.
 */

/*
 * Append data[0..n) as a quoted JSON string: '"' and '\\' escaped, control
 * characters as \uXXXX (with \n \t \r \b \f short forms),
 * other valid UTF-8 copied as is, and each byte of an invalid or overlong
 * UTF-8 sequence (or an encoded surrogate) replaced by U+FFFD.
 */
void json_escape(struct strbuf *sb, const void *data, size_t n);

/*
 * Append data[0..n) for a one-line text record, without quotes: '"' and
 * '\\' escaped with a backslash, each byte of a control character or of
 * invalid UTF-8 as \xNN (U+202E is \xe2\x80\xae), other valid UTF-8
 * copied as is.
 */
void text_escape(struct strbuf *sb, const void *data, size_t n);

/*
 * The length of the longest head of data[0..n) of at most max bytes that
 * does not cut a well-formed UTF-8 character in two (a byte of none is a
 * character of its own): n when n <= max.  For a value shown cut, so that
 * its last character is not escaped as the stray bytes it was cut into.
 */
size_t utf8_head(const void *data, size_t n, size_t max);

/*
 * The fields of a text record whose value bindwatch did not choose: a
 * process chose it, or a user named the thing (its cgroup, its executable,
 * an interface, a namespace), or a log it reads back says it.  Each is
 * written only by text_field(), wherever text is written (records, syslog,
 * `who`, `check`, `check-policy --replay`).  A command line (cmd=) is not
 * one of them: it is quoted as a shell would (shell_quote_argv()), then
 * always double-quoted.
 */
enum text_field {
	TEXT_COMM,      /* COMM[PID]: a process's comm, keyless */
	TEXT_UNIT,      /* unit=: the system manager's unit */
	TEXT_USER_UNIT, /* user_unit=: a unit named below a delegation */
	TEXT_CONTAINER, /* container= */
	TEXT_NETNS,     /* netns=: a /run/netns name, or a container id */
	TEXT_DEV,       /* dev=: the socket's bound device (SO_BINDTODEVICE) */
	TEXT_EXE,       /* exe= */
	TEXT_GOT,       /* keyless: the value an expect rule's owner condition got */
	TEXT_LOGGED,    /* keyless: a time, protocol or address replay read in a log */
	TEXT_WORKLOAD,  /* keyless: a container's name or image, a pod's names (the runtime's files) */
	TEXT_FIELDS
};

/* "unit", ...: field f's key, without '='; NULL for a keyless one. */
const char *text_field_key(enum text_field f);

/*
 * Append "KEY=" (nothing for a keyless field), then value[0..n) as it is
 * when it is not empty and holds only letters, digits and ._-/:@+#~;
 * otherwise in double quotes, text_escape()d inside, so that "sshd[1]
 * uid=0 " reads as one name and not as a pid and a uid.
 */
void text_field(struct strbuf *sb, enum text_field f, const void *value, size_t n);

/*
 * Append the argv in args[0..n) (arguments separated by '\0') as a shell
 * would read it back: arguments separated by one space, each bare when
 * made only of letters, digits and %+,-./:=@_ (and not empty), else in
 * single quotes with each ' written '\'' ("daemon off;" is 'daemon off;',
 * an empty argument ''). Bytes are copied as they are: text_escape() the
 * result before it is printed.
 */
void shell_quote_argv(struct strbuf *sb, const char *args, size_t n);

#endif /* BW_ESCAPE_H */
