/**
 * Notification outside pdx: signed webhooks and e-mail over SMTP. A delivery is one row of
 * secops_deliveries; sending it either marks it sent or schedules a retry with exponential backoff,
 * until the attempts run out (then 'failed', visible in the delivery log).
 */
import { createHmac } from 'node:crypto';
import nodemailer from 'nodemailer';
import { fetch, type Dispatcher } from 'undici';
import type { DeliveryRow } from './secops.repo.ts';

/** PDX_SMTP_* as main.ts hands them over. Without a host, e-mail deliveries fail with a clear error. */
export interface SmtpOptions {
  host?: string;
  port?: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  secure?: boolean;
  user?: string;
  password?: string;
  from?: string;
}

export const SIGNATURE_HEADER = 'x-pdx-signature';

/** `sha256=<hex HMAC-SHA256(secret, body)>`: what a receiver recomputes over the raw body it got. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

export interface SendResult {
  ok: boolean;
  status: number | null;
  error?: string;
}

/** `dispatcher` connects to the address the egress guard checked (no loopback, metadata or other refused address). */
export async function sendWebhook(d: DeliveryRow, secret: string | undefined, timeoutMs: number, dispatcher: Dispatcher): Promise<SendResult> {
  const body = JSON.stringify({ ...d.payload, deliveryId: d.id, attempt: d.attempts });
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-pdx-delivery': d.id, 'user-agent': 'pdx-secops' };
  if (secret) headers[SIGNATURE_HEADER] = signBody(secret, body);
  try {
    const res = await fetch(d.target, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs), redirect: 'manual', dispatcher });
    await res.arrayBuffer().catch(() => undefined);
    return res.ok ? { ok: true, status: res.status } : { ok: false, status: res.status, error: `HTTP ${res.status}` };
  } catch (error) {
    return { ok: false, status: null, error: (error as Error).message };
  }
}

export function createMailer(smtp: SmtpOptions) {
  const transport = smtp.host
    ? nodemailer.createTransport({
        host: smtp.host,
        port: smtp.port ?? (smtp.secure ? 465 : 587),
        secure: smtp.secure ?? false,
        ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
      })
    : undefined;
  /** Sends one plain-text message; never throws. Also used by the open-data module (verification links). */
  async function sendMessage(message: { to: string; subject: string; text: string }, timeoutMs: number): Promise<SendResult> {
    if (!transport) return { ok: false, status: null, error: 'SMTP is not configured (PDX_SMTP_HOST)' };
    try {
      await Promise.race([
        transport.sendMail({ from: smtp.from ?? 'pdx@localhost', ...message }),
        new Promise((_, reject) => setTimeout(() => reject(new Error('SMTP timeout')), timeoutMs).unref()),
      ]);
      return { ok: true, status: null };
    } catch (error) {
      return { ok: false, status: null, error: (error as Error).message };
    }
  }
  return {
    configured: Boolean(transport),
    sendMessage,
    send(d: DeliveryRow, timeoutMs: number): Promise<SendResult> {
      const p = d.payload as { subject?: string; text?: string };
      return sendMessage({ to: d.target, subject: p.subject ?? 'pdx', text: p.text ?? '' }, timeoutMs);
    },
    close: () => transport?.close(),
  };
}

export type Mailer = ReturnType<typeof createMailer>;
