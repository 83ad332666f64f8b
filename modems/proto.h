/*
 * proto — the framed protocol between the daemon and a modem worker, over
 * a SOCK_STREAM socketpair.
 *
 * frame   = u32 length (big-endian, 1..PROTO_FRAME_MAX) + payload
 * payload = u8 type + fields
 * field   = u8 tag + u16 length (big-endian) + value
 *
 * Integers are fixed-width big-endian (the width is part of the tag's
 * definition); strings are UTF-8 without NUL bytes; an i32 list is its
 * entries back to back (length a multiple of 4, possibly 0). Each type has
 * a set of mandatory tags; a missing or repeated tag, a field of the wrong
 * width, a field running past the payload, invalid UTF-8, a flag or enum
 * out of its range, or a RESULT whose parts_sent exceeds parts or differs
 * from its number of msgrefs makes the frame malformed, and a malformed
 * frame is a protocol error that ends the connection. Unknown tags are
 * skipped, so a field can be added later. The encoder refuses exactly what
 * the decoder would refuse, so whatever decodes encodes again.
 *
 * The encoder appends frames to a struct buf; the reader takes bytes as
 * they come and yields complete, checked messages.
 */
#ifndef CUNGATE_PROTO_H
#define CUNGATE_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/util.h"

#define PROTO_FRAME_MAX	65536	/* largest payload; bigger is an error */

enum proto_type {
	/* worker -> daemon */
	PROTO_HELLO = 1,	/* pid */
	PROTO_STATE = 2,	/* up, why */
	PROTO_PART = 3,		/* id, sender, smsc, sent_at, ref, total,
				   seq, text, location, binary */
	PROTO_RESULT = 4,	/* job, result, parts, parts_sent, msgrefs,
				   cms, error */
	PROTO_PONG = 5,		/* seq */
	/* daemon -> worker */
	PROTO_PING = 6,		/* seq */
	PROTO_ACK = 7,		/* id */
	PROTO_SEND = 8,		/* job, number, text, report, skip */
	/* worker -> daemon */
	PROTO_CALL = 9,		/* number, at */
	PROTO_HEALTH = 10,	/* signal, battery, network, op_code,
				   op_name, sim_used, sim_total */
	PROTO_REPORT = 11,	/* id, msgref, number, status, at */
	PROTO_USSD = 12,	/* text, error: the network's answer to the
				   balance code ("" and why when none) */
	PROTO_PART_SENT = 13	/* job, seq, msgref: the network took part
				   seq of job (its +CMGS), before RESULT */
};

enum proto_tag {
	PROTO_TAG_PID = 1,	/* u32 */
	PROTO_TAG_UP = 2,	/* u8: 0 down, 1 up */
	PROTO_TAG_WHY = 3,	/* string */
	PROTO_TAG_ID = 4,	/* u64 */
	PROTO_TAG_SENDER = 5,	/* string */
	PROTO_TAG_SMSC = 6,	/* string */
	PROTO_TAG_SENT_AT = 7,	/* i64, seconds since the epoch */
	PROTO_TAG_REF = 8,	/* u16 */
	PROTO_TAG_TOTAL = 9,	/* u16 */
	PROTO_TAG_SEQ = 10,	/* u16 */
	PROTO_TAG_TEXT = 11,	/* string */
	PROTO_TAG_JOB = 12,	/* u64 */
	PROTO_TAG_RESULT = 13,	/* u8: enum modem_result */
	PROTO_TAG_PARTS = 14,	/* u16 */
	PROTO_TAG_MSGREF = 15,	/* i32 */
	PROTO_TAG_ERROR = 16,	/* string */
	PROTO_TAG_PING = 17,	/* u32: the PING/PONG sequence number */
	PROTO_TAG_NUMBER = 18,	/* string */
	PROTO_TAG_AT = 19,	/* i64, seconds since the epoch */
	PROTO_TAG_SIGNAL = 20,	/* i32: percent, -1 unknown */
	PROTO_TAG_BATTERY = 21,	/* i32: percent, -1 unknown */
	PROTO_TAG_NETWORK = 22,	/* string: "home", "roaming", ... or "" */
	PROTO_TAG_OP_CODE = 23,	/* string: "46000" or "" */
	PROTO_TAG_OP_NAME = 24,	/* string */
	PROTO_TAG_SIM_USED = 25,	/* i32, -1 unknown */
	PROTO_TAG_SIM_TOTAL = 26,	/* i32, -1 unknown */
	PROTO_TAG_STATUS = 27,	/* u8: enum modem_delivery, 0..2 */
	PROTO_TAG_PARTS_SENT = 28,	/* u16, <= parts */
	PROTO_TAG_MSGREFS = 29,	/* i32 list: one per sent part */
	PROTO_TAG_CMS = 30,	/* i32: +CMS ERROR code, -1 none */
	PROTO_TAG_REPORT = 31,	/* u8: 0/1, ask for status reports */
	PROTO_TAG_LOCATION = 32,	/* i32: the SIM location read from */
	PROTO_TAG_BINARY = 33,	/* u8: 0/1, 8-bit data (WAP push, OTA) */
	PROTO_TAG_SKIP = 34	/* u64: bit i set, part i + 1 went already */
};

