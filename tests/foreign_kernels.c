/*
 * Foreign kernels: NumPy's arithmetic as another processor would do it.
 *
 * NumPy computes float64 exp, log, sin, ... with its own AVX-512 code on processors that
 * have AVX-512, and with the C library's functions elsewhere; its matrix products run
 * through OpenBLAS, which picks a different kernel for each processor model. The results
 * differ in the last bit. This machine can only run its own kernels, so the test suite's
 * portability pass (conftest.py, --foreign-machine) preloads this library into every
 * notebook kernel (LD_PRELOAD). It wraps
 *
 *   - the C library's exp, log, log10, log1p, expm1, log2, exp2, pow, sin, cos, tan and
 *     tanh, when NumPy's umath module calls them (other callers, PyTorch and numba
 *     among them, get the C library's values untouched: their code is the same on every
 *     machine);
 *   - the float64 BLAS routines NumPy calls (dgemm, dgemv, dsyrk, ddot), and SciPy's
 *     Cholesky factorisation and triangular inverse (dpotrf, dtrtri), which genlab's
 *     Gaussian code uses;
 *
 * and moves one result in eight by one unit in the last place, up or down, as a
 * different but equally accurate implementation would. (Products with fewer than 8
 * terms are left alone: every kernel adds so few terms in the same order, and matplotlib
 * composes its 3 x 3 transforms that way.) The choice is a fixed
 * function of the result's bits (and of FOREIGN_KERNELS_SEED), so the same input always
 * gives the same output. Results
 * that no implementation would round differently are left alone: 0, infinities, NaN, and
 * numbers whose 12 lowest mantissa bits are zero (1.0, 0.25, an integer count, a sum of
 * sixteenths), which are exact in any summation order.
 *
 * Stored outputs that survive this are robust to the kernels of any processor, not just
 * to those of the machine that runs the tests. Never used outside the tests.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <math.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

typedef int64_t blasint; /* NumPy's OpenBLAS is built with 64-bit integers (ILP64) */

/* FOREIGN_KERNELS_SEED (an integer, default 0) picks another "processor": another set of
 * results moves. */
static uint64_t seed(void) {
    static int known;
    static uint64_t value;
    if (!known) {
        const char *text = getenv("FOREIGN_KERNELS_SEED");
        value = text ? strtoull(text, NULL, 10) * 0xD1B54A32D192ED03ULL : 0;
        known = 1;
    }
    return value;
}

static double nudge(double x) {
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    if (x == 0.0 || !isfinite(x) || (bits & 0xFFF) == 0) return x;
    uint64_t h = (bits ^ seed()) * 0x9E3779B97F4A7C15ULL;
    if ((h >> 61) != 0) return x; /* seven in eight unchanged */
    return nextafter(x, (h >> 60) & 1 ? INFINITY : -INFINITY);
}

/* ------------------------------------------------ who is calling: NumPy's umath? */
#define SLOTS 4096
static void *slot_address[SLOTS];
static signed char slot_numpy[SLOTS];

static int called_from_numpy(void *address) {
    uintptr_t key = ((uintptr_t)address >> 2) % SLOTS;
    for (int probe = 0; probe < SLOTS; probe++) {
        uintptr_t i = (key + probe) % SLOTS;
        if (slot_address[i] == address) return slot_numpy[i];
        if (slot_address[i] == NULL) {
            Dl_info info;
            int numpy = dladdr(address, &info) && info.dli_fname &&
                        strstr(info.dli_fname, "_multiarray_umath") != NULL;
            slot_numpy[i] = (signed char)numpy;
            slot_address[i] = address; /* a benign race: both writers agree */
            return numpy;
        }
    }
    return 0;
}

