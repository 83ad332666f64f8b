/*
 * metrics, status_page — what the HTTP server shows, rendered into a
 * buffer with no knowledge of HTTP: the Prometheus families of the store
 * and the modems (gateway/metrics.c), and the operator's status page
 * (gateway/status_page.c). gateway/http.c serves them.
 */
#ifndef CUNGATE_METRICS_H
#define CUNGATE_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct buf;
struct config;
struct modem;
struct store;
struct store_account;

/* What a page is drawn from. */
struct pages_env {
	const struct config	*cf;
	struct store		*st;
	struct modem		**modems;
	size_t			 nmodems;
	time_t			 now;
	/* Who reads the page (a bar with a way out), NULL for none. */
	const struct store_account *account;
	/* The township (its code) whose page this is, NULL the county's:
	   status_page_write shows that township alone. */
	const char		*township;
};

/* "# HELP" and "# TYPE" of a family. */
void	 metrics_family(struct buf *, const char *name, const char *type,
	    const char *help);
/* A store_metric callback: the int64_t at arg becomes v. */
void	 metrics_one_cb(const char *, const char *, int64_t v, void *arg);
/* The families of the store and the modems into b: 0, or -1 when the
   store failed (b holds what was written). */
int	 metrics_write(struct buf *b, const struct pages_env *);
/*
 * The county's page (a whole HTML document) into b: 0 or -1 likewise.
 * With e->township, that township's page; for a code that is no
 * township's, the page saying so (status_page_missing), and 0.
 */
int	 status_page_write(struct buf *b, const struct pages_env *);
/*
 * The page of the village with code (case-insensitive), of the ticket
 * with code: 1 written, 0 no such village or ticket (nothing written),
 * -1 on a store error.
 */
int	 status_page_village(struct buf *b, const struct pages_env *,
	    const char *code);
int	 status_page_ticket(struct buf *b, const struct pages_env *,
	    const char *code);
/* A page saying what (a constant Chinese phrase: "该村") is not there. */
void	 status_page_missing(struct buf *b, const char *what);

#endif
