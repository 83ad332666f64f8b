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
	in.parts = 2;
	in.msgref = -1;
	in.error = NULL;		/* encoded as "" */
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
	assert_int_equal(out.parts, 2);
	assert_int_equal(out.msgref, -1);
	assert_string_equal(out.error, "");
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

/* Every truncation of a valid frame is "need more" or an error, never a
   read past the end. */
static void
test_proto_truncations(void **state)
{
	struct proto_reader r;
	struct proto_msg in, out;
	struct buf b;
	size_t cut;

	(void)state;
	memset(&b, 0, sizeof b);
	test_proto_part_msg(&in);
	assert_int_equal(proto_encode(&b, &in), 0);
	proto_msg_clear(&in);

	for (cut = 0; cut < b.len; cut++) {
		memset(&r, 0, sizeof r);
		proto_reader_feed(&r, b.data, cut);
		assert_int_equal(proto_reader_next(&r, &out), 0);
		proto_reader_free(&r);
		/* The payload cut short, decoded alone. */
		if (cut > 4)
			assert_int_equal(test_proto_decode_bytes(
			    (unsigned char *)b.data + 4, cut - 4), -1);
	}
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proto_roundtrip),
		cmocka_unit_test(test_proto_incremental),
		cmocka_unit_test(test_proto_encode_limits),
		cmocka_unit_test(test_proto_malformed),
		cmocka_unit_test(test_proto_truncations),
		cmocka_unit_test(test_proto_frame_limits),
		cmocka_unit_test(test_proto_utf8),
		cmocka_unit_test(test_proto_fd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
