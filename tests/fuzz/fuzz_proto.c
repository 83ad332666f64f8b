/*
 * fuzz_proto — libFuzzer target for the worker/daemon frame reader: the
 * input is fed in two pieces at a point chosen by its first byte, and
 * every frame that decodes is re-encoded and must decode to the same
 * message.
 *
 *	clang -std=c11 -D_GNU_SOURCE -g -I. -fsanitize=fuzzer,address,undefined \
 *	    tests/fuzz/fuzz_proto.c modems/proto.c gateway/util.c gateway/log.c \
 *	    -o fuzz_proto
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util.h"
#include "modems/proto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_proto_check(const struct proto_msg *m)
{
	struct proto_reader r;
	struct proto_msg again;
	struct buf b;

	memset(&b, 0, sizeof b);
	memset(&r, 0, sizeof r);
	if (proto_encode(&b, m) != 0)
		abort();	/* what decodes must encode */
	proto_reader_feed(&r, b.data, b.len);
	if (proto_reader_next(&r, &again) != 1 || again.type != m->type ||
	    again.id != m->id || again.job != m->job ||
	    again.sent_at != m->sent_at || again.seq != m->seq ||
	    again.msgref != m->msgref)
		abort();
	if ((m->text != NULL) != (again.text != NULL) ||
	    (m->text != NULL && strcmp(m->text, again.text) != 0))
		abort();
	proto_msg_clear(&again);
	proto_reader_free(&r);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_reader r;
	struct proto_msg m;
	size_t cut;
	int rc;

	if (size == 0)
		return 0;
	cut = data[0] % size;
	data++;
	size--;
	if (cut > size)
		cut = size;
	memset(&r, 0, sizeof r);
	proto_reader_feed(&r, data, cut);
	for (;;) {
		while ((rc = proto_reader_next(&r, &m)) == 1) {
			fuzz_proto_check(&m);
			proto_msg_clear(&m);
		}
		if (rc == -1 || cut == size)
			break;
		proto_reader_feed(&r, data + cut, size - cut);
		cut = size;
	}
	proto_reader_free(&r);
	return 0;
}
