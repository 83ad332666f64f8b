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

/* Are two optional strings equal? 0/1. */
static int
fuzz_proto_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

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
	    again.msgref != m->msgref || again.at != m->at ||
	    again.signal != m->signal || again.battery != m->battery ||
	    again.sim_used != m->sim_used || again.sim_total != m->sim_total ||
	    again.status != m->status || again.report != m->report ||
	    again.cms != m->cms || again.parts != m->parts ||
	    again.parts_sent != m->parts_sent)
		abort();
	if ((m->msgrefs != NULL) != (again.msgrefs != NULL) ||
	    (m->msgrefs != NULL && memcmp(m->msgrefs, again.msgrefs,
	    (size_t)m->parts_sent * sizeof *m->msgrefs) != 0))
		abort();
	if (!fuzz_proto_same(m->text, again.text) ||
	    !fuzz_proto_same(m->number, again.number) ||
	    !fuzz_proto_same(m->network, again.network) ||
	    !fuzz_proto_same(m->op_code, again.op_code) ||
	    !fuzz_proto_same(m->op_name, again.op_name) ||
	    !fuzz_proto_same(m->error, again.error))
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
