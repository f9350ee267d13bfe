import { inspect } from 'node:util';

/**
 * A value that must never reach a log, an error message or a JSON body by accident.
 * `String(secret)`, `JSON.stringify(secret)` and `console.log(secret)` all print `[redacted]`;
 * only `reveal()` gives the value, so every use of a secret is greppable.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return 'Secret([redacted])';
  }
}
