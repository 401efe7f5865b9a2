/*
 * response_status.c: a response's status from its CGI header block (see
 * response_status.h). Byte by byte only where a wanted field can be; the
 * rest of a line is skipped with memchr, and nothing after the header.
 */
#include <string.h>
#include <strings.h>

#include "response_status.h"

static void response_status_name_byte(struct response_status *s, uint8_t c);
static void response_status_name_ends(struct response_status *s);
static void response_status_value_byte(struct response_status *s, uint8_t c);

bool response_status_feed(struct response_status *s, const uint8_t *content, size_t len)
{
	const uint8_t *p = content, *end = content + len;

	for (; p < end && s->scan != RESPONSE_STATUS_DONE; p++) {
		uint8_t c = *p;
		switch (s->scan) {
		case RESPONSE_STATUS_LINE_START:
		case RESPONSE_STATUS_LINE_START_CR:
			if (c == '\n') {
				s->scan = RESPONSE_STATUS_DONE;
			} else if (c == '\r' && s->scan == RESPONSE_STATUS_LINE_START) {
				s->scan = RESPONSE_STATUS_LINE_START_CR;
			} else {
				s->scan = RESPONSE_STATUS_NAME;
				s->name_len = 0;
				response_status_name_byte(s, c);
			}
			break;
		case RESPONSE_STATUS_NAME:
			response_status_name_byte(s, c);
			break;
		case RESPONSE_STATUS_VALUE:
			response_status_value_byte(s, c);
			break;
		case RESPONSE_STATUS_IN_LINE: {
			const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
			if (nl == NULL)
				return false;
			p = nl;
			s->scan = RESPONSE_STATUS_LINE_START;
			break;
		}
		case RESPONSE_STATUS_DONE:
			break;
		}
	}
	return s->scan == RESPONSE_STATUS_DONE;
}

/* One byte of a field name: kept while the name may still be a wanted one. */
static void response_status_name_byte(struct response_status *s, uint8_t c)
{
	if (c == '\n')
		s->scan = RESPONSE_STATUS_LINE_START;
	else if (c == ':')
		response_status_name_ends(s);
	else if (s->name_len < sizeof(s->name))
		s->name[s->name_len++] = (char)c;
	else
		s->scan = RESPONSE_STATUS_IN_LINE;
}

/* A field name ended at its ':': Status's value is read, Location is noted. */
static void response_status_name_ends(struct response_status *s)
{
	s->scan = RESPONSE_STATUS_IN_LINE;
	if (s->name_len == 6 && strncasecmp(s->name, "status", 6) == 0 && s->code == 0) {
		s->scan = RESPONSE_STATUS_VALUE;
		s->digits = 0;
	} else if (s->name_len == 8 && strncasecmp(s->name, "location", 8) == 0) {
		s->location = true;
	}
}

/*
 * One byte of Status's value: blanks before the code, then three digits
 * (RFC 3875 6.3.3: status-code = 3digit); anything else leaves the field
 * unread, as if absent.
 */
static void response_status_value_byte(struct response_status *s, uint8_t c)
{
	if (c == '\n') {
		s->scan = RESPONSE_STATUS_LINE_START;
	} else if ((c == ' ' || c == '\t') && s->digits == 0) {
		return;
	} else if (c >= '0' && c <= '9' && s->digits < 3) {
		s->code = s->code * 10 + (c - '0');
		if (++s->digits == 3)
			s->scan = RESPONSE_STATUS_IN_LINE;
	} else {
		s->code = 0;
		s->scan = RESPONSE_STATUS_IN_LINE;
	}
}

int response_status_code(const struct response_status *s)
{
	if (s->code >= 100 && s->code <= 999)
		return s->code;
	return s->location ? 302 : 200;
}
