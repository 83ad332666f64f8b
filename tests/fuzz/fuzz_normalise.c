/*
 * libFuzzer target: inbound SMS text through the router's normaliser and
 * the default command table, as every kind of sender. Any bytes in; no
 * crash, and the map back to the original stays in order and in range.
 *
 *	make fuzz && build/fuzz/fuzz_normalise -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/log.h"
#include "handlers/handler.h"
#include "handlers/normalise.h"
#include "handlers/router.h"
#include "handlers/template.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct router *r;
	static struct template *tpl;
	struct router_match *m = NULL;
	char *cause = NULL, *text, *clean;
	size_t *map, i, len;
	unsigned senders;

	log_init("fuzz", LOG_LEVEL_ERROR);
	if (r == NULL) {
		if ((tpl = template_load("config/messages.zh.conf",
		    &cause)) == NULL ||
		    (r = router_new("config/commands.conf", handlers_all, tpl,
		    &cause)) == NULL)
			abort();
	}
	text = normalise((const char *)data, size, &map);
	len = strlen(text);
	for (i = 0; i < len; i++)
		if (map[i] > map[i + 1] || map[i + 1] > size)
			abort();
	for (senders = 0; senders <= SENDER_GUARDIAN; senders = senders ?
	    senders << 1 : 1) {
		router_match_as(r, text, senders, &m);
		router_match_free(m);
	}
	clean = normalise_clean((const char *)data, size);
	free(clean);
	free(map);
	free(text);
	return 0;
}
