/*
 * Thread pool: persistent pthread workers that spin briefly, then sleep on a condition
 * variable, between jobs. See pool.h for the contract.
 */
#define _GNU_SOURCE
#include "pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ __volatile__("yield")
#else
#define CPU_RELAX() ((void)0)
#endif

#define SPIN_ITERS 4000

/*
 * Protocol. `generation` is odd while the caller sets a job up and even when the job is
 * ready. A worker that sees a new even generation announces itself in `active`, checks
 * the generation did not move, then claims tasks from `next_task`. The caller runs tasks
 * too and returns once `done` reaches the task count: it never waits for a worker that
 * has not claimed a task (a descheduled worker costs nothing). Before setting up the next
 * job it waits for `active` to drain, so a late worker never sees a half-written job.
 */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv_work = PTHREAD_COND_INITIALIZER;
static pthread_cond_t cv_done = PTHREAD_COND_INITIALIZER;

static int nthreads = 0;          /* 0 = not initialised yet */
static int nstarted = 0;          /* worker threads started (tids 1..nstarted) */
static _Atomic long generation = 0;
static _Atomic long next_task = 0;
static _Atomic long done_tasks = 0;
static _Atomic int active = 0;
static long job_ntasks = 0;
static int job_workers = 0;       /* workers taking part: tids 1..job_workers */
static llmts_task_fn job_fn = NULL;
static void *job_ctx = NULL;
static _Thread_local int in_task = 0;

static void *scratch_buf[LLMTS_MAX_THREADS + 1][LLMTS_SCRATCH_SLOTS];
static size_t scratch_cap[LLMTS_MAX_THREADS + 1][LLMTS_SCRATCH_SLOTS];

/* Claims and runs tasks until none is left; wakes the caller after the last one. */
static void run_tasks(int tid) {
  in_task = 1;
  for (;;) {
    long t = atomic_fetch_add(&next_task, 1);
    if (t >= job_ntasks) break;
    job_fn(job_ctx, t, tid);
    if (atomic_fetch_add(&done_tasks, 1) + 1 == job_ntasks && tid != 0) {
      pthread_mutex_lock(&mu);
      pthread_cond_signal(&cv_done);
      pthread_mutex_unlock(&mu);
    }
  }
  in_task = 0;
}

static int job_ready(long g, long seen) { return (g & 1) == 0 && g != seen; }

static void *worker_main(void *arg) {
  int tid = (int)(long)arg;
  long seen = 0;
  for (;;) {
    int spins = 0;
    while (!job_ready(atomic_load(&generation), seen) && spins < SPIN_ITERS) {
      CPU_RELAX();
      spins++;
    }
    if (!job_ready(atomic_load(&generation), seen)) {
      pthread_mutex_lock(&mu);
      while (!job_ready(atomic_load(&generation), seen)) pthread_cond_wait(&cv_work, &mu);
      pthread_mutex_unlock(&mu);
    }
    long g = atomic_load(&generation);
    if (!job_ready(g, seen)) continue;
    atomic_fetch_add(&active, 1);
    if (atomic_load(&generation) == g) {
      seen = g;
      if (tid <= job_workers) run_tasks(tid);
    }
    atomic_fetch_sub(&active, 1);
  }
  return NULL;
}

static int default_threads(void) {
  const char *env = getenv("LLMTS_THREADS");
  if (env && *env) {
    int n = atoi(env);
    if (n >= 1) return n > LLMTS_MAX_THREADS ? LLMTS_MAX_THREADS : n;
  }
  long n = sysconf(_SC_NPROCESSORS_ONLN);
#ifdef __linux__
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int c = CPU_COUNT(&set);
    if (c >= 1 && c < n) n = c;
  }
#endif
  if (n < 1) n = 1;
  return n > LLMTS_MAX_THREADS ? LLMTS_MAX_THREADS : (int)n;
}

int llmts_get_threads(void) {
  if (nthreads == 0) nthreads = default_threads();
  return nthreads;
}

void llmts_set_threads(int n) {
  if (n < 1) n = 1;
  if (n > LLMTS_MAX_THREADS) n = LLMTS_MAX_THREADS;
  nthreads = n;
}

/* Starts workers up to tid nthreads - 1; returns how many are running. */
static int ensure_workers(int want) {
  while (nstarted < want) {
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&th, &attr, worker_main, (void *)(long)(nstarted + 1));
    pthread_attr_destroy(&attr);
    if (rc != 0) break;
    nstarted++;
  }
  return nstarted < want ? nstarted : want;
}

void llmts_parallel_for(long ntasks, llmts_task_fn fn, void *ctx) {
  if (ntasks <= 0) return;
  int nt = llmts_get_threads();
  if (ntasks == 1 || nt == 1 || in_task) {
    int was = in_task;
    in_task = 1;
    for (long t = 0; t < ntasks; t++) fn(ctx, t, 0);
    in_task = was;
    return;
  }
  int workers = nt - 1;
  if (workers > ntasks - 1) workers = (int)(ntasks - 1);
  workers = ensure_workers(workers);
  atomic_fetch_add(&generation, 1); /* odd: setting up */
  while (atomic_load(&active) != 0) CPU_RELAX();
  job_fn = fn;
  job_ctx = ctx;
  job_ntasks = ntasks;
  job_workers = workers;
  atomic_store(&done_tasks, 0);
  atomic_store(&next_task, 0);
  pthread_mutex_lock(&mu);
  atomic_fetch_add(&generation, 1); /* even: ready */
  pthread_cond_broadcast(&cv_work);
  pthread_mutex_unlock(&mu);
  run_tasks(0);
  int spins = 0;
  while (atomic_load(&done_tasks) < ntasks && spins < SPIN_ITERS) {
    CPU_RELAX();
    spins++;
  }
  if (atomic_load(&done_tasks) < ntasks) {
    pthread_mutex_lock(&mu);
    while (atomic_load(&done_tasks) < ntasks) pthread_cond_wait(&cv_done, &mu);
    pthread_mutex_unlock(&mu);
  }
}

void *llmts_scratch(int tid, int slot, size_t bytes) {
  int row = tid < 0 ? LLMTS_MAX_THREADS : tid;
  if (row > LLMTS_MAX_THREADS || slot < 0 || slot >= LLMTS_SCRATCH_SLOTS) return NULL;
  if (bytes == 0) bytes = 64;
  if (scratch_cap[row][slot] < bytes) {
    free(scratch_buf[row][slot]);
    scratch_buf[row][slot] = NULL;
    scratch_cap[row][slot] = 0;
    size_t cap = (bytes + 4095) & ~(size_t)4095;
    void *p = NULL;
    if (posix_memalign(&p, 64, cap) != 0) return NULL;
    scratch_buf[row][slot] = p;
    scratch_cap[row][slot] = cap;
  }
  return scratch_buf[row][slot];
}
