/*
 * route — what understanding a text costs, in CPU time: the normaliser
 * (OpenCC's t2s included), the command table, and a whole router_route
 * (store lookups, the handler, its replies, one transaction) on an
 * in-memory store, over every text of tests/corpus/SET/resident.txt
 * sent by RESIDENTS registered residents in turn, ROUNDS times. Figures,
 * not a test:
 *
 *	make bench-route
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/config.h"
#include "gateway/log.h"
#include "gateway/store.h"
#include "gateway/util.h"
#include "handlers/handler.h"
#include "handlers/normalise.h"
#include "handlers/router.h"
#include "handlers/template.h"

#define ROUNDS		20
#define TEXTS_MAX	4096
#define RESIDENTS	1000	/* senders, in turn */

static const char *const route_sets[] = { "a", "b", "c" };

static double
route_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
route_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
route_print(const char *what, double *us, size_t n)
{
	double sum = 0;
	size_t i;

	qsort(us, n, sizeof *us, route_cmp);
	for (i = 0; i < n; i++)
		sum += us[i];
	printf("%-28s %7zu %9.1f %9.1f %9.1f %9.1f\n", what, n, sum / n,
	    us[n / 2], us[n * 99 / 100], us[n - 1]);
}

/* The texts of every set's resident file. */
static size_t
route_texts(char **texts)
{
	char path[64], line[1024], *tab;
	size_t i, n = 0;
	FILE *f;

	for (i = 0; i < sizeof route_sets / sizeof route_sets[0]; i++) {
		snprintf(path, sizeof path, "tests/corpus/%s/resident.txt",
		    route_sets[i]);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		while (n < TEXTS_MAX && fgets(line, sizeof line, f) != NULL) {
			line[strcspn(line, "\r\n")] = '\0';
			if (line[0] == '#' || (tab = strchr(line, '\t')) == NULL)
				continue;
			texts[n++] = xstrdup(tab + 1);
		}
		fclose(f);
	}
	return n;
}

int
main(void)
{
	static char *texts[TEXTS_MAX], phones[RESIDENTS][PHONE_MAX];
	struct router_match *m;
	struct store_part p;
	struct template *tpl;
	struct config *cf;
	struct router *r;
	struct store *st;
	double *norm, *match, *route, t0;
	char *cause = NULL, *s;
	size_t n, i, k, at = 0;
	int64_t part, id;
	time_t now = 1773108000;	/* 2026-03-10 10:00 +08:00 */

	log_init("bench", LOG_LEVEL_ERROR);
	if ((cf = config_load("config/cungate.conf", &cause)) == NULL ||
	    (tpl = template_load("config/messages.zh.conf", &cause)) == NULL ||
	    (r = router_new("config/commands.conf", handlers_all, tpl,
	    &cause)) == NULL || (st = store_open(":memory:", &cause)) == NULL) {
		fprintf(stderr, "bench: %s\n", cause);
		return 1;
	}
	if (store_village_add(st, "LJZ", "刘家庄村", NULL, 0, &cause) != 0 ||
	    store_person_put(st, "+8613900000201", "李卫东", "LJZ",
	    ROLE_RESIDENT | ROLE_CADRE, NULL, 0, &cause) != 1) {
		fprintf(stderr, "bench: %s\n", cause);
		return 1;
	}
	for (i = 0; i < RESIDENTS; i++) {
		snprintf(phones[i], sizeof phones[i], "+86139%08zu", 1000 + i);
		if (store_person_put(st, phones[i], "张建国", "LJZ",
		    ROLE_RESIDENT, NULL, 0, &cause) != 1) {
			fprintf(stderr, "bench: %s\n", cause);
			return 1;
		}
	}
	if ((n = route_texts(texts)) == 0) {
		fprintf(stderr, "bench: no texts in tests/corpus\n");
		return 1;
	}
	norm = xcalloc(n * ROUNDS, sizeof *norm);
	match = xcalloc(n * ROUNDS, sizeof *match);
	route = xcalloc(n * ROUNDS, sizeof *route);
	/* A round an hour: what one hour of a busy village brings. */
	for (k = 0; k < ROUNDS; k++, now += 3600) {
		for (i = 0; i < n; i++, at++) {
			t0 = route_cpu_us();
			s = normalise(texts[i], strlen(texts[i]), NULL);
			norm[at] = route_cpu_us() - t0;
			t0 = route_cpu_us();
			router_match_as(r, s, SENDER_RESIDENT, &m);
			match[at] = route_cpu_us() - t0;
			router_match_free(m);
			free(s);

			memset(&p, 0, sizeof p);
			p.modem = "m1";
			p.sender = phones[at % RESIDENTS];
			p.smsc = "";
			p.sent_at = now + at;
			p.received_at = now;
			p.total = p.seq = 1;
			p.text = texts[i];
			if (store_part_insert(st, &p, &part) != 1 ||
			    store_part_complete(st, part, now, &id) != 1) {
				fprintf(stderr, "bench: %s\n", store_error(st));
				return 1;
			}
			t0 = route_cpu_us();
			if (router_route(r, st, cf, tpl, id, now) != 0) {
				fprintf(stderr, "bench: route failed\n");
				return 1;
			}
			route[at] = route_cpu_us() - t0;
		}
	}
	printf("CPU time per text, microseconds (%zu texts x %d rounds)\n", n,
	    ROUNDS);
	printf("%-28s %7s %9s %9s %9s %9s\n", "stage", "texts", "mean", "p50",
	    "p99", "max");
	route_print("normalise (OpenCC t2s)", norm, at);
	route_print("match the command table", match, at);
	route_print("router_route (all of it)", route, at);
	for (i = 0; i < n; i++)
		free(texts[i]);
	free(norm);
	free(match);
	free(route);
	store_close(st);
	router_free(r);
	template_free(tpl);
	config_free(cf);
	normalise_end();
	return 0;
}
