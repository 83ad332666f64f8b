/*
 * proto — frames and fields between the daemon and a modem worker: the
 * encoder, the checking decoder and the incremental reader. Every read of
 * an input byte is bounded by the length checked just before it.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/util.h"
#include "modems/proto.h"

enum proto_kind {
	PROTO_KIND_NONE,
	PROTO_KIND_U8,
	PROTO_KIND_U16,
	PROTO_KIND_U32,
	PROTO_KIND_I32,
	PROTO_KIND_U64,
	PROTO_KIND_I64,
	PROTO_KIND_STR
};

#define PROTO_TAG_LAST	PROTO_TAG_NUMBER
#define PROTO_BIT(t)	(1U << (t))

/* The tags each type carries; all are mandatory. */
static const uint32_t proto_type_tags[] = {
	[PROTO_HELLO] = PROTO_BIT(PROTO_TAG_PID),
	[PROTO_STATE] = PROTO_BIT(PROTO_TAG_UP) | PROTO_BIT(PROTO_TAG_WHY),
	[PROTO_PART] = PROTO_BIT(PROTO_TAG_ID) | PROTO_BIT(PROTO_TAG_SENDER) |
	    PROTO_BIT(PROTO_TAG_SMSC) | PROTO_BIT(PROTO_TAG_SENT_AT) |
	    PROTO_BIT(PROTO_TAG_REF) | PROTO_BIT(PROTO_TAG_TOTAL) |
	    PROTO_BIT(PROTO_TAG_SEQ) | PROTO_BIT(PROTO_TAG_TEXT),
	[PROTO_RESULT] = PROTO_BIT(PROTO_TAG_JOB) |
	    PROTO_BIT(PROTO_TAG_RESULT) | PROTO_BIT(PROTO_TAG_PARTS) |
	    PROTO_BIT(PROTO_TAG_MSGREF) | PROTO_BIT(PROTO_TAG_ERROR),
	[PROTO_PONG] = PROTO_BIT(PROTO_TAG_PING),
	[PROTO_PING] = PROTO_BIT(PROTO_TAG_PING),
	[PROTO_ACK] = PROTO_BIT(PROTO_TAG_ID),
	[PROTO_SEND] = PROTO_BIT(PROTO_TAG_JOB) | PROTO_BIT(PROTO_TAG_NUMBER) |
	    PROTO_BIT(PROTO_TAG_TEXT)
};
#define PROTO_TYPE_LAST	PROTO_SEND

static enum proto_kind
proto_tag_kind(int tag)
{
	switch (tag) {
	case PROTO_TAG_UP:
	case PROTO_TAG_RESULT:
		return PROTO_KIND_U8;
	case PROTO_TAG_REF:
	case PROTO_TAG_TOTAL:
	case PROTO_TAG_SEQ:
	case PROTO_TAG_PARTS:
		return PROTO_KIND_U16;
	case PROTO_TAG_PID:
	case PROTO_TAG_PING:
		return PROTO_KIND_U32;
	case PROTO_TAG_MSGREF:
		return PROTO_KIND_I32;
	case PROTO_TAG_ID:
	case PROTO_TAG_JOB:
		return PROTO_KIND_U64;
	case PROTO_TAG_SENT_AT:
		return PROTO_KIND_I64;
	case PROTO_TAG_WHY:
	case PROTO_TAG_SENDER:
	case PROTO_TAG_SMSC:
	case PROTO_TAG_TEXT:
	case PROTO_TAG_ERROR:
	case PROTO_TAG_NUMBER:
		return PROTO_KIND_STR;
	default:
		return PROTO_KIND_NONE;
	}
}

static size_t
proto_kind_width(enum proto_kind k)
{
	switch (k) {
	case PROTO_KIND_U8:
		return 1;
	case PROTO_KIND_U16:
		return 2;
	case PROTO_KIND_U32:
	case PROTO_KIND_I32:
		return 4;
	case PROTO_KIND_U64:
	case PROTO_KIND_I64:
		return 8;
	default:
		return 0;
	}
}

/* Where a tag's value lives in the message. */
static char **
proto_msg_str(struct proto_msg *msg, int tag)
{
	switch (tag) {
	case PROTO_TAG_WHY:
		return &msg->why;
	case PROTO_TAG_SENDER:
		return &msg->sender;
	case PROTO_TAG_SMSC:
		return &msg->smsc;
	case PROTO_TAG_TEXT:
		return &msg->text;
	case PROTO_TAG_ERROR:
		return &msg->error;
	case PROTO_TAG_NUMBER:
		return &msg->number;
	default:
		return NULL;
	}
}

