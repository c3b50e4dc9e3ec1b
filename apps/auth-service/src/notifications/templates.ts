import type { NotificationName, NotificationPayloads } from './notifier';

/** A notification as a mail: a subject, a plain-text part and an HTML part saying the same. */
export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** `2026-12-01` from an ISO time; the input unchanged when it is not a date. */
const day = (iso: string | null): string => {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(0, 10);
};

const PROVIDER_NAMES = { stripe: 'card', apple: 'App Store', trial: 'trial' } as const;

/** Paragraphs of each notification; the text part joins them with blank lines, the HTML one wraps each in `<p>`. */
function paragraphs<N extends NotificationName>(name: N, p: NotificationPayloads[N]): { subject: string; body: string[] } {
  switch (name) {
    case 'trial-ending': {
      const { trialEndsAt } = p as NotificationPayloads['trial-ending'];
      return {
        subject: 'Your Phoenix VPN trial ends soon',
        body: [`Your free trial of Phoenix VPN ends on ${day(trialEndsAt)} (UTC).`, 'To stay protected after that, choose a plan in the app under Account.'],
      };
    }
    case 'payment-failed': {
      const { provider, graceUntil } = p as NotificationPayloads['payment-failed'];
      return {
        subject: 'Your Phoenix VPN payment did not go through',
        body: [
          `We could not collect your subscription payment (${PROVIDER_NAMES[provider]}).`,
          graceUntil ? `Your access continues until ${day(graceUntil)} (UTC) while you update your payment method.` : 'Please update your payment method to keep your access.',
        ],
      };
    }
    case 'subscription-ended': {
      const { reason } = p as NotificationPayloads['subscription-ended'];
      const why = reason === 'refunded' ? 'was refunded' : reason === 'expired' ? 'has expired' : 'was canceled';
      return { subject: 'Your Phoenix VPN subscription has ended', body: [`Your subscription ${why}, so Phoenix VPN no longer connects.`, 'You can subscribe again at any time in the app.'] };
    }
    default:
      throw new Error(`no template for notification ${String(name)}`);
  }
}

const FOOTER = 'You get this mail because email notifications are on in your Phoenix VPN preferences.';

/**
 * Renders a notification. Payload values reach the HTML part escaped. The mail names no account
 * detail beyond what the notice is about (no address, no user id).
 * @throws Error for a job name without a template (the job then fails; nothing is sent)
 */
export function renderMail<N extends NotificationName>(name: N, payload: NotificationPayloads[N]): RenderedMail {
  const { subject, body } = paragraphs(name, payload);
  const text = [...body, '--', FOOTER].join('\n\n') + '\n';
  const html = `<!doctype html>\n<html><body>\n${[...body.map((b) => `<p>${escapeHtml(b)}</p>`), `<hr>\n<p><small>${escapeHtml(FOOTER)}</small></p>`].join('\n')}\n</body></html>\n`;
  return { subject, text, html };
}
