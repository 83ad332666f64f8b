/*
 * oversight — who stands above a village when something must reach
 * further than its cadres: the township's supervisors, and the county's
 * admin phones ([gateway] admin_phones) when a township has none or the
 * matter is the gateway's own (a modem down, the credit low). The
 * capabilities that escalate (grievances, check-ins) and the scheduler ask
 * here; none of them asks another.
 */
#ifndef CUNGATE_OVERSIGHT_H
#define CUNGATE_OVERSIGHT_H

#include <time.h>

struct config;
struct phone_set;
struct store;

/*
 * Who hears what must reach the township: its supervisors (township may
 * be ""), else the admin phones, added to ps. 0 or -1.
 */
int	 oversight_township_phones(struct store *, const struct config *,
	    const char *township, struct phone_set *ps);
/* Queue text to every admin phone as urgent (in the caller's
 * transaction, if any). 0 or -1. */
int	 oversight_tell_admins(struct store *, const struct config *,
	    const char *text, time_t now);

#endif
