/** Time and randomness behind small injectable classes, so tests can replace them. */
import { randomBytes, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';

@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}

@Injectable()
export class Random {
  bytes(length: number): Uint8Array {
    return new Uint8Array(randomBytes(length));
  }

  uuid(): string {
    return randomUUID();
  }
}
