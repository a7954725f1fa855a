/* Telegram long polling: the alternative to the webhook when the site has
 * no public address ([telegram] mode = poll). */
#ifndef DUTYDESK_GATEWAY_POLL_H
#define DUTYDESK_GATEWAY_POLL_H

#include "dutydesk/common.h"
#include "dutydesk/config.h"

typedef struct gw_poller gw_poller;

/* Starts a thread that calls {tg_api_base}/bot{token}/getUpdates with a long
 * timeout, stores every update through the inbound path, answers button
 * presses, and keeps the offset in the settings (telegram.offset) only
 * after the updates are committed. cfg is copied. */
gw_poller *gw_poll_start(const dd_config *cfg, const char *db_path, dd_err *err);
/* Stops promptly (aborts the long poll), joins, frees; *p becomes NULL. */
void gw_poll_stop(gw_poller **p);

#endif
