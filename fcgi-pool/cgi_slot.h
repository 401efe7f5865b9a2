/*
 * cgi_slot.h: slots for a pool in mode = cgi. A slot holds no process while
 * idle: running a job starts one CGI program for it (cgi.h), and the slot
 * is idle again once the program is reaped. The queue, limits and timeouts
 * are the pool's as for FastCGI workers. Private to fcgi-pool.
 */
#ifndef FCGI_POOL_CGI_SLOT_H
#define FCGI_POOL_CGI_SLOT_H

#include "slot.h"

extern const struct slot_ops cgi_slot_ops;

#endif /* FCGI_POOL_CGI_SLOT_H */
