/* alert_dedup.c - cross-interface alert suppression (alert_dedup.h). */
#include <stdio.h>
#include <stdlib.h>

#include "alert_dedup.h"

int alert_dedup_init(struct alert_dedup *d, unsigned slots, char *err, size_t errlen)
{
	unsigned n = 1;
	while (n < slots && n < (1u << 24))
		n <<= 1;
	d->slot = calloc(n, sizeof(*d->slot));
	if (!d->slot) {
		snprintf(err, errlen, "cannot allocate the alert duplicate table (%u entries)", n);
		return -1;
	}
	d->mask = n - 1;
	d->st = (struct alert_dedup_stats){ 0, 0 };
	return 0;
}

void alert_dedup_free(struct alert_dedup *d)
{
	free(d->slot);
	d->slot = NULL;
}

static bool within(uint64_t a, uint64_t b)
{
	return (a > b ? a - b : b - a) <= ALERT_DEDUP_WINDOW_US;
}

bool alert_dedup_check(struct alert_dedup *d, uint64_t key, uint32_t iface, uint64_t ts_us)
{
	struct alert_dedup_slot *s = &d->slot[key & d->mask];
	if (s->used && s->key == key && within(s->ts_us, ts_us)) {
		if (s->iface != iface) {
			d->st.suppressed++;
			return true;
		}
	} else if (s->used && s->key != key && within(s->ts_us, ts_us)) {
		d->st.replaced++;
	}
	s->used = 1;
	s->key = key;
	s->iface = iface;
	s->ts_us = ts_us;
	return false;
}
