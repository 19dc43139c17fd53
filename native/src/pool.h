/*
 * The one thread pool of the llm.ts kernels (pthreads).
 *
 * llmts_parallel_for(ntasks, fn, ctx) runs fn(ctx, task, tid) for task in [0, ntasks)
 * on the pool; the calling thread takes part as tid 0. Tasks are handed out
 * dynamically, so a kernel must make each task's result independent of which thread
 * runs it (that is what keeps results identical at any thread count).
 * With one thread, one task, or when called from inside a task, it runs inline.
 */
#ifndef LLMTS_POOL_H
#define LLMTS_POOL_H
#include <stddef.h>

typedef void (*llmts_task_fn)(void *ctx, long task, int tid);

/* Runs every task; returns when all are done. */
void llmts_parallel_for(long ntasks, llmts_task_fn fn, void *ctx);
/* Threads the pool uses (>= 1). */
int llmts_get_threads(void);
/* Sets the thread count (clamped to [1, LLMTS_MAX_THREADS]). */
void llmts_set_threads(int n);
/* Per-thread scratch memory (64-byte aligned, grown on demand, kept between calls).
 * slot in [0, LLMTS_SCRATCH_SLOTS); tid from the task callback, or -1 for a buffer
 * shared by all threads (only resize it outside parallel regions). NULL if out of memory. */
void *llmts_scratch(int tid, int slot, size_t bytes);

#define LLMTS_MAX_THREADS 256
#define LLMTS_SCRATCH_SLOTS 4

#endif