/* A numeric field as an unsigned 64-bit pattern, and back. */
static uint64_t
proto_msg_get_int(const struct proto_msg *msg, int tag)
{
	switch (tag) {
	case PROTO_TAG_PID:
		return msg->pid;
	case PROTO_TAG_UP:
		return (uint64_t)msg->up;
	case PROTO_TAG_ID:
		return msg->id;
	case PROTO_TAG_SENT_AT:
		return (uint64_t)msg->sent_at;
	case PROTO_TAG_REF:
		return (uint64_t)msg->ref;
	case PROTO_TAG_TOTAL:
		return (uint64_t)msg->total;
	case PROTO_TAG_SEQ:
		return (uint64_t)msg->seq;
	case PROTO_TAG_JOB:
		return msg->job;
	case PROTO_TAG_RESULT:
		return (uint64_t)msg->result;
	case PROTO_TAG_PARTS:
		return (uint64_t)msg->parts;
	case PROTO_TAG_MSGREF:
		return (uint64_t)(uint32_t)msg->msgref;
	case PROTO_TAG_PING:
		return msg->ping;
	default:
		return 0;
	}
}

static void
proto_msg_set_int(struct proto_msg *msg, int tag, uint64_t v)
{
	switch (tag) {
	case PROTO_TAG_PID:
		msg->pid = (uint32_t)v;
		break;
	case PROTO_TAG_UP:
		msg->up = (int)v;
		break;
	case PROTO_TAG_ID:
		msg->id = v;
		break;
	case PROTO_TAG_SENT_AT:
		msg->sent_at = (int64_t)v;
		break;
	case PROTO_TAG_REF:
		msg->ref = (int)v;
		break;
	case PROTO_TAG_TOTAL:
		msg->total = (int)v;
		break;
	case PROTO_TAG_SEQ:
		msg->seq = (int)v;
		break;
	case PROTO_TAG_JOB:
		msg->job = v;
		break;
	case PROTO_TAG_RESULT:
		msg->result = (int)v;
		break;
	case PROTO_TAG_PARTS:
		msg->parts = (int)v;
		break;
	case PROTO_TAG_MSGREF:
		msg->msgref = (int32_t)(uint32_t)v;
		break;
	case PROTO_TAG_PING:
		msg->ping = (uint32_t)v;
		break;
	}
}

/* Does a field of this kind hold v? Signed kinds hold any pattern. */
static int
proto_int_fits(enum proto_kind k, int tag, const struct proto_msg *msg)
{
	int64_t v;

	switch (tag) {
	case PROTO_TAG_UP:
		v = msg->up;
		return v == 0 || v == 1;
	case PROTO_TAG_RESULT:
		v = msg->result;
		break;
	case PROTO_TAG_REF:
		v = msg->ref;
		break;
	case PROTO_TAG_TOTAL:
		v = msg->total;
		break;
	case PROTO_TAG_SEQ:
		v = msg->seq;
		break;
	case PROTO_TAG_PARTS:
		v = msg->parts;
		break;
	default:
		return 1;
	}
	if (k == PROTO_KIND_U8)
		return v >= 0 && v <= 0xff;
	return v >= 0 && v <= 0xffff;
}

static void
proto_put_be(struct buf *b, uint64_t v, size_t width)
{
	unsigned char tmp[8];
	size_t i;

	for (i = 0; i < width; i++)
		tmp[i] = (unsigned char)(v >> (8 * (width - 1 - i)));
	buf_add(b, tmp, width);
}

static uint64_t
proto_get_be(const unsigned char *p, size_t width)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < width; i++)
		v = (v << 8) | p[i];
	return v;
}

int
proto_encode(struct buf *out, const struct proto_msg *msg)
{
	struct buf b;
	enum proto_kind k;
	const char *s;
	char **sp;
	uint32_t tags;
	size_t n, w;
	int tag;

	if ((int)msg->type < PROTO_HELLO || (int)msg->type > PROTO_TYPE_LAST)
		return -1;
	tags = proto_type_tags[msg->type];

	memset(&b, 0, sizeof b);
	proto_put_be(&b, 0, 4);		/* the length, filled in below */
	proto_put_be(&b, (uint64_t)msg->type, 1);
	for (tag = 1; tag <= PROTO_TAG_LAST; tag++) {
		if ((tags & PROTO_BIT(tag)) == 0)
			continue;
		k = proto_tag_kind(tag);
		proto_put_be(&b, (uint64_t)tag, 1);
		if (k == PROTO_KIND_STR) {
			/* The cast is safe: proto_msg_str only takes an address. */
			sp = proto_msg_str((struct proto_msg *)msg, tag);
			s = *sp != NULL ? *sp : "";
			n = strlen(s);
			if (n > 0xffff)
				goto fail;
			proto_put_be(&b, n, 2);
			buf_add(&b, s, n);
		} else {
			if (!proto_int_fits(k, tag, msg))
				goto fail;
			w = proto_kind_width(k);
			proto_put_be(&b, w, 2);
			proto_put_be(&b, proto_msg_get_int(msg, tag), w);
		}
	}
	n = b.len - 4;
	if (n > PROTO_FRAME_MAX)
		goto fail;
	b.data[0] = (char)(n >> 24);
	b.data[1] = (char)(n >> 16);
	b.data[2] = (char)(n >> 8);
	b.data[3] = (char)n;
	buf_add(out, b.data, b.len);
	buf_free(&b);
	return 0;

fail:
	buf_free(&b);
	return -1;
}

