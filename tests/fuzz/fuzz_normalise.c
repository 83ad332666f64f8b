/*
 * libFuzzer target: inbound SMS text through the router's normaliser and
 * the default command table. Any bytes in; valid UTF-8 out, no crash.
 *
 *	make fuzz && build/fuzz/fuzz_normalise -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/log.h"
#include "handlers/handler.h"
#include "handlers/router.h"
#include "handlers/template.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct router *r;
	static struct template *tpl;
	struct router_match *m = NULL;
	char *cause = NULL, *text;

	log_init("fuzz", LOG_LEVEL_ERROR);
	if (r == NULL) {
		if ((tpl = template_load("config/messages.zh.conf",
		    &cause)) == NULL ||
		    (r = router_new("config/commands.conf", handlers_all, tpl,
		    &cause)) == NULL)
			abort();
	}
	text = router_normalise((const char *)data, size);
	router_match(r, text, &m);
	router_match_free(m);
	free(text);
	return 0;
}
