/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "lib/interrupt.h"

volatile sig_atomic_t interrupt_signal;
static volatile sig_atomic_t signals_seen;

static void on_signal(int sig)
{
	/* Ending here would leave a card half cleaned up: whoever runs the
	 * card decides, at its next look (guard.c, cmd_batch.c). */
	if (!interrupt_signal)
		interrupt_signal = sig;
	if (signals_seen < 1000)
		signals_seen++;
}

unsigned interrupt_count(void)
{
	return (unsigned)__atomic_load_n(&signals_seen, __ATOMIC_RELAXED);
}

static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };

void interrupt_sigset(sigset_t *set)
{
	size_t i;

	sigemptyset(set);
	for (i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		sigaddset(set, stop_signals[i]);
}

static void handle_stop_signals(void (*handler)(int))
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a prompt waiting for input must return. */
	for (i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		sigaction(stop_signals[i], &sa, NULL);
}

void interrupt_catch(void)
{
	handle_stop_signals(on_signal);
	/* A reader of our output that goes away (`| head`) must not end a run
	 * halfway through a card, a probe with blocks not put back: writes
	 * fail with EPIPE instead, and the run goes on to its end. */
	signal(SIGPIPE, SIG_IGN);
}

void interrupt_ignore(void)
{
	handle_stop_signals(SIG_IGN);
}

