#include "progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"

struct progress {
    char label[64];
    uint64_t total, done;
    prog_unit unit;
    int quiet, tty, color;
    double start, last_draw, interval;
    int drawn;
};

progress *prog_open(const char *label, uint64_t total, prog_unit unit, const prog_display *d)
{
    progress *p = calloc(1, sizeof *p);
    if (!p) return NULL;   /* no bar: every prog_* call takes NULL */
    snprintf(p->label, sizeof p->label, "%s", label);
    p->total = total;
    p->unit = unit;
    p->quiet = d->quiet;
    p->tty = !d->plain && isatty(2);
    p->color = p->tty && d->color;
    p->interval = p->tty ? 0.1 : (d->interval_s > 0 ? d->interval_s : 10.0);
    p->start = now_seconds();
    p->last_draw = p->tty ? p->start - p->interval : p->start;  /* a bar shows at once */
    return p;
}

void prog_set_total(progress *p, uint64_t total) { if (p) p->total = total; }

static void human(char *out, size_t cap, double v, prog_unit unit)
{
    if (unit == PROG_BYTES) {
        const char *u[] = {"B", "KB", "MB", "GB", "TB"};
        int i = 0;
        while (v >= 1000 && i < 4) { v /= 1000; i++; }
        snprintf(out, cap, i ? "%.1f %s" : "%.0f %s", v, u[i]);
    } else {
        const char *u[] = {"", "k", "M", "G"};
        int i = 0;
        while (v >= 1000 && i < 3) { v /= 1000; i++; }
        snprintf(out, cap, i ? "%.1f%s" : "%.0f%s", v, u[i]);
    }
}

static void draw(progress *p, double now)
{
    double el = now - p->start;
    double rate = el > 0 ? p->done / el : 0;
    char done[32], tot[32], rt[32], eta[32] = "";
    human(done, sizeof done, (double)p->done, p->unit);
    human(tot, sizeof tot, (double)p->total, p->unit);
    human(rt, sizeof rt, rate, p->unit);
    if (p->total && rate > 0 && p->done < p->total) {
        double s = (p->total - p->done) / rate;
        if (s < 100 * 3600.0) snprintf(eta, sizeof eta, " ETA %dm%02ds", (int)(s / 60), (int)s % 60);
        else snprintf(eta, sizeof eta, " ETA %.3gh", s / 3600);   /* (int) of minutes wrapped past 2^31 */
    }
    if (p->tty) {
        char bar[32] = "";
        if (p->total) {
            int w = 24, k = (int)(w * (double)p->done / p->total);
            if (k > w) k = w;
            for (int i = 0; i < w; i++) bar[i] = i < k ? '#' : '-';
            bar[w] = 0;
        }
        fprintf(stderr, "\r\033[K%s%s%s %s%s%s %s%s%s (%s/s)%s", p->color ? "\033[1m" : "", p->label,
                p->color ? "\033[0m" : "", p->total ? "[" : "", bar, p->total ? "]" : "", done,
                p->total ? " / " : "", p->total ? tot : "", rt, eta);
    } else {
        fprintf(stderr, "%s: %s%s%s (%s/s)%s\n", p->label, done, p->total ? " / " : "", p->total ? tot : "", rt, eta);
    }
    fflush(stderr);
    p->drawn = 1;
}

void prog_update(progress *p, uint64_t done)
{
    if (!p) return;
    p->done = done;
    if (p->quiet) return;
    double now = now_seconds();
    if (now - p->last_draw < p->interval) return;
    p->last_draw = now;
    draw(p, now);
}

void prog_add(progress *p, uint64_t delta)
{
    if (p) prog_update(p, p->done + delta);
}

void prog_clear(progress *p)
{
    if (!p || !p->tty || !p->drawn || p->quiet) return;
    fprintf(stderr, "\r\033[K");
    fflush(stderr);
    p->drawn = 0;
    p->last_draw = now_seconds() - p->interval;   /* the next update draws it again */
}

void prog_end(progress *p)
{
    if (!p) return;
    if (p->tty && p->drawn && !p->quiet) fprintf(stderr, "\r\033[K");
    free(p);
}

void prog_relay_fn(void *arg, uint64_t done, uint64_t total, const char *what)
{
    prog_relay *r = arg;
    int opened = 0;
    if (!r->bar || strcmp(r->what, what)) {
        prog_end(r->bar);
        snprintf(r->what, sizeof r->what, "%s", what);
        r->bar = prog_open(what, total, r->unit, &r->display);
        opened = 1;
    }
    if (total) prog_set_total(r->bar, total);
    if (!opened || done) prog_update(r->bar, done);   /* a phase's (0, total) only starts its clock */
}

void prog_relay_end(prog_relay *r)
{
    prog_end(r->bar);
    r->bar = NULL;
    r->what[0] = 0;
}
