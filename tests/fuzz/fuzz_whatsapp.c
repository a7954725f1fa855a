/*
 * libFuzzer target: the WhatsApp webhook parser (src/gateway/adapters.h), with the
 * checks of fuzz_adapter.h.
 */
#include <config.h>

#define FUZZ_NAME "fuzz_whatsapp"
#include "fuzz_adapter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_adapter("whatsapp", wa_parse_webhook, data, size);
}
