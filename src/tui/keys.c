/* Key bindings, generated from the action table; rebindable by name. */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

static const struct {
	const char *name, *key, *help;
} table[] = {
#define X(e, n, k, h) {n, k, h},
	TUI_ACTIONS(X)
#undef X
};

const char *tui_action_name(tui_action a)
{
	return a >= 0 && a < ACT_COUNT ? table[a].name : "?";
}

const char *tui_action_help(tui_action a)
{
	return a >= 0 && a < ACT_COUNT ? _(table[a].help) : "";
}

tui_action tui_action_by_name(const char *name)
{
	for (int i = 0; i < ACT_COUNT; i++)
		if (strcmp(name, table[i].name) == 0)
			return (tui_action)i;
	return ACT_NONE;
}

/* Key codes: plain characters (ASCII) as themselves, curses keys (KEY_MIN
 * to KEY_MAX) shifted past them. */
#define KEYCODE(k) (256 + ((k) & 0x1ff))

static const struct {
	const char *name;
	int code;
} named[] = {
	{"Enter", '\r'}, {"Tab", '\t'}, {"Space", ' '}, {"Esc", 27},
	{"Up", KEYCODE(KEY_UP)}, {"Down", KEYCODE(KEY_DOWN)}, {"Left", KEYCODE(KEY_LEFT)},
	{"Right", KEYCODE(KEY_RIGHT)}, {"PgUp", KEYCODE(KEY_PPAGE)}, {"PgDn", KEYCODE(KEY_NPAGE)},
	{"Home", KEYCODE(KEY_HOME)}, {"End", KEYCODE(KEY_END)}, {"F1", KEYCODE(KEY_F(1))},
	{"Backspace", KEYCODE(KEY_BACKSPACE)},
};

static int parse_key(const char *s)
{
	for (size_t i = 0; i < sizeof named / sizeof *named; i++)
		if (strcmp(s, named[i].name) == 0)
			return named[i].code;
	if (strncmp(s, "C-", 2) == 0 && s[2] && !s[3]) {
		char c = s[2];
		if (c >= 'a' && c <= 'z')
			return c - 'a' + 1;
		return -1;
	}
	if (s[0] > ' ' && s[0] < 127 && !s[1])
		return s[0];
	return -1;
}

static int code_of(int is_key, wint_t ch)
{
	if (is_key)
		return ch >= KEY_MIN && ch <= KEY_MAX ? KEYCODE((int)ch) : -1;
	if (ch == '\n')
		return '\r';
	return ch < 256 ? (int)ch : -1;
}

void tui_keys_default(struct tui *t)
{
	for (size_t i = 0; i < sizeof t->keymap / sizeof *t->keymap; i++)
		t->keymap[i] = ACT_NONE;
	for (int a = 0; a < ACT_COUNT; a++) {
		int c = parse_key(table[a].key);
		if (c >= 0)
			t->keymap[c] = a;
	}
	/* the arrows and vi keys both move */
	t->keymap[KEYCODE(KEY_DOWN)] = ACT_DOWN;
	t->keymap[KEYCODE(KEY_UP)] = ACT_UP;
	t->keymap['J'] = ACT_PAGE_DOWN;
	t->keymap['K'] = ACT_PAGE_UP;
	t->keymap[KEYCODE(KEY_ENTER)] = ACT_OPEN;
	t->keymap['G'] = ACT_LAST;
	t->keymap[KEYCODE(KEY_F(1))] = ACT_HELP;
}

int tui_keys_bind(struct tui *t, const char *action, const char *key, char *msg, size_t size)
{
	tui_action a = tui_action_by_name(action);
	if (a == ACT_NONE) {
		snprintf(msg, size, _("unknown action '%s'"), action);
		return -1;
	}
	int c = parse_key(key);
	if (c < 0) {
		snprintf(msg, size, _("cannot bind '%s': use one character, C-x, or a key name like PgDn"), key);
		return -1;
	}
	t->keymap[c] = a;
	return 0;
}

tui_action tui_key_action(struct tui *t, int is_key, wint_t ch)
{
	int c = code_of(is_key, ch);
	if (c < 0 || (size_t)c >= sizeof t->keymap / sizeof *t->keymap)
		return ACT_NONE;
	return (tui_action)t->keymap[c];
}

void tui_action_key(struct tui *t, tui_action a, char *buf, size_t size)
{
	/* the first key bound to it, in the table's spelling */
	if (parse_key(table[a].key) >= 0 && t->keymap[parse_key(table[a].key)] == (int)a) {
		snprintf(buf, size, "%s", table[a].key);
		return;
	}
	for (int c = 0; c < (int)(sizeof t->keymap / sizeof *t->keymap); c++) {
		if (t->keymap[c] != (int)a)
			continue;
		for (size_t i = 0; i < sizeof named / sizeof *named; i++)
			if (named[i].code == c) {
				snprintf(buf, size, "%s", named[i].name);
				return;
			}
		if (c < ' ')
			snprintf(buf, size, "C-%c", c + 'a' - 1);
		else
			snprintf(buf, size, "%c", c);
		return;
	}
	snprintf(buf, size, ":%s", table[a].name);
}
