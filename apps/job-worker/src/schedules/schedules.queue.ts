/** The queue of scheduled commands (BullMQ keys `<JOBS_PREFIX>:schedules:…`). */
export const SCHEDULES_QUEUE = 'schedules';
/** The queue of `blocklist.compile`, run by a sandboxed processor (keys `<JOBS_PREFIX>:blocklist:…`). */
export const BLOCKLIST_QUEUE = 'blocklist';
/** Every queue of job-worker: the registrar reconciles the schedules of each. */
export const QUEUES = [SCHEDULES_QUEUE, BLOCKLIST_QUEUE] as const;
export type QueueName = (typeof QUEUES)[number];
