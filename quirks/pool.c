// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pool a quirk database lives in: chunks freed at once.  In its own
 * file because gcc 12's analyzer, seeing a caller and this code together,
 * loses the chunk's p->head binding and reports a false leak.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct qchunk {
	struct qchunk *next;
	size_t used, cap;
	max_align_t data[];
};

#define QCHUNK_SIZE 16384

void *qpool_alloc(struct qpool *p, size_t size)
{
	struct qchunk *c = p->head;
	size_t a = sizeof(max_align_t);
	void *ret;

	size = (size + a - 1) / a * a;
	if (!size)
		size = a;
	if (!c || c->cap - c->used < size) {
		size_t cap = size > QCHUNK_SIZE ? size : QCHUNK_SIZE;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = p->head;
		p->head = c;
	}
	ret = (char *)c->data + c->used;
	c->used += size;
	memset(ret, 0, size);
	return ret;
}

char *qpool_strndup(struct qpool *p, const char *s, size_t len)
{
	char *d;

	len = strnlen(s, len);
	d = qpool_alloc(p, len + 1);
	for (size_t i = 0; d && i < len; i++)
		d[i] = s[i];
	return d;
}

void qpool_free(struct qpool *p)
{
	while (p->head) {
		struct qchunk *c = p->head;

		p->head = c->next;
		free(c);
	}
}

void *qpool_grow(struct qpool *p, void *old, size_t n, size_t *cap,
		 size_t elem)
{
	size_t c;
	void *nv;

	if (n + 2 <= *cap)
		return old;
	c = *cap ? *cap * 2 : 8;
	if (c < n + 2)
		c = n + 2;
	nv = qpool_alloc(p, c * elem);
	if (!nv)
		return NULL;
	if (n)
		memcpy(nv, old, n * elem);
	*cap = c;
	return nv;
}
