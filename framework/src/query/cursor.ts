import { LodeError } from '../errors/index.js';

/** Groups and nested selects deeper than this are refused, so hostile input cannot exhaust the stack. */
export const MAX_DEPTH = 32;

const NEAR_LENGTH = 20;

/** A read position over the raw (still percent-encoded) query string, with position-accurate errors. */
export class QueryCursor {
  pos = 0;

  constructor(readonly text: string) {}

  get atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): string | undefined {
    return this.text[this.pos];
  }

  /** Advances over the characters not in `stops` and returns where the run started. */
  scanUntil(stops: string): number {
    const start = this.pos;
    while (this.pos < this.text.length && !stops.includes(this.text[this.pos]!)) this.pos++;
    return start;
  }

  expect(char: string, what: string): void {
    if (this.text[this.pos] !== char) this.fail(this.pos, what);
    this.pos++;
  }

  fail(position: number, what: string): never {
    const near =
      position < this.text.length
        ? this.text.slice(position, position + NEAR_LENGTH)
        : this.text.slice(Math.max(0, position - NEAR_LENGTH));
    throw new LodeError('BAD_REQUEST', `Unable to parse query at position ${position}: ${what} near "${near}"`, {
      errors: [{ path: 'query', message: `${what} at position ${position}` }],
    });
  }

  /** Percent-decodes `text[start, end)`; decoding per token is what lets `%26` and `%3D` stand for literal `&` and `=`. */
  decode(start: number, end: number): string {
    const slice = this.text.slice(start, end);
    if (!slice.includes('%')) return slice;
    for (let i = start; i < end; i++) {
      if (this.text[i] === '%' && !(i + 2 < end && isHex(this.text[i + 1]!) && isHex(this.text[i + 2]!))) {
        this.fail(i, 'malformed percent-encoding');
      }
    }
    try {
      return decodeURIComponent(slice);
    } catch {
      return this.fail(start, 'percent-encoding is not valid UTF-8');
    }
  }

  /** Splits `text[start, end)` on raw dots into decoded, non-empty segments. */
  path(start: number, end: number): string[] {
    const segments: string[] = [];
    let segmentStart = start;
    for (let i = start; i <= end; i++) {
      if (i < end && this.text[i] !== '.') continue;
      if (i === segmentStart) this.fail(segmentStart, 'empty attribute name');
      segments.push(this.decode(segmentStart, i));
      segmentStart = i + 1;
    }
    return segments;
  }
}

/** Shortens user text quoted inside an error message. */
export function clip(text: string): string {
  return text.length > NEAR_LENGTH ? `${text.slice(0, NEAR_LENGTH)}…` : text;
}

function isHex(char: string): boolean {
  return (char >= '0' && char <= '9') || (char >= 'a' && char <= 'f') || (char >= 'A' && char <= 'F');
}
