/*
 * libFuzzer target: the Telegram update parser (src/gateway/adapters.h), with the
 * checks of fuzz_adapter.h.
 */
#include <config.h>

#define FUZZ_NAME "fuzz_telegram"
#include "fuzz_adapter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_adapter("telegram", tg_parse_updates, data, size);
}
