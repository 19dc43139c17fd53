/*
 * Node-API argument helpers for addon.c: unpack numbers, booleans and typed arrays,
 * throwing a TypeError that names the kernel and the argument on a wrong type.
 * Included by addon.c and addon_lowp.c. Inside a napi callback: BEGIN("name", nargs), unpack, END().
 */
#ifndef LLMTS_ARGS_H
#define LLMTS_ARGS_H
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>

#define MAX_ARGS 20
typedef struct {
  napi_env env;
  napi_value argv[MAX_ARGS];
  size_t argc;
  int err;
  const char *fn;
} args_t;

static void fail(args_t *a, const char *what, size_t i) {
  if (a->err) return;
  char msg[200];
  snprintf(msg, sizeof(msg), "llmts native %s: argument %zu must be %s", a->fn, i, what);
  napi_throw_type_error(a->env, "E_NATIVE_ARG", msg);
  a->err = 1;
}

static int get_args(napi_env env, napi_callback_info info, args_t *a, size_t need, const char *fn) {
  a->env = env;
  a->argc = MAX_ARGS;
  a->err = 0;
  a->fn = fn;
  if (napi_get_cb_info(env, info, &a->argc, a->argv, NULL, NULL) != napi_ok || a->argc < need) {
    char msg[200];
    snprintf(msg, sizeof(msg), "llmts native %s: expected %zu arguments, got %zu", fn, need, a->argc);
    napi_throw_type_error(env, "E_NATIVE_ARG", msg);
    return 0;
  }
  return 1;
}

static void *typed(args_t *a, size_t i, napi_typedarray_type want, int nullable) {
  if (a->err) return NULL;
  napi_value v = a->argv[i];
  if (nullable) {
    napi_valuetype t;
    if (napi_typeof(a->env, v, &t) == napi_ok && (t == napi_null || t == napi_undefined)) return NULL;
  }
  bool is = false;
  napi_is_typedarray(a->env, v, &is);
  if (is) {
    napi_typedarray_type type;
    size_t len;
    void *data = NULL;
    napi_value ab;
    size_t off;
    if (napi_get_typedarray_info(a->env, v, &type, &len, &data, &ab, &off) == napi_ok && type == want) {
      /* an empty view may have a null data pointer; kernels never read it */
      static float empty[1];
      return data ? data : (void *)empty;
    }
  }
  fail(a,
       want == napi_float32_array  ? "a Float32Array"
       : want == napi_int32_array  ? "an Int32Array"
       : want == napi_uint16_array ? "a Uint16Array"
                                   : "a Uint8Array",
       i);
  return NULL;
}

static float *f32(args_t *a, size_t i) { return (float *)typed(a, i, napi_float32_array, 0); }
static float *f32_or_null(args_t *a, size_t i) { return (float *)typed(a, i, napi_float32_array, 1); }
static int *i32(args_t *a, size_t i) { return (int *)typed(a, i, napi_int32_array, 0); }
static uint16_t *u16(args_t *a, size_t i) { return (uint16_t *)typed(a, i, napi_uint16_array, 0); }
static uint8_t *u8(args_t *a, size_t i) { return (uint8_t *)typed(a, i, napi_uint8_array, 0); }

static double num(args_t *a, size_t i) {
  double d = 0;
  if (a->err) return 0;
  if (napi_get_value_double(a->env, a->argv[i], &d) != napi_ok) fail(a, "a number", i);
  return d;
}

static long lng(args_t *a, size_t i) {
  int64_t v = 0;
  if (a->err) return 0;
  if (napi_get_value_int64(a->env, a->argv[i], &v) != napi_ok) fail(a, "an integer", i);
  return (long)v;
}

static int flag(args_t *a, size_t i) {
  bool b = false;
  if (a->err) return 0;
  if (napi_get_value_bool(a->env, a->argv[i], &b) != napi_ok) fail(a, "a boolean", i);
  return b ? 1 : 0;
}

static napi_value undef(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

#define BEGIN(name, need)                                   \
  args_t A;                                                 \
  if (!get_args(env, info, &A, need, name)) return NULL;
#define END()                                               \
  if (A.err) return NULL;

#endif
