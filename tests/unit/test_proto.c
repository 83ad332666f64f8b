/*
 * test_proto — the daemon/worker frame codec: round trips, byte-at-a-time
 * reading, and malformed input that must be rejected without reading out
 * of bounds (run under ASan).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "gateway/util.h"
#include "modems/proto.h"

static void
test_proto_part_msg(struct proto_msg *m)
{
	memset(m, 0, sizeof *m);
	m->type = PROTO_PART;
	m->id = 0x0102030405060708ULL;
	m->sender = xstrdup("+8613912345678");
	m->smsc = xstrdup("+8613800100500");
	m->sent_at = -5;
	m->ref = 0xabcd;
	m->total = 3;
	m->seq = 2;
	m->text = xstrdup("路灯坏了 lamp");
}

/* Encode then decode every type; the fields come back. */
static void
test_proto_roundtrip(void **state)
{
	struct proto_reader r;
	struct proto_msg in, out;
	struct buf b;
	int32_t refs[2] = { 255, -1 };

	(void)state;
	memset(&b, 0, sizeof b);
	memset(&r, 0, sizeof r);

	test_proto_part_msg(&in);
	assert_int_equal(proto_encode(&b, &in), 0);
	proto_msg_clear(&in);

	memset(&in, 0, sizeof in);
	in.type = PROTO_RESULT;
	in.job = 77;
	in.result = 2;
	in.parts = 3;
	in.parts_sent = 2;
	in.msgrefs = refs;
	in.cms = 38;
	in.error = NULL;		/* encoded as "" */
	assert_int_equal(proto_encode(&b, &in), 0);

	memset(&in, 0, sizeof in);
	in.type = PROTO_RESULT;		/* nothing sent: an empty list */
	in.job = 78;
	in.parts = 1;
	in.cms = -1;
	in.error = "invalid number";
	assert_int_equal(proto_encode(&b, &in), 0);

	memset(&in, 0, sizeof in);
	in.type = PROTO_STATE;
	in.up = 1;
	in.why = "connected";
	assert_int_equal(proto_encode(&b, &in), 0);

	memset(&in, 0, sizeof in);
	in.type = PROTO_SEND;
	in.job = UINT64_MAX;
	in.number = "+8613912345678";
	in.text = "";
	in.report = 1;
	in.skip = UINT64_C(1) << 63 | 5;
	assert_int_equal(proto_encode(&b, &in), 0);

	memset(&in, 0, sizeof in);
	in.type = PROTO_CALL;
	in.number = "+8613912345678";
	in.at = 1795000000;
	assert_int_equal(proto_encode(&b, &in), 0);

	memset(&in, 0, sizeof in);
	in.type = PROTO_HEALTH;
	in.signal = 42;
	in.battery = -1;
	in.network = "roaming";
	in.op_code = "46000";
	in.op_name = "中国移动";
	in.sim_used = 0;
	in.sim_total = INT32_MAX;
	assert_int_equal(proto_encode(&b, &in), 0);

	memset(&in, 0, sizeof in);
	in.type = PROTO_REPORT;
	in.id = 9;
	in.msgref = 200;
	in.number = "+8613912345678";
	in.status = 2;
	in.at = -1;
	assert_int_equal(proto_encode(&b, &in), 0);

	memset(&in, 0, sizeof in);
	in.type = PROTO_PART_SENT;
	in.job = 77;
	in.seq = 2;
	in.msgref = 255;
	assert_int_equal(proto_encode(&b, &in), 0);

	memset(&in, 0, sizeof in);
	in.type = PROTO_PING;
	in.ping = 0xdeadbeef;
	assert_int_equal(proto_encode(&b, &in), 0);

	proto_reader_feed(&r, b.data, b.len);

	assert_int_equal(proto_reader_next(&r, &out), 1);
	assert_int_equal(out.type, PROTO_PART);
	assert_true(out.id == 0x0102030405060708ULL);
	assert_string_equal(out.sender, "+8613912345678");
	assert_string_equal(out.smsc, "+8613800100500");
	assert_true(out.sent_at == -5);
	assert_int_equal(out.ref, 0xabcd);
	assert_int_equal(out.total, 3);
	assert_int_equal(out.seq, 2);
	assert_string_equal(out.text, "路灯坏了 lamp");
	proto_msg_clear(&out);

	assert_int_equal(proto_reader_next(&r, &out), 1);
	assert_int_equal(out.type, PROTO_RESULT);
	assert_true(out.job == 77);
	assert_int_equal(out.result, 2);
	assert_int_equal(out.parts, 3);
	assert_int_equal(out.parts_sent, 2);
	assert_non_null(out.msgrefs);
	assert_int_equal(out.msgrefs[0], 255);
	assert_int_equal(out.msgrefs[1], -1);
	assert_int_equal(out.cms, 38);
	assert_string_equal(out.error, "");
	proto_msg_clear(&out);

	assert_int_equal(proto_reader_next(&r, &out), 1);
	assert_int_equal(out.type, PROTO_RESULT);
	assert_true(out.job == 78);
	assert_int_equal(out.parts, 1);
	assert_int_equal(out.parts_sent, 0);
	assert_null(out.msgrefs);
	assert_int_equal(out.cms, -1);
	assert_string_equal(out.error, "invalid number");
	proto_msg_clear(&out);

	assert_int_equal(proto_reader_next(&r, &out), 1);
	assert_int_equal(out.type, PROTO_STATE);
	assert_int_equal(out.up, 1);
	assert_string_equal(out.why, "connected");
	proto_msg_clear(&out);

	assert_int_equal(proto_reader_next(&r, &out), 1);
	assert_int_equal(out.type, PROTO_SEND);
	assert_true(out.job == UINT64_MAX);
	assert_string_equal(out.text, "");
	assert_int_equal(out.report, 1);
	assert_true(out.skip == (UINT64_C(1) << 63 | 5));
	proto_msg_clear(&out);

	assert_int_equal(proto_reader_next(&r, &out), 1);
	assert_int_equal(out.type, PROTO_CALL);
	assert_string_equal(out.number, "+8613912345678");
	assert_true(out.at == 1795000000);
	proto_msg_clear(&out);

	assert_int_equal(proto_reader_next(&r, &out), 1);
	assert_int_equal(out.type, PROTO_HEALTH);
	assert_int_equal(out.signal, 42);
	assert_int_equal(out.battery, -1);
	assert_string_equal(out.network, "roaming");
	assert_string_equal(out.op_code, "46000");
	assert_string_equal(out.op_name, "中国移动");
	assert_int_equal(out.sim_used, 0);
	assert_int_equal(out.sim_total, INT32_MAX);
	proto_msg_clear(&out);

	assert_int_equal(proto_reader_next(&r, &out), 1);
	assert_int_equal(out.type, PROTO_REPORT);
	assert_int_equal(out.id, 9);
	assert_int_equal(out.msgref, 200);
	assert_string_equal(out.number, "+8613912345678");
	assert_int_equal(out.status, 2);
	assert_true(out.at == -1);
	proto_msg_clear(&out);

	assert_int_equal(proto_reader_next(&r, &out), 1);
	assert_int_equal(out.type, PROTO_PART_SENT);
	assert_true(out.job == 77);
	assert_int_equal(out.seq, 2);
	assert_int_equal(out.msgref, 255);
	proto_msg_clear(&out);

	assert_int_equal(proto_reader_next(&r, &out), 1);
	assert_int_equal(out.type, PROTO_PING);
	assert_true(out.ping == 0xdeadbeef);
	proto_msg_clear(&out);

	assert_int_equal(proto_reader_next(&r, &out), 0);
	assert_int_equal(r.len, 0);
	proto_reader_free(&r);
	buf_free(&b);
}

