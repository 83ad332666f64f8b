/*
 * oversight — the township's supervisors and the admin phones, as those
 * who hear what a village's cadres did not settle. See oversight.h.
 */
#include <stddef.h>

#include "gateway/config.h"
#include "gateway/outbox.h"
#include "gateway/oversight.h"
#include "gateway/store.h"
#include "gateway/util.h"

int
oversight_tell_admins(struct store *st, const struct config *cf,
    const char *text, time_t now)
{
	size_t i;

	for (i = 0; i < cf->nadmin_phones; i++)
		if (outbox_queue(st, cf->admin_phones[i], text, OUTBOX_URGENT,
		    0, now) == -1)
			return -1;
	return 0;
}

int
oversight_township_phones(struct store *st, const struct config *cf,
    const char *township, struct phone_set *ps)
{
	size_t i, before = ps->n;

	if (township[0] != '\0' && store_township_supervisors(st, township,
	    phone_set_add_cb, ps) == -1)
		return -1;
	for (i = 0; ps->n == before && i < cf->nadmin_phones; i++)
		phone_set_add(ps, cf->admin_phones[i]);
	return 0;
}
