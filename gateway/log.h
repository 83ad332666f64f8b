/*
 * log — one place for log lines, to stderr (systemd takes it from there).
 * Lines read "subsystem: object: what: why".
 */
#ifndef CUNGATE_LOG_H
#define CUNGATE_LOG_H

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG
};

/* Set the program name shown on each line and the level to print. */
void	log_init(const char *name, enum log_level);
/* "error" | "warn" | "info" | "debug" -> level; -1 when unknown. */
int	log_level_parse(const char *);
enum log_level log_get_level(void);

void	log_error(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Log and exit(1): start-up, config errors, broken invariants only. */
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