/* Frames fed one byte at a time come out whole, once. */
static void
test_proto_incremental(void **state)
{
	struct proto_reader r;
	struct proto_msg in, out;
	struct buf b;
	size_t i;
	int got = 0, rc;

	(void)state;
	memset(&b, 0, sizeof b);
	memset(&r, 0, sizeof r);
	test_proto_part_msg(&in);
	assert_int_equal(proto_encode(&b, &in), 0);
	assert_int_equal(proto_encode(&b, &in), 0);
	proto_msg_clear(&in);

	for (i = 0; i < b.len; i++) {
		proto_reader_feed(&r, b.data + i, 1);
		while ((rc = proto_reader_next(&r, &out)) == 1) {
			assert_string_equal(out.text, "路灯坏了 lamp");
			proto_msg_clear(&out);
			got++;
		}
		assert_int_equal(rc, 0);
	}
	assert_int_equal(got, 2);
	proto_reader_free(&r);
	buf_free(&b);
}

/* Values that do not fit their field are refused by the encoder. */
static void
test_proto_encode_limits(void **state)
{
	struct proto_msg in;
	struct buf b;
	char *big;
	int32_t refs[2] = { 1, 2 };

	(void)state;
	memset(&b, 0, sizeof b);
	test_proto_part_msg(&in);
	in.seq = 70000;
	assert_int_equal(proto_encode(&b, &in), -1);
	in.seq = -1;
	assert_int_equal(proto_encode(&b, &in), -1);
	in.seq = 1;
	free(in.text);
	big = xmalloc(70000);
	memset(big, 'a', 69999);
	big[69999] = '\0';
	in.text = big;
	assert_int_equal(proto_encode(&b, &in), -1);
	assert_int_equal(b.len, 0);
	proto_msg_clear(&in);

	memset(&in, 0, sizeof in);
	in.type = 99;
	assert_int_equal(proto_encode(&b, &in), -1);
	memset(&in, 0, sizeof in);
	in.type = PROTO_STATE;
	in.up = 2;
	assert_int_equal(proto_encode(&b, &in), -1);

	memset(&in, 0, sizeof in);
	in.type = PROTO_SEND;
	in.report = 2;
	assert_int_equal(proto_encode(&b, &in), -1);
	memset(&in, 0, sizeof in);
	in.type = PROTO_REPORT;
	in.status = 3;
	assert_int_equal(proto_encode(&b, &in), -1);
	in.status = -1;
	assert_int_equal(proto_encode(&b, &in), -1);

	/* RESULT: more parts sent than parts, or no list to go with them. */
	memset(&in, 0, sizeof in);
	in.type = PROTO_RESULT;
	in.parts = 1;
	in.parts_sent = 2;
	in.msgrefs = refs;
	assert_int_equal(proto_encode(&b, &in), -1);
	in.parts = 2;
	in.msgrefs = NULL;
	assert_int_equal(proto_encode(&b, &in), -1);
	in.parts = 20000;
	in.parts_sent = 20000;		/* 80000 bytes: over a field */
	in.msgrefs = xcalloc(20000, sizeof *in.msgrefs);
	assert_int_equal(proto_encode(&b, &in), -1);
	free(in.msgrefs);
	in.parts_sent = -1;
	in.msgrefs = NULL;
	assert_int_equal(proto_encode(&b, &in), -1);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

/* Decode a payload given as bytes; returns proto_decode's result. */
static int
test_proto_decode_bytes(const unsigned char *p, size_t n)
{
	struct proto_msg m;
	unsigned char *copy;
	int rc;

	/* An exact-size heap copy, so ASan sees any read past the end. */
	copy = xmalloc(n);
	memcpy(copy, p, n);
	memset(&m, 0, sizeof m);
	rc = proto_decode(copy, n, &m);
	proto_msg_clear(&m);
	free(copy);
	return rc;
}

static void
test_proto_malformed(void **state)
{
	/* ACK: type 7, tag 4 (u64) */
	static const unsigned char ok[] = { 7, 4, 0, 8, 0, 0, 0, 0, 0, 0, 0, 9 };
	static const unsigned char empty[] = { 0 };
	static const unsigned char badtype[] = { 42 };
	static const unsigned char missing[] = { 7 };
	static const unsigned char shortw[] = { 7, 4, 0, 4, 0, 0, 0, 9 };
	static const unsigned char past[] = { 7, 4, 0, 9, 0, 0, 0, 0, 0, 0, 0, 9 };
	static const unsigned char half[] = { 7, 4, 0 };
	static const unsigned char dup[] = { 7, 4, 0, 8, 0, 0, 0, 0, 0, 0, 0, 9,
	    4, 0, 8, 0, 0, 0, 0, 0, 0, 0, 9 };
	static const unsigned char unknown[] = { 7, 200, 0, 2, 'x', 'y',
	    4, 0, 8, 0, 0, 0, 0, 0, 0, 0, 9 };
	/* STATE with invalid UTF-8, an embedded NUL, a surrogate, up=2 */
	static const unsigned char badutf[] = { 2, 2, 0, 1, 1, 3, 0, 2, 0xc3, 0x28 };
	static const unsigned char nul[] = { 2, 2, 0, 1, 1, 3, 0, 2, 'a', 0 };
	static const unsigned char surr[] = { 2, 2, 0, 1, 1, 3, 0, 3,
	    0xed, 0xa0, 0x80 };
	static const unsigned char overlong[] = { 2, 2, 0, 1, 1, 3, 0, 2,
	    0xc0, 0xaf };
	static const unsigned char truncutf[] = { 2, 2, 0, 1, 1, 3, 0, 2,
	    0xe8, 0xb7 };
	static const unsigned char up2[] = { 2, 2, 0, 1, 2, 3, 0, 0 };
	static const unsigned char stateok[] = { 2, 2, 0, 1, 0, 3, 0, 3,
	    0xe8, 0xb7, 0xaf };

	(void)state;
	assert_int_equal(test_proto_decode_bytes(ok, sizeof ok), 0);
	assert_int_equal(test_proto_decode_bytes(empty, 0), -1);
	assert_int_equal(test_proto_decode_bytes(empty, sizeof empty), -1);
	assert_int_equal(test_proto_decode_bytes(badtype, sizeof badtype), -1);
	assert_int_equal(test_proto_decode_bytes(missing, sizeof missing), -1);
	assert_int_equal(test_proto_decode_bytes(shortw, sizeof shortw), -1);
	assert_int_equal(test_proto_decode_bytes(past, sizeof past), -1);
	assert_int_equal(test_proto_decode_bytes(half, sizeof half), -1);
	assert_int_equal(test_proto_decode_bytes(dup, sizeof dup), -1);
	assert_int_equal(test_proto_decode_bytes(unknown, sizeof unknown), 0);
	assert_int_equal(test_proto_decode_bytes(badutf, sizeof badutf), -1);
	assert_int_equal(test_proto_decode_bytes(nul, sizeof nul), -1);
	assert_int_equal(test_proto_decode_bytes(surr, sizeof surr), -1);
	assert_int_equal(test_proto_decode_bytes(overlong, sizeof overlong),
	    -1);
	assert_int_equal(test_proto_decode_bytes(truncutf, sizeof truncutf),
	    -1);
	assert_int_equal(test_proto_decode_bytes(up2, sizeof up2), -1);
	assert_int_equal(test_proto_decode_bytes(stateok, sizeof stateok), 0);
}

/*
 * A RESULT payload: job 1, result 0, parts, parts_sent, a msgrefs field of
 * nbytes (entries 0x01020304...), cms -1, error "". Returns its length.
 */
static size_t
test_proto_result_bytes(unsigned char *p, int parts, int sent, size_t nbytes)
{
	size_t n = 0, i;

	p[n++] = PROTO_RESULT;
	p[n++] = PROTO_TAG_JOB; p[n++] = 0; p[n++] = 8;
	for (i = 0; i < 8; i++)
		p[n++] = i == 7;
	p[n++] = PROTO_TAG_RESULT; p[n++] = 0; p[n++] = 1; p[n++] = 0;
	p[n++] = PROTO_TAG_PARTS; p[n++] = 0; p[n++] = 2;
	p[n++] = (unsigned char)(parts >> 8); p[n++] = (unsigned char)parts;
	p[n++] = PROTO_TAG_PARTS_SENT; p[n++] = 0; p[n++] = 2;
	p[n++] = (unsigned char)(sent >> 8); p[n++] = (unsigned char)sent;
	p[n++] = PROTO_TAG_MSGREFS;
	p[n++] = (unsigned char)(nbytes >> 8); p[n++] = (unsigned char)nbytes;
	for (i = 0; i < nbytes; i++)
		p[n++] = (unsigned char)(i % 4 + 1);
	p[n++] = PROTO_TAG_CMS; p[n++] = 0; p[n++] = 4;
	p[n++] = 0xff; p[n++] = 0xff; p[n++] = 0xff; p[n++] = 0xff;
	p[n++] = PROTO_TAG_ERROR; p[n++] = 0; p[n++] = 0;
	return n;
}

/* The new types' own rules: list lengths, counts and ranges. */
static void
test_proto_malformed_new(void **state)
{
	unsigned char p[256];
	struct proto_msg m;
	size_t n;
	/* REPORT: id 1, msgref 7, number "1", status s, at 0 */
	unsigned char rep[] = { PROTO_REPORT,
	    PROTO_TAG_ID, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1,
	    PROTO_TAG_MSGREF, 0, 4, 0, 0, 0, 7,
	    PROTO_TAG_NUMBER, 0, 1, '1',
	    PROTO_TAG_STATUS, 0, 1, 2,
	    PROTO_TAG_AT, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0 };
	/* SEND without its report flag */
	static const unsigned char send_old[] = { PROTO_SEND,
	    PROTO_TAG_JOB, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1,
	    PROTO_TAG_NUMBER, 0, 1, '1',
	    PROTO_TAG_TEXT, 0, 0 };
	/* CALL with a string where the i64 goes */
	static const unsigned char call_bad[] = { PROTO_CALL,
	    PROTO_TAG_NUMBER, 0, 1, '1',
	    PROTO_TAG_AT, 0, 1, '1' };

	(void)state;
	n = test_proto_result_bytes(p, 3, 2, 8);
	assert_int_equal(test_proto_decode_bytes(p, n), 0);
	memset(&m, 0, sizeof m);
	assert_int_equal(proto_decode(p, n, &m), 0);
	assert_int_equal(m.parts_sent, 2);
	assert_int_equal(m.msgrefs[0], 0x01020304);
	assert_int_equal(m.msgrefs[1], 0x01020304);
	assert_int_equal(m.cms, -1);
	proto_msg_clear(&m);
	n = test_proto_result_bytes(p, 0, 0, 0);
	assert_int_equal(test_proto_decode_bytes(p, n), 0);
	/* a list whose length is no multiple of 4 */
	n = test_proto_result_bytes(p, 3, 2, 7);
	assert_int_equal(test_proto_decode_bytes(p, n), -1);
	/* the list disagrees with parts_sent */
	n = test_proto_result_bytes(p, 3, 2, 4);
	assert_int_equal(test_proto_decode_bytes(p, n), -1);
	n = test_proto_result_bytes(p, 3, 1, 8);
	assert_int_equal(test_proto_decode_bytes(p, n), -1);
	/* more sent than there are parts */
	n = test_proto_result_bytes(p, 1, 2, 8);
	assert_int_equal(test_proto_decode_bytes(p, n), -1);

	assert_int_equal(test_proto_decode_bytes(rep, sizeof rep), 0);
	rep[27] = 3;
	assert_int_equal(test_proto_decode_bytes(rep, sizeof rep), -1);
	rep[27] = 0xff;
	assert_int_equal(test_proto_decode_bytes(rep, sizeof rep), -1);
	assert_int_equal(test_proto_decode_bytes(send_old, sizeof send_old),
	    -1);
	assert_int_equal(test_proto_decode_bytes(call_bad, sizeof call_bad),
	    -1);
}

/* Every truncation of a valid frame is "need more" or an error, never a
   read past the end. */
static void
test_proto_truncate_frame(const struct buf *b)
{
	struct proto_reader r;
	struct proto_msg out;
	size_t cut;

	for (cut = 0; cut < b->len; cut++) {
		memset(&r, 0, sizeof r);
		proto_reader_feed(&r, b->data, cut);
		assert_int_equal(proto_reader_next(&r, &out), 0);
		proto_reader_free(&r);
		/* The payload cut short, decoded alone. */
		if (cut > 4)
			assert_int_equal(test_proto_decode_bytes(
			    (unsigned char *)b->data + 4, cut - 4), -1);
	}
}

static void
test_proto_truncations(void **state)
{
	struct proto_msg in;
	struct buf b;
	int32_t refs[3] = { 1, 2, 3 };

	(void)state;
	memset(&b, 0, sizeof b);
	test_proto_part_msg(&in);
	assert_int_equal(proto_encode(&b, &in), 0);
	proto_msg_clear(&in);
	test_proto_truncate_frame(&b);
	buf_free(&b);

	memset(&in, 0, sizeof in);
	in.type = PROTO_RESULT;
	in.parts = 3;
	in.parts_sent = 3;
	in.msgrefs = refs;
	in.error = "x";
	assert_int_equal(proto_encode(&b, &in), 0);
	test_proto_truncate_frame(&b);
	buf_free(&b);

	memset(&in, 0, sizeof in);
	in.type = PROTO_HEALTH;
	in.network = "home";
	in.op_name = "中国联通";
	assert_int_equal(proto_encode(&b, &in), 0);
	test_proto_truncate_frame(&b);
	buf_free(&b);
}

static void
test_proto_frame_limits(void **state)
{
	static const unsigned char zero[] = { 0, 0, 0, 0 };
	static const unsigned char huge[] = { 0, 1, 0, 1 };	/* 65537 */
	static const unsigned char bad[] = { 0, 0, 0, 1, 42 };
	struct proto_reader r;
	struct proto_msg out;

	(void)state;
	memset(&r, 0, sizeof r);
	proto_reader_feed(&r, zero, sizeof zero);
	assert_int_equal(proto_reader_next(&r, &out), -1);
	proto_reader_free(&r);

	proto_reader_feed(&r, huge, sizeof huge);
	assert_int_equal(proto_reader_next(&r, &out), -1);
	proto_reader_free(&r);

	proto_reader_feed(&r, bad, sizeof bad);
	assert_int_equal(proto_reader_next(&r, &out), -1);
	proto_reader_free(&r);
}

static void
test_proto_utf8(void **state)
{
	(void)state;
	assert_int_equal(proto_utf8_valid("", 0), 1);
	assert_int_equal(proto_utf8_valid("abc", 3), 1);
	assert_int_equal(proto_utf8_valid("平安", strlen("平安")), 1);
	assert_int_equal(proto_utf8_valid("\xf0\x9f\x98\x80", 4), 1);
	assert_int_equal(proto_utf8_valid("\xf4\x90\x80\x80", 4), 0);
	assert_int_equal(proto_utf8_valid("\xff", 1), 0);
	assert_int_equal(proto_utf8_valid("\x80", 1), 0);
	assert_int_equal(proto_utf8_valid("\xe5\xb9", 2), 0);
	assert_int_equal(proto_utf8_valid("\xe0\x80\x80", 3), 0);
}

/* The blocking helpers over a real socketpair, including end of file. */
static void
test_proto_fd(void **state)
{
	struct proto_reader r;
	struct proto_msg in, out;
	struct buf b;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	memset(&b, 0, sizeof b);
	memset(&r, 0, sizeof r);
	memset(&in, 0, sizeof in);
	in.type = PROTO_PONG;
	in.ping = 5;
	assert_int_equal(proto_encode(&b, &in), 0);
	assert_int_equal(proto_write_all(sv[0], b.data, b.len), 0);
	assert_int_equal(proto_read_some(sv[1], &r, 0) > 0, 1);
	assert_int_equal(proto_reader_next(&r, &out), 1);
	assert_int_equal(out.type, PROTO_PONG);
	assert_int_equal(out.ping, 5);
	assert_int_equal(proto_read_some(sv[1], &r, 0), 0);	/* timeout */
	close(sv[0]);
	assert_int_equal(proto_read_some(sv[1], &r, 1000), -1);	/* EOF */
	close(sv[1]);
	proto_reader_free(&r);
	buf_free(&b);
}

/* USSD (issue 7): the balance reply; strict like every other type. */
static void
test_proto_ussd(void **state)
{
	static const unsigned char ok[] = { 12, 11, 0, 2, '1', '2',
	    16, 0, 0 };
	static const unsigned char noerror[] = { 12, 11, 0, 2, '1', '2' };
	static const unsigned char notext[] = { 12, 16, 0, 0 };
	static const unsigned char badutf[] = { 12, 11, 0, 2, 0xc3, 0x28,
	    16, 0, 0 };
	static const unsigned char next[] = { 13, 11, 0, 0, 16, 0, 0 };
	struct proto_msg in, out;
	struct buf b;

	(void)state;
	memset(&in, 0, sizeof in);
	memset(&out, 0, sizeof out);
	memset(&b, 0, sizeof b);
	in.type = PROTO_USSD;
	in.text = "尊敬的客户，您的余额为12.50元。";
	in.error = "";
	assert_int_equal(proto_encode(&b, &in), 0);
	assert_true(b.len > 4);
	assert_int_equal(proto_decode((unsigned char *)b.data + 4, b.len - 4,
	    &out), 0);
	assert_int_equal(out.type, PROTO_USSD);
	assert_string_equal(out.text, in.text);
	assert_string_equal(out.error, "");
	assert_string_equal(proto_type_name(PROTO_USSD), "USSD");
	proto_msg_clear(&out);
	buf_free(&b);
	assert_int_equal(test_proto_decode_bytes(ok, sizeof ok), 0);
	assert_int_equal(test_proto_decode_bytes(noerror, sizeof noerror), -1);
	assert_int_equal(test_proto_decode_bytes(notext, sizeof notext), -1);
	assert_int_equal(test_proto_decode_bytes(badutf, sizeof badutf), -1);
	assert_int_equal(test_proto_decode_bytes(next, sizeof next), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proto_roundtrip),
		cmocka_unit_test(test_proto_incremental),
		cmocka_unit_test(test_proto_encode_limits),
		cmocka_unit_test(test_proto_malformed),
		cmocka_unit_test(test_proto_malformed_new),
		cmocka_unit_test(test_proto_truncations),
		cmocka_unit_test(test_proto_frame_limits),
		cmocka_unit_test(test_proto_utf8),
		cmocka_unit_test(test_proto_fd),
		cmocka_unit_test(test_proto_ussd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
