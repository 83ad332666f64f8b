/*
 * normalise — the copy of an SMS text that the command table is matched
 * against, and the map back to what the sender wrote. The only file that
 * includes <opencc.h>. The original text is what is stored, forwarded and
 * exported; this copy is only for matching.
 */
#ifndef CUNGATE_NORMALISE_H
#define CUNGATE_NORMALISE_H

#include <stddef.h>

/*
 * Open OpenCC's traditional-to-simplified converter (t2s) once for the
 * process. 0, or -1 with *cause (caller frees). normalise() works without
 * it, leaving traditional characters as they are.
 */
int	 normalise_init(char **cause);
/* Close the converter (at exit; for leak checkers). */
void	 normalise_end(void);

/*
 * Normalise text of len bytes for matching: invalid UTF-8 becomes U+FFFD
 * (one per maximal invalid subsequence), full-width ASCII (U+FF01–U+FF5E)
 * and the ideographic space fold to ASCII, control characters and other
 * Unicode white space become spaces, zero-width characters are dropped,
 * traditional characters become simplified (OpenCC t2s, once
 * normalise_init has run), white space is trimmed and collapsed to one
 * ASCII space, and a space between two Chinese characters is dropped
 * ("帮 助" is "帮助"). Returns a new valid UTF-8 string (caller frees).
 * With map not NULL, *map (caller frees) gets, for each byte i of the
 * result and for its end (i = strlen), the offset in text of the
 * character it came from.
 */
char	*normalise(const char *text, size_t len, size_t **map);

/*
 * The same, but a space between Chinese characters stays: for reading the
 * words of a text apart (发布 五月一号 老年人体检 名额五十).
 */
char	*normalise_words(const char *text, size_t len);

/*
 * What the sender wrote, made safe to store in a ticket or forward:
 * invalid UTF-8 becomes U+FFFD, control characters become spaces, white
 * space at either end is trimmed; everything else (full-width
 * punctuation, traditional characters, inner spacing) is kept. A new
 * string (caller frees).
 */
char	*normalise_clean(const char *text, size_t len);

#endif
