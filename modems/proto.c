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
	PROTO_KIND_STR,
	PROTO_KIND_I32S		/* a list of i32, 4 bytes each */
};

#define PROTO_TAG_LAST	PROTO_TAG_SKIP
#define PROTO_BIT(t)	(UINT64_C(1) << (t))

/* The tags each type carries; all are mandatory. */
static const uint64_t proto_type_tags[] = {
	[PROTO_HELLO] = PROTO_BIT(PROTO_TAG_PID),
	[PROTO_STATE] = PROTO_BIT(PROTO_TAG_UP) | PROTO_BIT(PROTO_TAG_WHY),
	[PROTO_PART] = PROTO_BIT(PROTO_TAG_ID) | PROTO_BIT(PROTO_TAG_SENDER) |
	    PROTO_BIT(PROTO_TAG_SMSC) | PROTO_BIT(PROTO_TAG_SENT_AT) |
	    PROTO_BIT(PROTO_TAG_REF) | PROTO_BIT(PROTO_TAG_TOTAL) |
	    PROTO_BIT(PROTO_TAG_SEQ) | PROTO_BIT(PROTO_TAG_TEXT) |
	    PROTO_BIT(PROTO_TAG_LOCATION) | PROTO_BIT(PROTO_TAG_BINARY),
	[PROTO_RESULT] = PROTO_BIT(PROTO_TAG_JOB) |
	    PROTO_BIT(PROTO_TAG_RESULT) | PROTO_BIT(PROTO_TAG_PARTS) |
	    PROTO_BIT(PROTO_TAG_PARTS_SENT) | PROTO_BIT(PROTO_TAG_MSGREFS) |
	    PROTO_BIT(PROTO_TAG_CMS) | PROTO_BIT(PROTO_TAG_ERROR),
	[PROTO_PONG] = PROTO_BIT(PROTO_TAG_PING),
	[PROTO_PING] = PROTO_BIT(PROTO_TAG_PING),
	[PROTO_ACK] = PROTO_BIT(PROTO_TAG_ID),
	[PROTO_SEND] = PROTO_BIT(PROTO_TAG_JOB) | PROTO_BIT(PROTO_TAG_NUMBER) |
	    PROTO_BIT(PROTO_TAG_TEXT) | PROTO_BIT(PROTO_TAG_REPORT) |
	    PROTO_BIT(PROTO_TAG_SKIP),
	[PROTO_CALL] = PROTO_BIT(PROTO_TAG_NUMBER) | PROTO_BIT(PROTO_TAG_AT),
	[PROTO_HEALTH] = PROTO_BIT(PROTO_TAG_SIGNAL) |
	    PROTO_BIT(PROTO_TAG_BATTERY) | PROTO_BIT(PROTO_TAG_NETWORK) |
	    PROTO_BIT(PROTO_TAG_OP_CODE) | PROTO_BIT(PROTO_TAG_OP_NAME) |
	    PROTO_BIT(PROTO_TAG_SIM_USED) | PROTO_BIT(PROTO_TAG_SIM_TOTAL),
	[PROTO_REPORT] = PROTO_BIT(PROTO_TAG_ID) | PROTO_BIT(PROTO_TAG_MSGREF) |
	    PROTO_BIT(PROTO_TAG_NUMBER) | PROTO_BIT(PROTO_TAG_STATUS) |
	    PROTO_BIT(PROTO_TAG_AT),
	[PROTO_USSD] = PROTO_BIT(PROTO_TAG_TEXT) | PROTO_BIT(PROTO_TAG_ERROR),
	[PROTO_PART_SENT] = PROTO_BIT(PROTO_TAG_JOB) | PROTO_BIT(PROTO_TAG_SEQ) |
	    PROTO_BIT(PROTO_TAG_MSGREF)
};
#define PROTO_TYPE_LAST	PROTO_PART_SENT

