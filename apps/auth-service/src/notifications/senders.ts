import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectConfig } from '@phoenix/common';
import { createTransport, type Transporter } from 'nodemailer';
import type { AuthConfig } from '../config';
import type { RenderedMail } from './templates';

/**
 * Sends mail over SMTP with nodemailer (SMTP_URL). One pooled-free transport: each send opens a
 * connection, so an SMTP server that went away and came back needs nothing reset here. A failure
 * throws, and the notifications worker's job is retried.
 */
@Injectable()
export class MailSender implements OnApplicationShutdown {
  private readonly transport: Transporter | null;

  constructor(@InjectConfig() private readonly config: AuthConfig) {
    this.transport = config.SMTP_URL
      ? createTransport({ url: config.SMTP_URL, connectionTimeout: 5000, greetingTimeout: 5000, socketTimeout: 15_000, disableFileAccess: true, disableUrlAccess: true })
      : null;
  }

  get configured(): boolean {
    return this.transport !== null;
  }

  /** @throws Error when SMTP_URL is unset or the server does not accept the mail */
  async send(to: string, mail: RenderedMail): Promise<void> {
    if (!this.transport) throw new Error('SMTP_URL is not set');
    await this.transport.sendMail({ from: this.config.MAIL_FROM, to, subject: mail.subject, text: mail.text, html: mail.html });
  }

  onApplicationShutdown(): void {
    this.transport?.close();
  }
}

/** A push notification, addressed to a user's devices. */
export interface PushMessage {
  userId: string;
  title: string;
  body: string;
}

/**
 * The one adapter push notifications go through. Production would send through Firebase Cloud
 * Messaging; FCM cannot be reached from here (no network), so the bound implementation is
 * {@link LoggingPushSender}, a logging no-op.
 */
export abstract class PushSender {
  abstract send(message: PushMessage): Promise<void>;
}

/** Logs that a push would be sent (the notification name only, never the user id) and sends nothing. */
@Injectable()
export class LoggingPushSender extends PushSender {
  private readonly logger = new Logger('PushSender');

  send(message: PushMessage): Promise<void> {
    this.logger.debug(`push not sent (no FCM here): ${message.title}`);
    return Promise.resolve();
  }
}