#define PROTO_STATUS_MAX	2	/* highest enum modem_delivery */
#define PROTO_MSGREFS_MAX	(0xffff / 4)	/* entries in one field */

/*
 * One message, all types in one flat struct: only the fields of its type
 * are meaningful. Strings and msgrefs are owned by the message
 * (proto_msg_clear frees them); encoding treats a NULL string as "".
 * msgrefs has parts_sent entries (NULL when parts_sent is 0).
 */
struct proto_msg {
	enum proto_type	 type;
	uint32_t	 pid;
	int		 up;
	char		*why;
	uint64_t	 id;
	char		*sender;
	char		*smsc;
	int64_t		 sent_at;
	int		 ref;		/* 0..65535 */
	int		 total;		/* 0..65535 */
	int		 seq;		/* 0..65535 */
	char		*text;
	uint64_t	 job;
	int		 result;	/* 0..255 */
	int		 parts;		/* 0..65535 */
	int32_t		 msgref;
	char		*error;
	uint32_t	 ping;
	char		*number;
	int64_t		 at;
	int32_t		 signal;
	int32_t		 battery;
	char		*network;
	char		*op_code;
	char		*op_name;
	int32_t		 sim_used;
	int32_t		 sim_total;
	int		 status;	/* 0..PROTO_STATUS_MAX */
	int		 parts_sent;	/* 0..parts */
	int32_t		*msgrefs;	/* parts_sent entries, owned */
	int32_t		 cms;
	int		 report;	/* 0/1 */
	int32_t		 location;
	int		 binary;	/* 0/1 */
	uint64_t	 skip;		/* SEND: parts not to send again */
};

/* The bytes being read from one connection. Zero it to start. */
struct proto_reader {
	unsigned char	*data;
	size_t		 len;
	size_t		 cap;
};

/*
 * Append msg as one frame to out. Returns 0, or -1 if a field does not
 * fit (a string over 65535 bytes, an integer out of its range, a frame
 * over PROTO_FRAME_MAX) or the type is unknown; out is unchanged then.
 */
int	 proto_encode(struct buf *out, const struct proto_msg *msg);

/*
 * Decode one payload (type and fields, without the length prefix) into
 * msg, which the caller zeroes first and clears after. Returns 0, or -1
 * with msg cleared if the payload is malformed.
 */
int	 proto_decode(const unsigned char *payload, size_t len,
	    struct proto_msg *msg);

/* Take n more bytes from the connection (copied). */
void	 proto_reader_feed(struct proto_reader *, const void *, size_t);
/*
 * The next complete frame, decoded into msg (zeroed by this function; the
 * caller clears it). Returns 1 for a message, 0 when more bytes are
 * needed, -1 on a protocol error (oversized or malformed frame; the
 * connection is unusable after that).
 */
int	 proto_reader_next(struct proto_reader *, struct proto_msg *msg);
/* Free the reader's buffer; it can be fed again afterwards. */
void	 proto_reader_free(struct proto_reader *);

/* Free msg's strings and zero it. */
void	 proto_msg_clear(struct proto_msg *);
/* The name of a message type for log lines ("PART", "?" if unknown). */
const char *proto_type_name(int type);

/* Is s[0..len) valid UTF-8 (no overlongs, surrogates or NULs)? 0/1. */
int	 proto_utf8_valid(const char *s, size_t len);

/*
 * Blocking helpers for the worker, whose fd may be non-blocking.
 * proto_write_all writes all n bytes, waiting with poll as needed: 0, or
 * -1 with errno. proto_read_some waits up to timeout_ms (-1: for ever) for
 * the fd to be readable and feeds what it reads to r: the number of bytes
 * read, 0 on timeout, or -1 on end of file (errno 0) or error.
 */
int	 proto_write_all(int fd, const void *, size_t n);
int	 proto_read_some(int fd, struct proto_reader *r, int timeout_ms);

#endif