static enum proto_kind
proto_tag_kind(int tag)
{
	switch (tag) {
	case PROTO_TAG_UP:
	case PROTO_TAG_RESULT:
	case PROTO_TAG_STATUS:
	case PROTO_TAG_REPORT:
	case PROTO_TAG_BINARY:
		return PROTO_KIND_U8;
	case PROTO_TAG_REF:
	case PROTO_TAG_TOTAL:
	case PROTO_TAG_SEQ:
	case PROTO_TAG_PARTS:
	case PROTO_TAG_PARTS_SENT:
		return PROTO_KIND_U16;
	case PROTO_TAG_PID:
	case PROTO_TAG_PING:
		return PROTO_KIND_U32;
	case PROTO_TAG_MSGREF:
	case PROTO_TAG_SIGNAL:
	case PROTO_TAG_BATTERY:
	case PROTO_TAG_SIM_USED:
	case PROTO_TAG_SIM_TOTAL:
	case PROTO_TAG_CMS:
	case PROTO_TAG_LOCATION:
		return PROTO_KIND_I32;
	case PROTO_TAG_ID:
	case PROTO_TAG_JOB:
	case PROTO_TAG_SKIP:
		return PROTO_KIND_U64;
	case PROTO_TAG_SENT_AT:
	case PROTO_TAG_AT:
		return PROTO_KIND_I64;
	case PROTO_TAG_WHY:
	case PROTO_TAG_SENDER:
	case PROTO_TAG_SMSC:
	case PROTO_TAG_TEXT:
	case PROTO_TAG_ERROR:
	case PROTO_TAG_NUMBER:
	case PROTO_TAG_NETWORK:
	case PROTO_TAG_OP_CODE:
	case PROTO_TAG_OP_NAME:
		return PROTO_KIND_STR;
	case PROTO_TAG_MSGREFS:
		return PROTO_KIND_I32S;
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
	case PROTO_TAG_NETWORK:
		return &msg->network;
	case PROTO_TAG_OP_CODE:
		return &msg->op_code;
	case PROTO_TAG_OP_NAME:
		return &msg->op_name;
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
	case PROTO_TAG_SKIP:
		return msg->skip;
	case PROTO_TAG_RESULT:
		return (uint64_t)msg->result;
	case PROTO_TAG_PARTS:
		return (uint64_t)msg->parts;
	case PROTO_TAG_MSGREF:
		return (uint64_t)(uint32_t)msg->msgref;
	case PROTO_TAG_PING:
		return msg->ping;
	case PROTO_TAG_AT:
		return (uint64_t)msg->at;
	case PROTO_TAG_SIGNAL:
		return (uint64_t)(uint32_t)msg->signal;
	case PROTO_TAG_BATTERY:
		return (uint64_t)(uint32_t)msg->battery;
	case PROTO_TAG_SIM_USED:
		return (uint64_t)(uint32_t)msg->sim_used;
	case PROTO_TAG_SIM_TOTAL:
		return (uint64_t)(uint32_t)msg->sim_total;
	case PROTO_TAG_STATUS:
		return (uint64_t)msg->status;
	case PROTO_TAG_PARTS_SENT:
		return (uint64_t)msg->parts_sent;
	case PROTO_TAG_CMS:
		return (uint64_t)(uint32_t)msg->cms;
	case PROTO_TAG_REPORT:
		return (uint64_t)msg->report;
	case PROTO_TAG_LOCATION:
		return (uint64_t)(uint32_t)msg->location;
	case PROTO_TAG_BINARY:
		return (uint64_t)msg->binary;
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
	case PROTO_TAG_SKIP:
		msg->skip = v;
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
	case PROTO_TAG_AT:
		msg->at = (int64_t)v;
		break;
	case PROTO_TAG_SIGNAL:
		msg->signal = (int32_t)(uint32_t)v;
		break;
	case PROTO_TAG_BATTERY:
		msg->battery = (int32_t)(uint32_t)v;
		break;
	case PROTO_TAG_SIM_USED:
		msg->sim_used = (int32_t)(uint32_t)v;
		break;
	case PROTO_TAG_SIM_TOTAL:
		msg->sim_total = (int32_t)(uint32_t)v;
		break;
	case PROTO_TAG_STATUS:
		msg->status = (int)v;
		break;
	case PROTO_TAG_PARTS_SENT:
		msg->parts_sent = (int)v;
		break;
	case PROTO_TAG_CMS:
		msg->cms = (int32_t)(uint32_t)v;
		break;
	case PROTO_TAG_REPORT:
		msg->report = (int)v;
		break;
	case PROTO_TAG_LOCATION:
		msg->location = (int32_t)(uint32_t)v;
		break;
	case PROTO_TAG_BINARY:
		msg->binary = (int)v;
		break;
	}
}

