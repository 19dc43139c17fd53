/*
 * One kernel at a time per process: the pool and the shared scratch buffers are global,
 * and Node worker threads may each load the addon. Uncontended, this costs ~20 ns.
 * Defined in addon.c; used by addon.c and addon_lowp.c.
 */
#ifndef LLMTS_LOCK_H
#define LLMTS_LOCK_H
#include <pthread.h>

extern pthread_mutex_t llmts_kernel_mu;
#define LOCKED(stmt)                        \
  do {                                      \
    pthread_mutex_lock(&llmts_kernel_mu);   \
    stmt;                                   \
    pthread_mutex_unlock(&llmts_kernel_mu); \
  } while (0)

#endif
