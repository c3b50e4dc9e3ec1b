import { Global, Module } from '@nestjs/common';
import { NotificationsWorker } from './notifications.worker';
import { Notifier } from './notifier';
import { LoggingPushSender, MailSender, PushSender } from './senders';
import { TrialEndingMessagesController, TrialEndingNotices, TrialNoticeMarkers } from './trial-ending';

/** The `notifications` queue: its producer (Notifier), the trial-ending command and, on the identity side too, its consumer. */
@Global()
@Module({
  controllers: [TrialEndingMessagesController],
  providers: [Notifier, MailSender, { provide: PushSender, useClass: LoggingPushSender }, TrialNoticeMarkers, TrialEndingNotices, NotificationsWorker],
  exports: [Notifier],
})
export class NotificationsModule {}