/*
 * The range a small field's value must be in, beyond its width: flags are
 * 0/1, a delivery status is an enum modem_delivery. 0/1, for the decoder
 * and the encoder alike.
 */
static int
proto_value_ok(int tag, int64_t v)
{
	switch (tag) {
	case PROTO_TAG_UP:
	case PROTO_TAG_REPORT:
	case PROTO_TAG_BINARY:
		return v == 0 || v == 1;
	case PROTO_TAG_STATUS:
		return v >= 0 && v <= PROTO_STATUS_MAX;
	default:
		return 1;
	}
}

/* Checks across fields, once all are in: 0/1. */
static int
proto_msg_consistent(const struct proto_msg *msg)
{
	if (msg->type == PROTO_RESULT && msg->parts_sent > msg->parts)
		return 0;
	return 1;
}

/* Does a field of this kind hold v? Signed kinds hold any pattern. */
static int
proto_int_fits(enum proto_kind k, int tag, const struct proto_msg *msg)
{
	int64_t v;

	switch (tag) {
	case PROTO_TAG_UP:
		return proto_value_ok(tag, msg->up);
	case PROTO_TAG_REPORT:
		return proto_value_ok(tag, msg->report);
	case PROTO_TAG_STATUS:
		return proto_value_ok(tag, msg->status);
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
	case PROTO_TAG_PARTS_SENT:
		v = msg->parts_sent;
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
	uint64_t tags;
	size_t n, w, i;
	int tag;

	if ((int)msg->type < PROTO_HELLO || (int)msg->type > PROTO_TYPE_LAST)
		return -1;
	if (!proto_msg_consistent(msg))
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
		} else if (k == PROTO_KIND_I32S) {
			/* One entry per sent part: parts_sent says how many. */
			n = (size_t)msg->parts_sent;
			if (n > PROTO_MSGREFS_MAX || (n > 0 && msg->msgrefs == NULL))
				goto fail;
			proto_put_be(&b, 4 * n, 2);
			for (i = 0; i < n; i++)
				proto_put_be(&b, (uint32_t)msg->msgrefs[i], 4);
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
	uint64_t seen = 0, want;
	size_t off, n, i;
	char **sp;
	int type, tag, nrefs = -1;

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
		} else if (k == PROTO_KIND_I32S) {
			if (n % 4 != 0)
				goto fail;
			nrefs = (int)(n / 4);
			if (nrefs > 0) {
				msg->msgrefs = xcalloc((size_t)nrefs,
				    sizeof *msg->msgrefs);
				for (i = 0; i < (size_t)nrefs; i++)
					msg->msgrefs[i] = (int32_t)(uint32_t)
					    proto_get_be(p + off + 4 * i, 4);
			}
		} else {
			if (n != proto_kind_width(k))
				goto fail;
			proto_msg_set_int(msg, tag, proto_get_be(p + off, n));
			if (!proto_value_ok(tag,
			    (int64_t)proto_get_be(p + off, n)))
				goto fail;
		}
		off += n;
	}
	if (seen != want)
		goto fail;
	/* The list is as long as parts_sent says, which parts bounds. */
	if ((want & PROTO_BIT(PROTO_TAG_MSGREFS)) &&
	    nrefs != msg->parts_sent)
		goto fail;
	if (!proto_msg_consistent(msg))
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
	free(msg->network);
	free(msg->op_code);
	free(msg->op_name);
	free(msg->msgrefs);
	memset(msg, 0, sizeof *msg);
}

const char *
proto_type_name(int type)
{
	static const char *names[] = {
		"?", "HELLO", "STATE", "PART", "RESULT", "PONG", "PING", "ACK",
		"SEND", "CALL", "HEALTH", "REPORT", "USSD", "PART_SENT"
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
