/*
 * worker.h: slots filled by FastCGI workers (mode = fastcgi). Bringing a
 * slot up forks a worker by the FastCGI convention (its own listening
 * socket on fd 0); the pool then holds one keep-conn connection to it, made
 * with the first job, and sends it one job at a time with POOL_REQUEST_ID.
 * The worker is recycled after pm.max_requests or past pm.max_memory.
 * Private to fcgi-pool.
 */
#ifndef FCGI_POOL_WORKER_H
#define FCGI_POOL_WORKER_H

#include "slot.h"

extern const struct slot_ops worker_slot_ops;

#endif /* FCGI_POOL_WORKER_H */