#define REAL(name) static __typeof__(name) *real_##name; \
    if (!real_##name) real_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

#define WRAP1(name)                                                      \
    double name(double x) {                                              \
        REAL(name);                                                      \
        double y = real_##name(x);                                       \
        return called_from_numpy(__builtin_return_address(0)) ? nudge(y) : y; \
    }

WRAP1(exp)
WRAP1(log)
WRAP1(log1p)
WRAP1(expm1)
WRAP1(log2)
WRAP1(log10)
WRAP1(tan)
WRAP1(exp2)
WRAP1(sin)
WRAP1(cos)
WRAP1(tanh)

double pow(double x, double e) {
    REAL(pow);
    double y = real_pow(x, e);
    return called_from_numpy(__builtin_return_address(0)) ? nudge(y) : y;
}

/* ------------------------------------------------------------- NumPy's BLAS */
enum { ROW_MAJOR = 101, COL_MAJOR = 102, NO_TRANS = 111, UPPER = 121 };
enum { SHORT = 8 }; /* sums of fewer terms than this are left alone */

typedef void dgemm_t(int, int, int, blasint, blasint, blasint, double, const double *,
                     blasint, const double *, blasint, double, double *, blasint);
typedef void dgemv_t(int, int, blasint, blasint, double, const double *, blasint,
                     const double *, blasint, double, double *, blasint);
typedef void dsyrk_t(int, int, int, blasint, blasint, double, const double *, blasint,
                     double, double *, blasint);
typedef double ddot_t(blasint, const double *, blasint, const double *, blasint);

/* NumPy loads its OpenBLAS privately (RTLD_LOCAL), where dlsym(RTLD_NEXT, ...) cannot see
 * it: find the loaded library by name and look the routine up in it. */
struct search {
    const char *library; /* part of the file name */
    const char *path;
};

static int find_library(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct search *search = data;
    if (info->dlpi_name && strstr(info->dlpi_name, search->library)) {
        search->path = info->dlpi_name;
        return 1;
    }
    return 0;
}

static void *next_in(const char *library, const char *name) {
    void *symbol = dlsym(RTLD_NEXT, name);
    if (symbol) return symbol;
    struct search search = {library, NULL};
    dl_iterate_phdr(find_library, &search);
    void *handle = search.path ? dlopen(search.path, RTLD_NOW | RTLD_NOLOAD) : NULL;
    symbol = handle ? dlsym(handle, name) : NULL;
    if (!symbol) abort(); /* a routine that cannot be found must not return numbers */
    return symbol;
}

static void *next(const char *name) { return next_in("libscipy_openblas64_", name); }

void scipy_cblas_dgemm64_(int order, int ta, int tb, blasint m, blasint n, blasint k,
                          double alpha, const double *a, blasint lda, const double *b,
                          blasint ldb, double beta, double *c, blasint ldc) {
    static dgemm_t *real;
    if (!real) real = (dgemm_t *)next("scipy_cblas_dgemm64_");
    real(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    if (k < SHORT) return;
    for (blasint i = 0; i < m; i++)
        for (blasint j = 0; j < n; j++) {
            double *x = order == ROW_MAJOR ? &c[i * ldc + j] : &c[j * ldc + i];
            *x = nudge(*x);
        }
}

void scipy_cblas_dgemv64_(int order, int trans, blasint m, blasint n, double alpha,
                          const double *a, blasint lda, const double *x, blasint incx,
                          double beta, double *y, blasint incy) {
    static dgemv_t *real;
    if (!real) real = (dgemv_t *)next("scipy_cblas_dgemv64_");
    real(order, trans, m, n, alpha, a, lda, x, incx, beta, y, incy);
    if ((trans == NO_TRANS ? n : m) < SHORT) return;
    blasint len = trans == NO_TRANS ? m : n;
    blasint step = incy < 0 ? -incy : incy;
    for (blasint i = 0; i < len; i++) y[i * step] = nudge(y[i * step]);
}

void scipy_cblas_dsyrk64_(int order, int uplo, int trans, blasint n, blasint k, double alpha,
                          const double *a, blasint lda, double beta, double *c, blasint ldc) {
    static dsyrk_t *real;
    if (!real) real = (dsyrk_t *)next("scipy_cblas_dsyrk64_");
    real(order, uplo, trans, n, k, alpha, a, lda, beta, c, ldc);
    if (k < SHORT) return;
    int upper_in_memory = (uplo == UPPER) == (order == ROW_MAJOR);
    for (blasint i = 0; i < n; i++)
        for (blasint j = 0; j < n; j++)
            if (upper_in_memory ? j >= i : j <= i) c[i * ldc + j] = nudge(c[i * ldc + j]);
}

double scipy_cblas_ddot64_(blasint n, const double *x, blasint incx, const double *y,
                           blasint incy) {
    static ddot_t *real;
    if (!real) real = (ddot_t *)next("scipy_cblas_ddot64_");
    double result = real(n, x, incx, y, incy);
    return n < SHORT ? result : nudge(result);
}

/* ------------------------------------------- SciPy's LAPACK (32-bit integers, Fortran) */
typedef void dpotrf_t(const char *, const int *, double *, const int *, int *, size_t);
typedef void dtrtri_t(const char *, const char *, const int *, double *, const int *, int *,
                      size_t, size_t);

static void nudge_triangle(char uplo, int n, double *a, int lda) {
    int lower = uplo == 'L' || uplo == 'l';
    for (int j = 0; j < n; j++) /* column-major: a[i + j * lda] */
        for (int i = lower ? j : 0; i < (lower ? n : j + 1); i++)
            a[i + (size_t)j * lda] = nudge(a[i + (size_t)j * lda]);
}

void scipy_dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info,
                   size_t uplo_len) {
    static dpotrf_t *real;
    if (!real) real = (dpotrf_t *)next_in("libscipy_openblas-", "scipy_dpotrf_");
    real(uplo, n, a, lda, info, uplo_len);
    if (*info == 0) nudge_triangle(*uplo, *n, a, *lda);
}

void scipy_dtrtri_(const char *uplo, const char *diag, const int *n, double *a,
                   const int *lda, int *info, size_t uplo_len, size_t diag_len) {
    static dtrtri_t *real;
    if (!real) real = (dtrtri_t *)next_in("libscipy_openblas-", "scipy_dtrtri_");
    real(uplo, diag, n, a, lda, info, uplo_len, diag_len);
    if (*info == 0) nudge_triangle(*uplo, *n, a, *lda);
}
