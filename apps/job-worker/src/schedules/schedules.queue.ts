/** The queue of scheduled commands (BullMQ keys `<JOBS_PREFIX>:schedules:…`). */
export const SCHEDULES_QUEUE = 'schedules';
