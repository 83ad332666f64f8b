/*
 * libFuzzer target: a USSD callback body through the form parser
 * (evhttp's) and the shipped menu, as POST /ussd does after the secret
 * check. Any bytes in; 0 or -1 from the parser, a screen that fits or an
 * action out, no crash.
 *
 *	make fuzz && build/fuzz/fuzz_ussd -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/http.h"
#include "gateway/log.h"
#include "gateway/ussd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ussd_menu *m;
	struct http_ussd_form f;
	struct ussd_step st;
	char *cause = NULL;
	size_t limit;

	log_init("fuzz", LOG_LEVEL_ERROR);
	if (m == NULL && (m = ussd_menu_load("config/ussd.zh.conf",
	    &cause)) == NULL)
		abort();
	if (http_ussd_form_parse((const char *)data, size, &f, &cause) == -1) {
		free(cause);
		return 0;
	}
	ussd_menu_step(m, f.text, &st);
	if (st.kind == USSD_ACTION ? st.command == NULL :
	    ussd_units(st.screen, &limit) > limit)
		abort();
	ussd_step_clear(&st);
	http_ussd_form_clear(&f);
	return 0;
}
