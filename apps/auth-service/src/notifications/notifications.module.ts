import { Global, Module } from '@nestjs/common';
import { NotificationsWorker } from './notifications.worker';
import { Notifier } from './notifier';
import { LoggingPushSender, MailSender, PushSender } from './senders';

/** The `notifications` queue: its producer (Notifier) and, on the identity side too, its consumer. */
@Global()
@Module({ providers: [Notifier, MailSender, { provide: PushSender, useClass: LoggingPushSender }, NotificationsWorker], exports: [Notifier] })
export class NotificationsModule {}
