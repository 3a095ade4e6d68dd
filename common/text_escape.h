/* Escaping strings a traced program supplied (argv, paths, names) before
 * they reach a text report or a terminal: a newline cannot forge a line,
 * an escape sequence cannot drive the terminal. */
#ifndef VGPU_TEXT_ESCAPE_H
#define VGPU_TEXT_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the valid UTF-8 sequence at p (2..4 bytes), or 0 when p does
 * not start one (ASCII included). */
size_t text_utf8_len(const unsigned char *p);

/* Whether s holds anything text_escape changes. */
bool text_needs_escape(const char *s);

/* s with C0 controls, DEL, C1 controls (U+0080..U+009F) and bytes that
 * are not UTF-8 written as \n \t \r \e or \xNN, and a backslash as \\.
 * Writes at most len bytes, always NUL-terminated (cut at a whole escape);
 * returns buf. */
char *text_escape(char *buf, size_t len, const char *s);

/* The same into a new string (free it); NULL when out of memory. */
char *text_escape_dup(const char *s);

#endif
