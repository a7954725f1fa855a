/*
 * What the libFuzzer targets share. Define FUZZ_NAME ("fuzz_csv") before
 * including. CHECK aborts with the target's name and what failed, so that
 * libFuzzer keeps the input that broke an invariant.
 */
#ifndef DUTYDESK_FUZZ_H
#define DUTYDESK_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, FUZZ_NAME ": %s: ", #cond);        \
			fprintf(stderr, __VA_ARGS__);                      \
			fputc('\n', stderr);                               \
			abort();                                           \
		}                                                          \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
