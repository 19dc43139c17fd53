/*
 * The OpenBLAS peer of `npm run bench -- gemm`: times cblas_sgemm on one entry exactly as
 * the bench times ours (the fastest single call, at least min_seconds of calls, >= 5).
 * bench/gemm.ts builds it with the system's OpenBLAS (Debian: apt install libopenblas-dev)
 * and runs it once per entry, right after ours.
 *
 *   openblas-gemm THREADS M N K OP MIN_SECONDS   (OP: NN, NT, TN or TT)
 *
 * Prints: core=<the kernel set OpenBLAS chose> config=<its build> gflops=<x>
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

extern char *openblas_get_corename(void);
extern char *openblas_get_config(void);

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: %s THREADS M N K OP MIN_SECONDS\n", argv[0]);
    return 2;
  }
  int threads = atoi(argv[1]);
  long M = atol(argv[2]), N = atol(argv[3]), K = atol(argv[4]);
  int ta = argv[5][0] == 'T', tb = argv[5][1] == 'T';
  double min_seconds = atof(argv[6]);
  openblas_set_num_threads(threads);
  float *a = malloc(sizeof(float) * M * K), *b = malloc(sizeof(float) * K * N), *c = malloc(sizeof(float) * M * N);
  if (!a || !b || !c) return 1;
  unsigned s = 7;
  for (long i = 0; i < M * K; i++) a[i] = (float)((s = s * 1664525u + 1013904223u) >> 8) / 16777216.0f * 2 - 1;
  for (long i = 0; i < K * N; i++) b[i] = (float)((s = s * 1664525u + 1013904223u) >> 8) / 16777216.0f * 2 - 1;
  enum CBLAS_TRANSPOSE opa = ta ? CblasTrans : CblasNoTrans, opb = tb ? CblasTrans : CblasNoTrans;
  long lda = ta ? M : K, ldb = tb ? K : N;
  cblas_sgemm(CblasRowMajor, opa, opb, M, N, K, 1.0f, a, lda, b, ldb, 0.0f, c, N); /* warm up */
  double best = 1e30, spent = 0;
  int calls = 0;
  while (spent < min_seconds || calls < 5) {
    double t0 = now();
    cblas_sgemm(CblasRowMajor, opa, opb, M, N, K, 1.0f, a, lda, b, ldb, 0.0f, c, N);
    double dt = now() - t0;
    if (dt < best) best = dt;
    spent += dt;
    calls++;
  }
  printf("core=%s config=%s gflops=%.3f\n", openblas_get_corename(), openblas_get_config(), 2.0 * M * N * K / best / 1e9);
  free(a);
  free(b);
  free(c);
  return 0;
}
