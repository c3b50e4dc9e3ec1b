import { Injectable } from '@nestjs/common';

/** The clock, injectable so tests can fix time. */
@Injectable()
export class Clock {
  now(): number {
    return Date.now();
  }
}
