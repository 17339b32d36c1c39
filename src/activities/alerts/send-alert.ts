import { Context, log } from '@temporalio/activity';
import type { SendAlertInput, SendAlertResult } from '../../workflows/alerts/alerts';
import { alertLogLine, webhookBody } from '../../workflows/alerts/alerts';
import { applicationFailure } from '../../common/application-failures';

export interface AlertSinks {
  /** POSTed every alert as JSON; unset: the worker log only. */
  webhookUrl?: string;
  /** How long one POST may take before the attempt fails and is retried (default 10 s). */
  webhookTimeoutMs?: number;
}

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;

/**
 * The alert activities, over the configured sinks (workers/config.ts `alerts`).
 *
 * `sendAlert` writes the alert to the worker log (a WARN line, on its first attempt only, so a
 * retried delivery is not logged twice) and POSTs it to the webhook, if one is configured. A
 * receiver that is down, times out, throttles (429) or answers 5xx fails the attempt as a retryable
 * DependencyUnavailableError, which the retry policy (alertActivities() in
 * workflows/activity-options.ts) backs off for up to an hour; another 4xx is the receiver refusing
 * the alert, which no retry changes. Deliveries are at least once: the body's `id` is the same on
 * every attempt, for the receiver to dedupe. Messages name the webhook's origin only, because a
 * webhook URL's path is often its secret (Slack's are).
 */
export function createAlertActivities(sinks: AlertSinks = {}) {
  return {
    async sendAlert(alert: SendAlertInput): Promise<SendAlertResult> {
      if (attempt() === 1) {
        const line = alertLogLine(alert);
        log.warn(line.message, line.fields);
      }
      if (!sinks.webhookUrl) return { sinks: ['log'] };
      await postAlert(sinks.webhookUrl, alert, sinks.webhookTimeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS);
      return { sinks: ['log', 'webhook'] };
    },
  };
}

export type AlertActivities = ReturnType<typeof createAlertActivities>;

function attempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    // Outside an activity (a local tool): one attempt.
    return 1;
  }
}

async function postAlert(url: string, alert: SendAlertInput, timeoutMs: number): Promise<void> {
  const where = `alert webhook at ${new URL(url).origin}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(webhookBody(alert)),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const what =
      error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')
        ? `no answer within ${timeoutMs} ms`
        : `could not be reached (${causeCode(error)})`;
    throw applicationFailure('DependencyUnavailable', `${where}: ${what}; alert ${alert.id}`);
  }
  // The body is not read: a receiver's answer is not ours to log.
  await response.body?.cancel().catch(() => undefined);
  if (response.ok) return;
  const message = `${where} answered HTTP ${response.status}; alert ${alert.id}`;
  if (response.status >= 500 || response.status === 429 || response.status === 408)
    throw applicationFailure('DependencyUnavailable', message);
  throw applicationFailure('AlertRejected', message);
}

/** The connection error's code (ECONNREFUSED, ...), which fetch keeps in its cause. */
function causeCode(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  return error instanceof Error ? error.message : String(error);
}
