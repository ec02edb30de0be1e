/* Shared by the stand-in vendor libraries of the test suite.
 *
 * Each stand-in is compiled at test time with a generated "config.h" that
 * holds the machine it pretends to drive (devices, return codes per call)
 * and SD_HANGS, the NULL-terminated list of entry points that never return.
 * A hanging call blocks the way a wedged driver does: it sleeps forever and
 * only a signal ends it.
 */
#ifndef STANDIN_H
#define STANDIN_H

#include <string.h>
#include <unistd.h>

static int sd_hangs(const char *fn) {
    for (const char *const *h = SD_HANGS; *h != NULL; h++) {
        if (strcmp(*h, fn) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Entered by every exported function: hang here when the test asked for it. */
#define SD_ENTER(fn)                  \
    do {                              \
        if (sd_hangs(#fn)) {          \
            for (;;) {                \
                pause();              \
            }                         \
        }                             \
    } while (0)

/* Copy a NUL-terminated answer into a caller's buffer of `size` bytes. */
static int sd_copy(char *dst, unsigned int size, const char *src) {
    size_t n = strlen(src);
    if (dst == NULL || size == 0 || n + 1 > size) {
        return 0;
    }
    memcpy(dst, src, n + 1);
    return 1;
}

#endif
