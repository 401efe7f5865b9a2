/*
 * budget.c: the request memory budget (see budget.h). A couple of
 * additions per buffered record: no allocation, no system call.
 */
#include "budget.h"

/* Lines about refusals are written at most this often, in seconds. */
#define BUDGET_LOG_INTERVAL 1.0

bool budget_take(struct budget *b, size_t max, size_t n)
{
	/* Written so that neither side can wrap, even with used above a lowered max. */
	if (b->used > max || n > max - b->used)
		return false;
	b->used += n;
	return true;
}

void budget_give(struct budget *b, size_t n)
{
	b->used -= n;
}

size_t budget_used(const struct budget *b)
{
	return b->used;
}

unsigned long budget_refusal(struct budget *b, double now)
{
	b->refused++;
	if (b->logged_at != 0 && now - b->logged_at < BUDGET_LOG_INTERVAL)
		return 0;
	unsigned long count = b->refused;
	b->refused = 0;
	b->logged_at = now;
	return count;
}
