/*
 * libFuzzer target: config files (cungate.conf through config_load, and the
 * same bytes as a template file and a command table). Every input must end
 * in a config or a cause, never a crash or a leak.
 *
 *	make fuzz && build/fuzz/fuzz_config -max_total_time=60
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "gateway/config.h"
#include "gateway/log.h"
#include "handlers/handler.h"
#include "handlers/router.h"
#include "handlers/template.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	static struct template *shipped;
	struct config *cf;
	struct template *tpl;
	struct router *r;
	char *cause = NULL;
	FILE *f;

	log_init("fuzz", LOG_LEVEL_ERROR);
	if (shipped == NULL &&
	    (shipped = template_load("config/messages.zh.conf", &cause)) ==
	    NULL)
		abort();
	if (path[0] == '\0')
		snprintf(path, sizeof path, "/tmp/fuzz-config-%d.conf",
		    (int)getpid());
	if ((f = fopen(path, "w")) == NULL)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	if ((cf = config_load(path, &cause)) != NULL)
		config_free(cf);
	free(cause);
	cause = NULL;
	if ((tpl = template_load(path, &cause)) != NULL) {
		free(template_render(tpl, "help", "name", "x", NULL));
		template_free(tpl);
	}
	free(cause);
	cause = NULL;
	if ((r = router_new(path, handlers_all, shipped, &cause)) != NULL)
		router_free(r);
	free(cause);
	return 0;
}