int
proto_decode(const unsigned char *p, size_t len, struct proto_msg *msg)
{
	enum proto_kind k;
	uint32_t seen = 0, want;
	size_t off, n;
	char **sp;
	int type, tag;

	if (len < 1)
		return -1;
	type = p[0];
	if (type < PROTO_HELLO || type > PROTO_TYPE_LAST)
		return -1;
	msg->type = (enum proto_type)type;
	want = proto_type_tags[type];

	off = 1;
	while (off < len) {
		if (len - off < 3)
			goto fail;
		tag = p[off];
		n = (size_t)p[off + 1] << 8 | p[off + 2];
		off += 3;
		if (n > len - off)
			goto fail;
		k = proto_tag_kind(tag);
		if (k == PROTO_KIND_NONE || (want & PROTO_BIT(tag)) == 0) {
			/* Unknown, or not this type's: skip it. */
			off += n;
			continue;
		}
		if (seen & PROTO_BIT(tag))
			goto fail;
		seen |= PROTO_BIT(tag);
		if (k == PROTO_KIND_STR) {
			if (!proto_utf8_valid((const char *)p + off, n))
				goto fail;
			sp = proto_msg_str(msg, tag);
			*sp = xstrndup((const char *)p + off, n);
		} else {
			if (n != proto_kind_width(k))
				goto fail;
			proto_msg_set_int(msg, tag, proto_get_be(p + off, n));
			if (tag == PROTO_TAG_UP && msg->up > 1)
				goto fail;
		}
		off += n;
	}
	if (seen != want)
		goto fail;
	return 0;

fail:
	proto_msg_clear(msg);
	return -1;
}

void
proto_reader_feed(struct proto_reader *r, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (r->len + n > r->cap) {
		r->cap = r->len + n < 8192 ? 8192 : (r->len + n) * 2;
		r->data = xrealloc(r->data, r->cap);
	}
	memcpy(r->data + r->len, p, n);
	r->len += n;
}

int
proto_reader_next(struct proto_reader *r, struct proto_msg *msg)
{
	size_t n;
	int rc;

	memset(msg, 0, sizeof *msg);
	if (r->len < 4)
		return 0;
	n = (size_t)proto_get_be(r->data, 4);
	if (n == 0 || n > PROTO_FRAME_MAX)
		return -1;
	if (r->len - 4 < n)
		return 0;
	rc = proto_decode(r->data + 4, n, msg);
	memmove(r->data, r->data + 4 + n, r->len - 4 - n);
	r->len -= 4 + n;
	return rc == 0 ? 1 : -1;
}

void
proto_reader_free(struct proto_reader *r)
{
	free(r->data);
	memset(r, 0, sizeof *r);
}

void
proto_msg_clear(struct proto_msg *msg)
{
	free(msg->why);
	free(msg->sender);
	free(msg->smsc);
	free(msg->text);
	free(msg->error);
	free(msg->number);
	memset(msg, 0, sizeof *msg);
}

const char *
proto_type_name(int type)
{
	static const char *names[] = {
		"?", "HELLO", "STATE", "PART", "RESULT", "PONG", "PING", "ACK",
		"SEND"
	};

	if (type < 0 || type > PROTO_TYPE_LAST)
		return "?";
	return names[type];
}

int
proto_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, j;
	uint32_t c, min;

	while (i < len) {
		c = p[i];
		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			n = 1;
			c &= 0x1f;
			min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			c &= 0x0f;
			min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			c &= 0x07;
			min = 0x10000;
		} else
			return 0;
		if (len - i - 1 < n)
			return 0;
		for (j = 1; j <= n; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return 0;
			c = (c << 6) | (p[i + j] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

int
proto_write_all(int fd, const void *p, size_t n)
{
	const char *s = p;
	struct pollfd pfd;
	ssize_t w;

	while (n > 0) {
		w = write(fd, s, n);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -1;
			pfd.fd = fd;
			pfd.events = POLLOUT;
			if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
				return -1;
			continue;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int
proto_read_some(int fd, struct proto_reader *r, int timeout_ms)
{
	struct pollfd pfd;
	char tmp[8192];
	ssize_t n;
	int rc;

	pfd.fd = fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	rc = poll(&pfd, 1, timeout_ms);
	if (rc == -1)
		return errno == EINTR ? 0 : -1;
	if (rc == 0)
		return 0;
	n = read(fd, tmp, sizeof tmp);
	if (n == -1) {
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return -1;
	}
	if (n == 0) {
		errno = 0;
		return -1;
	}
	proto_reader_feed(r, tmp, (size_t)n);
	return (int)n;
}
