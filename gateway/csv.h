/*
 * csv — an RFC 4180 reader over a buffer in memory, for `cungatectl
 * resident import`: quoted fields with "" and line breaks inside, CRLF or
 * LF, a UTF-8 byte order mark skipped. A malformed record is reported
 * with its line and skipped; reading goes on with the next one. And the
 * writer for the exports, which spreadsheets (Chinese Excel, WPS) open:
 * they start with a UTF-8 byte order mark (CSV_BOM), and a cell that a
 * spreadsheet would run as a formula (starting with = + - @, a tab or a
 * CR: a villager's text, a phone "+86…") is written with a ' before it,
 * which shows it as text; the reader takes that ' off again.
 */
#ifndef CUNGATE_CSV_H
#define CUNGATE_CSV_H

#include <stddef.h>

struct csv;

/* One record: its fields (NUL-terminated, owned by the row). */
struct csv_row {
	char	**fields;
	size_t	 nfields;
	int	 line;		/* where the record starts, 1-based */
	size_t	 cap;		/* (internal) room in fields */
};

/* A reader over data[0..len); data must outlive it. Never fails. */
struct csv *csv_new(const char *data, size_t len);
/* csv_free(NULL) is a no-op. */
void	 csv_free(struct csv *);

/*
 * Read the next record into row, replacing what it held. Returns 1 with a
 * record, 0 at the end of the data, or -1 with *cause (caller frees) for
 * a malformed record, which is skipped: row->line says where it started
 * and the next call reads on after it. A blank line is a record of one
 * empty field.
 */
int	 csv_read(struct csv *, struct csv_row *row, char **cause);
/* Free what row holds and zero it; the row can be read into again. */
void	 csv_row_clear(struct csv_row *);

#define CSV_BOM	"\xef\xbb\xbf"

struct buf;
/*
 * Append one field to b per RFC 4180, quoted when it holds , " CR or LF
 * or starts like a formula (then with a ' first), followed by "," or, for
 * the last of a row, CRLF.
 */
void	 csv_write_field(struct buf *b, const char *s, int last);

#endif
