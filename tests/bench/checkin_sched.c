/*
 * checkin_sched — figures, not a test: sched_run over N enrolled elders
 * (default 100,000) in N/50 villages, on a database file, through one
 * local day in Asia/Shanghai ticked every 30 s (2,880 runs): 90% check
 * in before 09:30 by a missed call, the rest climb the ladder. Prints
 * the time of the day's first run (which makes its rows), the idle runs,
 * the runs that send a step to thousands, and the day's total, for the
 * check-in part of sched_run (checkin_sched_run) and the rest of it.
 *
 *	build/rel/tests/bench/checkin_sched [ELDERS] [DBFILE]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/checkin.h"
#include "gateway/config.h"
#include "gateway/log.h"
#include "gateway/sched.h"
#include "gateway/store.h"
#include "gateway/util.h"
#include "handlers/template.h"

#define TICK	30

static double
ms_since(int64_t t0)
{
	return (double)(now_ms() - t0);
}

int
main(int argc, char **argv)
{
	int elders = argc > 1 ? atoi(argv[1]) : 100000;
	const char *db = argc > 2 ? argv[2] : "/tmp/cungate-bench-checkin.db";
	int villages = elders / 50 > 0 ? elders / 50 : 1;
	struct store *st;
	struct config *cf;
	struct template *tpl;
	struct store_elder e;
	struct store_person p;
	struct store_guardian g;
	struct checkin_ctx c;
	char path[64], code[16], phone[PHONE_MAX], *cause = NULL;
	double whole = 0, t, idle = 0, idle_max = 0, busy = 0, busy_max = 0, first, all;
	int64_t t0, id;
	time_t day0, now;
	int i, n, nidle = 0, nbusy = 0, day, steps = 0;
	FILE *f;

	log_init("bench", LOG_LEVEL_WARN);
	snprintf(path, sizeof path, "/tmp/cungate-bench-checkin-%d.conf",
	    (int)getpid());
	if ((f = fopen(path, "w")) == NULL)
		fatal("%s", path);
	fprintf(f, "[gateway]\ndatabase = %s\ntimezone = Asia/Shanghai\n", db);
	fclose(f);
	if ((cf = config_load(path, &cause)) == NULL)
		fatal("%s", cause);
	unlink(path);
	if ((tpl = template_load("config/messages.zh.conf", &cause)) == NULL)
		fatal("%s", cause);
	unlink(db);
	if ((st = store_open(db, &cause)) == NULL)
		fatal("%s", cause);

	if (checkin_day_parse("2026-12-01", &day) == -1)
		fatal("day");
	day0 = checkin_midnight(cf, day);
	t0 = now_ms();
	store_begin(st);
	if (store_township_add(st, "T", "镇", 0, &cause) == -1 ||
	    store_township_add_supervisor(st, "T", "+8613900000009",
	    &cause) == -1)
		fatal("%s", cause);
	for (i = 0; i < villages; i++) {
		snprintf(code, sizeof code, "V%d", i);
		if (store_village_add(st, code, "村", "T", 0, &cause) == -1)
			fatal("%s", cause);
		snprintf(phone, sizeof phone, "+86137%08d", i);
		if (store_person_put(st, phone, "村干部", code, ROLE_CADRE |
		    ROLE_RESIDENT, NULL, 0, &cause) == -1)
			fatal("%s", cause);
	}
	for (i = 0; i < elders; i++) {
		snprintf(code, sizeof code, "V%d", i % villages);
		snprintf(phone, sizeof phone, "+86138%08d", i);
		if (store_person_put(st, phone, "老人", code, ROLE_ELDERLY |
		    ROLE_RESIDENT, NULL, 0, &cause) == -1)
			fatal("%s", cause);
		if (store_person_find(st, phone, &p) != 1)
			fatal("person");
		memset(&e, 0, sizeof e);
		snprintf(e.phone, sizeof e.phone, "%s", phone);
		e.person_id = p.id;
		e.due_min = e.guardian_after = e.cadre_after = -1;
		e.township_min = e.confirm = -1;
		e.prompt_min = -2;
		e.start_day = day;
		if (store_elder_put(st, &e, &id) == -1)
			fatal("elder: %s", store_error(st));
		memset(&g, 0, sizeof g);
		snprintf(g.phone, sizeof g.phone, "+86136%08d", i);
		if (store_guardian_put(st, id, &g) == -1)
			fatal("guardian");
	}
	store_commit(st);
	printf("checkin bench: %d elders, %d villages: enrolled in %.1f s\n",
	    elders, villages, ms_since(t0) / 1000);

	memset(&c, 0, sizeof c);
	c.st = st;
	c.cf = cf;
	c.tpl = tpl;
	c.actor = "bench";
	c.channel = "call";
	all = 0;
	first = -1;
	for (now = day0; now < day0 + 86400; now += TICK) {
		if (now == day0 + 8 * 3600) {
			/* 90% call in at 08:00. */
			t0 = now_ms();
			store_begin(st);
			c.now = now;
			for (i = 0; i < elders; i++) {
				if (i % 10 == 0)
					continue;
				snprintf(phone, sizeof phone, "+86138%08d", i);
				if (checkin_call(&c, phone) != 1)
					fatal("call");
			}
			store_commit(st);
			printf("  %d missed-call check-ins: %.0f ms (%.3f ms "
			    "each)\n", elders - elders / 10, ms_since(t0),
			    ms_since(t0) / (elders - elders / 10));
		}
		/* The check-in part alone, then the whole scheduler. */
		t0 = now_ms();
		c.now = now;
		store_begin(st);
		if ((n = checkin_sched_run(&c)) == -1)
			fatal("checkin_sched_run: %s", store_error(st));
		store_commit(st);
		t = ms_since(t0);
		t0 = now_ms();
		if (sched_run(st, cf, tpl, now) == -1)
			fatal("sched_run: %s", store_error(st));
		whole += ms_since(t0);
		all += t;
		steps += n;
		if (first < 0) {
			first = t;
			continue;
		}
		if (n == 0) {
			idle += t;
			nidle++;
			if (t > idle_max)
				idle_max = t;
		} else {
			busy += t;
			nbusy++;
			if (t > busy_max)
				busy_max = t;
		}
	}
	printf("  first run of the day (makes %d rows): %.0f ms\n", elders,
	    first);
	printf("  %d idle runs: mean %.3f ms, max %.1f ms\n", nidle,
	    nidle ? idle / nidle : 0, idle_max);
	printf("  %d runs with ladder steps (%d steps, one SMS or more each): "
	    "mean %.0f ms, max %.0f ms\n", nbusy, steps, nbusy ?
	    busy / nbusy : 0, busy_max);
	printf("  a day of %d runs every %d s: check-in part %.2f s in all;"
	    " the rest of sched_run (outbox expiry over %d+ queued rows\n"
	    "  no modem sends here, grievances, …) %.2f s\n", 86400 / TICK,
	    TICK, all / 1000, elders / 10, whole / 1000);
	store_close(st);
	template_free(tpl);
	config_free(cf);
	unlink(db);
	return 0;
}
