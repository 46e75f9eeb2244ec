// Settings of outbound webhooks and e-mail.

export interface NotificationSettings {
  /** WEBHOOK_ALLOW_PRIVATE_URLS: endpoints may point at loopback and private addresses (the default outside production). */
  allowPrivateUrls: boolean;
  /** WEBHOOK_TIMEOUT_MS: an attempt succeeds with a 2xx within this. */
  timeoutMs: number;
  /** WEBHOOK_RETRY_SCHEDULE_MS: the delay before each attempt (Svix's schedule by default). */
  retryScheduleMs: number[];
  /** WEBHOOK_DISABLE_AFTER_MS: an endpoint whose every delivery failed this long is disabled. */
  disableAfterMs: number;
  /** SMTP_URL: without it, mail is not sent. */
  smtpUrl: string | undefined;
  /** NOTIFY_FROM */
  from: string;
  /** DELIVERY_RELAY: this API process starts the delivery workflows of new deliveries (any number may). */
  relay: boolean;
}

const SVIX_SCHEDULE_MS = [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

function schedule(raw: string | undefined): number[] {
  if (raw === undefined || raw.trim() === '') return SVIX_SCHEDULE_MS;
  const delays = raw.split(',').map((part) => Number(part.trim()));
  if (delays.length === 0 || delays.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new Error(`WEBHOOK_RETRY_SCHEDULE_MS must be a comma list of non-negative integers, got "${raw}"`);
  }
  return delays;
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

export function loadNotificationSettings(env: NodeJS.ProcessEnv, production: boolean): NotificationSettings {
  const allow = env.WEBHOOK_ALLOW_PRIVATE_URLS;
  return {
    allowPrivateUrls: allow === undefined || allow === '' ? !production : allow === 'true',
    timeoutMs: positive(env, 'WEBHOOK_TIMEOUT_MS', 15_000),
    retryScheduleMs: schedule(env.WEBHOOK_RETRY_SCHEDULE_MS),
    disableAfterMs: positive(env, 'WEBHOOK_DISABLE_AFTER_MS', 5 * 24 * 3600_000),
    smtpUrl: env.SMTP_URL || undefined,
    from: env.NOTIFY_FROM || 'billing@localhost',
    relay: env.DELIVERY_RELAY !== 'false',
  };
}
